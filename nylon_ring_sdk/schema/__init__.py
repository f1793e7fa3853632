"""The ABI schema: model, loader and the bundled generations (`abi.toml` = ABI 1, `abi2.toml` = ABI 2)."""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageError
from .loader import load_schema, parse_schema, parse_type
from .model import Schema

__all__ = ["Schema", "load_schema", "parse_schema", "parse_type", "bundled_schema_path", "load_default",
           "GENERATIONS", "DEFAULT_ABI", "parse_abi"]

# Generation number -> bundled schema file name. New work defaults to ABI 2, what released hosts load.
GENERATIONS: dict[int, str] = {1: "abi.toml", 2: "abi2.toml"}
DEFAULT_ABI = 2


def parse_abi(value: int | str | None) -> int:
    """`--abi` as given on a command line -> a generation number, or a one-line error."""
    if value is None:
        return DEFAULT_ABI
    text = str(value).strip()
    if text.isdigit() and int(text) in GENERATIONS:
        return int(text)
    known = "|".join(str(g) for g in GENERATIONS)
    raise UsageError(f"--abi: unknown ABI generation {text!r} (expected {known})")


def bundled_schema_path(abi: int = 1) -> Path:
    """A generation's schema shipped with the package (wheel) or, in a source checkout, the repo's."""
    name = GENERATIONS[parse_abi(abi)]
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_data" / "schema" / name
    if packaged.is_file():
        return packaged
    return here.parent / "schema" / name


_LOADED: dict[int, Schema] = {}


def load_default(abi: int = 1) -> Schema:
    """Load a bundled generation once per process; its messages still say `schema/<file>`."""
    abi = parse_abi(abi)
    if abi not in _LOADED:
        schema = load_schema(bundled_schema_path(abi))
        object.__setattr__(schema, "source", f"schema/{GENERATIONS[abi]}")
        _LOADED[abi] = schema
    return _LOADED[abi]
