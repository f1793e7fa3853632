"""What every generator shares: doc wrapping, layout groups and the probe table order."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from ..layout import LayoutTable, distinct_layouts
from ..schema.model import Schema


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
    def c_condition(self) -> str:
        """The C preprocessor test selecting this group in an `#if/#elif/#else` chain
        in `layout_groups` order ('' for the last, `#else`, group)."""
        if self.is_64bit:
            return "UINTPTR_MAX > 0xFFFFFFFFu"
        if self.is_i386:
            return "defined(__i386__) && !defined(_WIN32)"
        return ""


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


def export_named(schema: Schema, suffix: str):
    """The export whose name ends with `suffix` (`set_host_ext_v1`, `layout_probe_v1`), or None."""
    return next((e for e in schema.exports if e.name.endswith(suffix)), None)


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
