"""What every generator shares: doc wrapping, layout groups and the probe table order."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import Callable

from ..layout import LayoutTable, distinct_layouts
from ..schema.model import INT_RANGES, Schema


def int_limit(scalar: str, value: int) -> str:
    """`max`/`min` when `value` is that fixed-width type's limit ('' otherwise).

    Generators spell limits by name (`UINT32_MAX`, `u32::MAX`, `maxInt(u32)`): the
    intent reads at a glance, and C has no literal for INT64_MIN at all.
    """
    low, high = INT_RANGES.get(scalar, (None, None))
    if value == high:
        return "max"
    if value == low and low != 0:
        return "min"
    return ""


def doc_lines(text: str, width: int = 88) -> list[str]:
    """A doc string wrapped for comments; blank input gives no lines."""
    return textwrap.wrap(" ".join(text.split()), width=width) if text.strip() else []


@dataclass(frozen=True)
class LayoutGroup:
    """Data models that share one layout table, and how each language tells them apart."""

    models: tuple[str, ...]
    table: LayoutTable

    @property
    def label(self) -> str:
        return "/".join(m.upper() for m in self.models)

    @property
    def is_64bit(self) -> bool:
        return self.table.model.pointer == 8

    @property
    def is_i386(self) -> bool:
        return self.table.model.name == "ilp32-i386"

    @property
    def kind(self) -> str:
        """`64bit`, `i386` (its own table: 4-byte alignment of 8-byte scalars) or `32bit`."""
        return "64bit" if self.is_64bit else "i386" if self.is_i386 else "32bit"

    @property
    def c_condition(self) -> str:
        """The C preprocessor test selecting this group in an `#if/#elif/#else` chain
        in `layout_groups` order ('' for the last, `#else`, group)."""
        return C_CONDITIONS[self.kind]


#: LayoutGroup.kind -> its C preprocessor test (the `#else` group has none).
C_CONDITIONS = {"64bit": "UINTPTR_MAX > 0xFFFFFFFFu", "i386": "defined(__i386__) && !defined(_WIN32)", "32bit": ""}


def layout_groups(schema: Schema) -> list[LayoutGroup]:
    """64-bit first, then i386, then other 32-bit targets: the order `#if/#elif/#else` reads."""
    groups = [LayoutGroup(tuple(names), table) for names, table in distinct_layouts(schema)]
    rank = lambda g: 0 if g.is_64bit else (1 if g.is_i386 else 2)  # noqa: E731
    return sorted(groups, key=rank)


@dataclass(frozen=True)
class ProbeEntry:
    """One value of the layout probe table: `size`/`align` of a struct or a field offset."""

    struct: str
    kind: str  # "size" | "align" | "offset"
    field: str = ""


def probe_entries(schema: Schema) -> list[ProbeEntry]:
    """The probe table order (matches LayoutTable.probe_values)."""
    entries: list[ProbeEntry] = []
    for s in schema.structs:
        entries.append(ProbeEntry(s.name, "size"))
        entries.append(ProbeEntry(s.name, "align"))
        entries += [ProbeEntry(s.name, "offset", f.name) for f in s.fields]
    return entries


def probe_values(schema: Schema, size: str, align: str, offset: str, struct: Callable[[str], str] = str,
                 field: Callable[[str], str] = str) -> list[str]:
    """The probe table as one language writes it: `size`/`align`/`offset` are templates over
    `{struct}` (and `{field}`), filled with the names `struct` and `field` spell."""
    forms = {"size": size, "align": align, "offset": offset}
    return [forms[e.kind].format(struct=struct(e.struct), field=field(e.field) if e.kind == "offset" else "")
            for e in probe_entries(schema)]


# What an optional export is for, by the shape of its name (`nylon_ring_layout_probe_v1`,
# `nylon_ring_layout_probe_v2`, `nylon_ring_set_host_ext_v1`, `nylon_ring_manifest`).
EXPORT_ROLES: dict[str, re.Pattern[str]] = {
    "layout_probe": re.compile(r"_layout_probe(_v\d+)?$"),
    "set_host_ext": re.compile(r"_set_host_ext(_v\d+)?$"),
    "manifest": re.compile(r"_manifest(_v\d+)?$"),
}


def export_named(schema: Schema, role: str):
    """The export that plays `role` (a key of EXPORT_ROLES) in this generation, or None."""
    pattern = EXPORT_ROLES[role]
    return next((e for e in schema.exports if pattern.search(e.name)), None)


def is_64bit_only(schema: Schema) -> bool:
    """Whether the generation exists only on 64-bit targets (ABI 2): no 32-bit layouts, a hard check instead."""
    return tuple(schema.pointer_bits) == (64,)


def pointer_requirement(schema: Schema) -> str:
    """The message a 64-bit-only generation's bindings fail to compile with elsewhere ('' otherwise)."""
    if not is_64bit_only(schema):
        return ""
    return f"{schema.name.replace('_', '-')} ABI {schema.version} requires a 64-bit target (sizeof(void *) == 8)"


def block_comment(text: str, width: int = 88, indent: str = "") -> list[str]:
    """A C-family doc comment: `/** one line */`, or a `/** ... */` block for longer text."""
    lines = doc_lines(text, width)
    if not lines:
        return []
    if len(lines) == 1 and len(lines[0]) + len(indent) + 7 <= width + 8:
        return [f"{indent}/** {lines[0]} */"]
    return [f"{indent}/**", *(f"{indent} * {line}" for line in lines), f"{indent} */"]


def line_comment(text: str, prefix: str, width: int = 88, indent: str = "") -> list[str]:
    """Doc lines behind a line-comment marker such as `///` or `//`."""
    return [f"{indent}{prefix} {line}" for line in doc_lines(text, width)]
