"""The ABI schema: model, loader and the location of the bundled `abi.toml`."""

from __future__ import annotations

from pathlib import Path

from .loader import load_schema, parse_schema, parse_type
from .model import Schema

__all__ = ["Schema", "load_schema", "parse_schema", "parse_type", "bundled_schema_path", "load_default"]


def bundled_schema_path() -> Path:
    """The schema shipped with the package (wheel) or, in a source checkout, the repo's."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_data" / "schema" / "abi.toml"
    if packaged.is_file():
        return packaged
    return here.parent / "schema" / "abi.toml"


def load_default() -> Schema:
    """Load the bundled schema; its messages still say `schema/abi.toml`."""
    path = bundled_schema_path()
    schema = load_schema(path)
    object.__setattr__(schema, "source", "schema/abi.toml")
    return schema
