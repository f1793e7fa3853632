"""Per-language naming: case conversion and reserved-word escaping.

Templates never compute a name; generators call these functions and hand the
results to the templates. Reserved words live in `data/keywords.toml`.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=None)
def keywords(lang: str) -> frozenset[str]:
    path = Path(__file__).parent / "data" / "keywords.toml"
    with path.open("rb") as fh:
        table = tomllib.load(fh)
    return frozenset(table.get(lang, ()))


def split_words(name: str) -> list[str]:
    """Words of an identifier written in any case: `NrStatus` -> [Nr, Status], `stream_end` -> [stream, end]."""
    words: list[str] = []
    for chunk in re.split(r"_+", name):
        words += re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|$)|[A-Z]?[a-z]+|[A-Z]+|\d+", chunk)
    return [w for w in words if w]


def snake(name: str) -> str:
    return "_".join(w.lower() for w in split_words(name))


def upper_snake(name: str) -> str:
    return "_".join(w.upper() for w in split_words(name))


def pascal(name: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in split_words(name))


def camel(name: str) -> str:
    p = pascal(name)
    return p[:1].lower() + p[1:]


def escape(lang: str, name: str) -> str:
    """A name safe to declare in `lang`: reserved words get that language's escape."""
    if name not in keywords(lang):
        return name
    if lang == "rust":
        return f"r#{name}" if name not in ("self", "Self", "super", "crate") else f"{name}_"
    if lang == "zig":
        return f'@"{name}"'
    return f"{name}_"


def go_cgo_field(name: str) -> str:
    """How cgo spells a C struct field in Go: a Go keyword gets a leading underscore."""
    return f"_{name}" if name in keywords("go") else name
