"""`nylon-ring abi diff`: which changes between two ABI schemas break deployed peers.

Hosts and plugins built from different schemas meet at run time, so a schema change
is judged by what an old peer would do with a new one: read a field at the wrong
offset, call a slot that moved, receive a status it does not know. Every finding
names a rule of ``data/abi_rules.toml`` (id, severity and the general reason live
there, so the table in README and the checker cannot drift apart) and adds one line
about this particular change.
"""

from __future__ import annotations

import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError
from .layout import StructLayout, compute_layout
from .schema import GENERATIONS, load_default, load_schema, parse_schema
from .schema.model import (Array, Constant, Enum, FnPointer, Function, Named, Pointer, Schema, Struct, TypeRef,
                           format_type)

RULES_PATH = Path(__file__).parent / "data" / "abi_rules.toml"
SEVERITIES = ("breaking", "needs-version-bump", "compatible")
SIZE_FIELD = "struct_size"  # the field that makes a struct append-only under the struct-size rule


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    why: str


@dataclass(frozen=True)
class Change:
    """One finding: the rule it falls under, the item path, and what happened."""

    rule: str
    severity: str
    path: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "severity": self.severity, "path": self.path, "detail": self.detail}


def load_rules() -> dict[str, Rule]:
    data = tomllib.loads(RULES_PATH.read_text(encoding="utf-8"))
    return {rid: Rule(rid, t["severity"], t["why"]) for rid, t in data["rules"].items()}


# ---------------------------------------------------------------- loading the two sides


def load_side(spec: str, cwd: str | Path = ".") -> Schema:
    """A schema named the way a user names it: a file, `abi:N`, or `REV:path` in git."""
    path = Path(cwd) / spec
    if path.is_file():
        return load_schema(path)
    if spec.startswith("abi:"):
        number = spec[4:]
        if not number.isdigit() or int(number) not in GENERATIONS:
            known = ", ".join(f"abi:{g}" for g in GENERATIONS)
            raise UsageError(f"{spec}: unknown bundled generation (expected one of {known})")
        return load_default(int(number))
    if ":" in spec:
        return parse_schema(_git_show(spec, cwd), spec)
    raise UsageError(f"{spec}: no such schema file (expected a file, abi:1, abi:2 or REV:path)")


def _git_show(spec: str, cwd: str | Path) -> bytes:
    try:
        done = subprocess.run(["git", "show", spec], cwd=str(cwd), capture_output=True, timeout=30)
    except FileNotFoundError:
        raise UsageError(f"{spec}: git is not installed (needed to read a schema at a revision)") from None
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(f"{spec}: not readable from git ({said[0] if said else 'git show failed'})")
    return done.stdout


# ---------------------------------------------------------------- comparing


class _Diff:
    """Collects findings; one method per item kind, as a writer has one per item."""

    def __init__(self, old: Schema, new: Schema) -> None:
        self.old, self.new = old, new
        self.rules = load_rules()
        self.changes: list[Change] = []
        self.old_layout = {s.name: s for s in compute_layout(old, "lp64").structs}
        self.new_layout = {s.name: s for s in compute_layout(new, "lp64").structs}

    def add(self, rule: str, path: str, detail: str) -> None:
        self.changes.append(Change(rule, self.rules[rule].severity, path, detail))

    def run(self) -> list[Change]:
        self.pointer_widths()
        self.constants()
        self.enums()
        self.structs()
        self.functions()
        self.exports()
        self.version()
        return self.changes

    def pointer_widths(self) -> None:
        lost = sorted(set(self.old.pointer_bits) - set(self.new.pointer_bits))
        if lost:
            self.add("abi.pointer-widths-narrowed", "abi.pointer_bits",
                     f"{', '.join(f'{b}-bit' for b in lost)} targets dropped")

    def by_name(self, kind: str, old_items, new_items, describe, compare) -> None:
        """Items of one kind matched by name: `kind.removed`/`kind.added` worded by `describe(item,
        layout)` (the layout table of the item's side), and `compare(old, new)` for the ones kept."""
        old = {item.name: item for item in old_items}
        new = {item.name: item for item in new_items}
        for name, item in old.items():
            if name in new:
                compare(item, new[name])
            else:
                self.add(f"{kind}.removed", name, f"{describe(item, self.old_layout)} removed")
        for name, item in new.items():
            if name not in old:
                self.add(f"{kind}.added", name, describe(item, self.new_layout))

    def constants(self) -> None:
        self.by_name("constant", self.old.constants, self.new.constants,
                     lambda c, _layout: f"{c.name} = {c.value}", self.constant)

    def constant(self, c: Constant, new: Constant) -> None:
        if (new.value, new.type) != (c.value, c.type) and c.name != "NR_ABI_VERSION":
            self.add("constant.changed", c.name, f"{c.type.name} {c.value} -> {new.type.name} {new.value}")
        elif new.doc != c.doc:
            self.add("doc.changed", c.name, "doc text changed")

    def enums(self) -> None:
        self.by_name("enum", self.old.enums, self.new.enums, lambda e, _layout: f"enum {e.name}", self.enum)

    def enum(self, old: Enum, new: Enum) -> None:
        if old.repr != new.repr:
            self.add("enum.repr-changed", old.name, f"{old.repr.name} -> {new.repr.name}")
        old_by_name = {v.name: v for v in old.values}
        old_by_value = {v.value: v for v in old.values}
        new_by_name = {v.name: v for v in new.values}
        new_values = {v.value for v in new.values}
        for v in new.values:
            path = f"{new.name}.{v.name}"
            before = old_by_name.get(v.name)
            if before is not None:
                if before.value != v.value:
                    self.add("enum.value-changed", path, f"{before.value} -> {v.value}")
                elif before.doc != v.doc:
                    self.add("doc.changed", path, "doc text changed")
            elif v.value not in old_by_value:
                self.add("enum.value-added", path, f"{v.name} = {v.value}")
            elif old_by_value[v.value].name in new_by_name:
                owner = old_by_value[v.value].name
                self.add("enum.value-reused", path, f"{v.value} meant {owner}, which lives on as {new_by_name[owner].value}")
            else:
                self.add("enum.value-renamed", path, f"{v.value} was called {old_by_value[v.value].name}")
        for v in old.values:
            if v.name not in new_by_name and v.value not in new_values:
                self.add("enum.value-removed", f"{old.name}.{v.name}", f"{v.name} = {v.value} removed")
        if old.doc != new.doc:
            self.add("doc.changed", old.name, "doc text changed")

    def structs(self) -> None:
        self.by_name("struct", self.old.structs, self.new.structs,
                     lambda st, layout: f"struct {st.name} ({layout[st.name].size} bytes)", self.struct)

    def struct(self, old: Struct, new: Struct) -> None:
        lo, ln = self.old_layout[old.name], self.new_layout[new.name]
        vtable = _is_vtable(old) and _is_vtable(new)
        old_f = {f.name: f for f in old.fields}
        new_f = {f.name: f for f in new.fields}
        renamed = self._renames(old, new, lo, ln)
        appended = False
        for f in old.fields:
            path = f"{old.name}.{f.name}"
            if f.name in renamed:
                self.add("field.renamed", path, f"now called {renamed[f.name]} (offset {lo.field(f.name).offset})")
            elif f.name not in new_f:
                rule = "vtable.slot-removed" if vtable else "field.removed"
                self.add(rule, path, f"{_where(lo, f.name, vtable)} removed")
            else:
                self.member(old.name, f.name, f.type, new_f[f.name].type, lo, ln, vtable)
                if f.doc != new_f[f.name].doc:
                    self.add("doc.changed", path, "doc text changed")
        kept = [n for n in new_f if n in old_f or n in renamed.values()]
        last_kept = max((list(new_f).index(n) for n in kept), default=-1)
        for index, f in enumerate(new.fields):
            if f.name in old_f or f.name in renamed.values():
                continue
            path = f"{new.name}.{f.name}"
            if index < last_kept:
                rule = "vtable.slot-inserted" if vtable else "field.inserted"
                self.add(rule, path, f"added at {_where(ln, f.name, vtable)}, before existing members")
                continue
            appended = True
            fl = ln.field(f.name)
            if fl.offset + fl.size <= lo.size and not vtable:
                self.add("struct.tail-padding-used", path, f"added at offset {fl.offset} inside the old {lo.size}-byte size")
            elif SIZE_FIELD in old_f:
                self.add("struct.extended", path, f"appended at offset {fl.offset} (readers check {SIZE_FIELD})")
            elif vtable:
                self.add("vtable.slot-appended", path, f"appended as {_where(ln, f.name, True)}")
            else:
                self.add("struct.extended-without-size-rule", path, f"appended at offset {fl.offset}; {old.name} has no {SIZE_FIELD}")
        if lo.size != ln.size and not appended:
            self.add("struct.size-changed", old.name, f"{lo.size} -> {ln.size} bytes")
        if lo.align != ln.align:
            self.add("struct.align-changed", old.name, f"{lo.align} -> {ln.align}")
        if old.doc != new.doc:
            self.add("doc.changed", old.name, "doc text changed")

    @staticmethod
    def _renames(old: Struct, new: Struct, lo: StructLayout, ln: StructLayout) -> dict[str, str]:
        """Old field -> new name, for a field gone and a field come at the same offset with the same type."""
        new_names = {f.name for f in new.fields}
        old_names = {f.name for f in old.fields}
        gone = [f for f in old.fields if f.name not in new_names]
        came = [f for f in new.fields if f.name not in old_names]
        pairs: dict[str, str] = {}
        for f in gone:
            for g in came:
                if g.type == f.type and ln.field(g.name).offset == lo.field(f.name).offset and g.name not in pairs.values():
                    pairs[f.name] = g.name
                    break
        return pairs

    def member(self, struct: str, name: str, old_t: TypeRef, new_t: TypeRef,
               lo: StructLayout, ln: StructLayout, vtable: bool) -> None:
        path = f"{struct}.{name}"
        if old_t != new_t:
            kind = _type_change(old_t, new_t)
            detail = f"{format_type(old_t)} -> {format_type(new_t)}"
            self.add({"const": "field.constness-changed", "tightened": "field.nullability-tightened",
                      "relaxed": "field.nullability-relaxed"}.get(kind, "field.retyped"), path, detail)
        before, after = lo.field(name).offset, ln.field(name).offset
        if before != after:
            rule = "vtable.slot-moved" if vtable else "field.moved"
            self.add(rule, path, f"{_where(lo, name, vtable)} -> {_where(ln, name, vtable)}")

    def functions(self) -> None:
        self.by_name("function", self.old.functions, self.new.functions,
                     lambda f, _layout: f"fn {f.name}{_signature(f)}", self.function)

    def function(self, f: Function, g: Function) -> None:
        name = f.name
        if [p.type for p in f.params] != [p.type for p in g.params]:
            self.add("function.params-changed", name, f"was {_params(f)}, now {_params(g)}")
        elif [p.name for p in f.params] != [p.name for p in g.params]:
            self.add("function.param-renamed", name, f"was {_params(f)}, now {_params(g)}")
        if f.returns != g.returns:
            self.add("function.returns-changed", name, f"{format_type(f.returns)} -> {format_type(g.returns)}")
        if f.doc != g.doc:
            self.add("doc.changed", name, "doc text changed")

    def exports(self) -> None:
        old = {e.name: e for e in self.old.exports}
        new = {e.name: e for e in self.new.exports}
        added = [e for n, e in new.items() if n not in old]
        for name, e in old.items():
            if name in new:
                g = new[name]
                if g.function != e.function:
                    self.add("export.retyped", name, f"{e.function} -> {g.function}")
                if g.required != e.required:
                    self.add("export.required-changed", name,
                             "now required" if g.required else "now optional")
                if g.doc != e.doc:
                    self.add("doc.changed", name, "doc text changed")
                continue
            twin = next((a for a in added if a.required == e.required and a.function == e.function), None)
            if twin is not None and e.required:
                added.remove(twin)
                self.add("export.renamed", name, f"renamed to {twin.name}")
            elif e.required:
                self.add("export.removed", name, f"required export {name} removed")
            else:
                self.add("export.optional-removed", name, f"optional export {name} removed")
        for e in added:
            self.add("export.required-added" if e.required else "export.added", e.name,
                     f"{'required' if e.required else 'optional'} export {e.name}")

    def version(self) -> None:
        """A change old peers cannot survive must come with a version they refuse."""
        needs = [c for c in self.changes if c.severity != "compatible"]
        old_v, new_v = self.old.version, self.new.version
        old_entry, new_entry = self.old.entry_export.name, self.new.entry_export.name
        if (old_v, old_entry) != (new_v, new_entry):
            what = f"abi_version {old_v} -> {new_v}" if old_v != new_v else ""
            if old_entry != new_entry:
                what += ("; " if what else "") + f"entry export {old_entry} -> {new_entry}"
            self.add("abi.version-bumped", "abi.version", what)
        elif needs:
            self.add("abi.version-not-bumped", "abi.version",
                     f"{len(needs)} change(s) need a new generation but abi_version stays {old_v}")


def _is_vtable(s: Struct) -> bool:
    return bool(s.fields) and all(isinstance(f.type, FnPointer) for f in s.fields)


def _where(layout: StructLayout, name: str, vtable: bool) -> str:
    offset = layout.field(name).offset
    if vtable:
        return f"slot {[f.name for f in layout.fields].index(name)} (offset {offset})"
    return f"offset {offset}"


def _type_change(old: TypeRef, new: TypeRef) -> str:
    """How two types differ: only constness, only nullability, or really."""
    if isinstance(old, Pointer) and isinstance(new, Pointer) and old.target == new.target:
        return "const"
    if isinstance(old, FnPointer) and isinstance(new, FnPointer) and old.function == new.function:
        return "tightened" if old.nullable and not new.nullable else "relaxed"
    if isinstance(old, Array) and isinstance(new, Array) and old.length == new.length:
        return _type_change(old.element, new.element)
    return "retyped"


def _params(f) -> str:
    return "(" + ", ".join(f"{p.name}: {format_type(p.type)}" for p in f.params) + ")"


def _signature(f) -> str:
    return f"{_params(f)} -> {format_type(f.returns)}"


def diff(old: Schema, new: Schema) -> list[Change]:
    """Every change from `old` to `new`, most severe first, then in schema order."""
    changes = _Diff(old, new).run()
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(changes, key=lambda c: rank[c.severity])


# ---------------------------------------------------------------- reporting


def exit_code(changes: list[Change], allow: set[str]) -> int:
    """1 when a breaking change is left that `--allow` does not name, else 0."""
    return 1 if any(c.severity == "breaking" and c.rule not in allow for c in changes) else 0


def render_text(changes: list[Change], old: str, new: str, allow: set[str]) -> str:
    counts = {s: sum(1 for c in changes if c.severity == s) for s in SEVERITIES}
    width = max((len(c.rule) for c in changes), default=0)
    lines = [f"{c.severity:<18} {c.rule:<{width}}  {c.path}: {c.detail}"
             + ("  (allowed)" if c.rule in allow and c.severity == "breaking" else "") for c in changes]
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    lines.append(f"abi diff {old} -> {new}: {summary or 'no changes'}" if changes else f"abi diff {old} -> {new}: no changes")
    return "\n".join(lines)


def render_github(changes: list[Change], new_source: str, new_text: str | None) -> str:
    """GitHub workflow commands: one annotation per change, at the item's line when the file is known."""
    level = {"breaking": "error", "needs-version-bump": "warning", "compatible": "notice"}
    out = []
    for c in changes:
        where = ""
        if new_text is not None:
            line = _line_of(new_text, c.path)
            where = f" file={new_source}" + (f",line={line}" if line else "")
        out.append(f"::{level[c.severity]}{where},title=abi {c.rule}::{c.path}: {c.detail}"
                   if where else f"::{level[c.severity]} title=abi {c.rule}::{c.path}: {c.detail}")
    return "\n".join(out)


def _line_of(text: str, path: str) -> int | None:
    """The line of `[structs.X]`/`[enums.X]`/... for the item a path starts with."""
    item = path.split(".")[0]
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.rstrip("]").endswith(f".{item}"):
            return number
    return None
