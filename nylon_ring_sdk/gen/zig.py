"""Zig: `nylon_ring.zig`, `extern struct`s, a non-exhaustive status enum and fn types.

Decisions made here, so the template only prints:

- Enums are non-exhaustive (`enum(u32) { ok = 0, ..., _ }`): a value from foreign code
  outside the named ones is a legal value, not undefined behaviour.
- Function types are pointer types (`*const fn (...) callconv(.c) R`); a nullable slot
  (`fn?<F>`) is `?F` and defaults to `null`.
- Data pointers are nullable, because C allows NULL. A pointer to a scalar is a
  many-item pointer (`?[*]const u8`: buffers and tables); a pointer to a struct is a
  single-item pointer unless a sibling field `<name>_len`/`<name>_count` says it is an
  array (`headers` + `headers_len` -> `?[*]const NrHeader`); `void` targets are
  `anyopaque`.
- A struct of exactly `{ptr: ptr<const u8>, len: uN}` is a view: it gets `fromSlice`
  and a NULL-safe `slice()` that returns null for an invalid view.
- Layout asserts are `comptime` blocks, one branch per group of data models, chosen by
  `@sizeOf(usize)`, the CPU architecture and the OS; the last group is the `else` so an
  unknown data model is checked against something and fails loudly.
- The layout probe is a table of `@sizeOf`/`@alignOf`/`@offsetOf` plus
  `exportLayoutProbe()`, which a plugin calls from a `comptime` block.
"""

from __future__ import annotations

import re

from ..errors import GenerationError
from ..naming import escape, pascal, snake
from ..schema.model import (INT_RANGES, Array, Enum, Field, FnPointer, Function, Named, Pointer, Scalar, Schema, Struct,
                            TypeRef, Void)
from . import GeneratedFile, banner_lines, render
from .common import LayoutGroup, doc_lines, export_named, int_limit, layout_groups, pointer_requirement, probe_values

MODULE = "nylon_ring.zig"
PRIVATE = "nr__"
# Names of primitive types and values: Zig lets them name a field or an enum member
# (`zig fmt` even strips the quotes there) but not a declaration or a parameter.
_PRIMITIVE = re.compile(r"^(?:[iu]\d+|f(?:16|32|64|80|128)|c_\w+|comptime_\w+)$")
_PRIMITIVE_NAMES = frozenset({"type", "void", "bool", "anyerror", "anyopaque", "noreturn", "usize",
                              "isize", "null", "undefined", "true", "false"})

# How each data model is recognised at comptime; a group ORs its models.
_MODEL_TEST = {
    "lp64": f"@sizeOf(usize) == 8 and {PRIVATE}builtin.os.tag != .windows",
    "llp64": f"@sizeOf(usize) == 8 and {PRIVATE}builtin.os.tag == .windows",
    "ilp32": f"@sizeOf(usize) == 4 and !({PRIVATE}builtin.cpu.arch == .x86 and {PRIVATE}builtin.os.tag != .windows)",
    "ilp32-i386": f"{PRIVATE}builtin.cpu.arch == .x86 and {PRIVATE}builtin.os.tag != .windows",
}
# Model sets that collapse into one simpler test.
_MODEL_SHORTCUTS = (
    (frozenset({"lp64", "llp64"}), "@sizeOf(usize) == 8"),
    (frozenset({"ilp32", "ilp32-i386"}), "@sizeOf(usize) == 4"),
)


def _is_primitive(name: str) -> bool:
    return name in _PRIMITIVE_NAMES or bool(_PRIMITIVE.match(name))


def ident(name: str) -> str:
    """A declaration or parameter name: keywords and primitive names are quoted as `@"name"`."""
    escaped = escape("zig", name)
    if escaped == name and _is_primitive(name):
        return f'@"{name}"'
    return escaped


def member(name: str) -> str:
    """A field or enum member name: only real keywords need quoting there."""
    return name if _is_primitive(name) else escape("zig", name)


def _pointer_target(schema: Schema, t: Pointer, many: bool) -> str:
    """The pointee part of a pointer type: `anyopaque`, `[*]const u8`, `*const T`."""
    qual = "" if t.mutable else "const "
    if isinstance(t.target, Void):
        return f"*{qual}anyopaque"
    if isinstance(t.target, Scalar) or many:
        return f"[*]{qual}{zig_type(schema, t.target)}"
    return f"*{qual}{zig_type(schema, t.target)}"


def zig_type(schema: Schema, t: TypeRef, many: bool = False) -> str:
    """The Zig spelling of a schema type; `many` marks a pointer known to be an array."""
    if isinstance(t, Scalar):
        return t.name
    if isinstance(t, Void):
        return "void"
    if isinstance(t, Named):
        return ident(t.name)
    if isinstance(t, Pointer):
        return "?" + _pointer_target(schema, t, many)
    if isinstance(t, FnPointer):
        return ("?" if t.nullable else "") + ident(t.function)
    if isinstance(t, Array):
        return f"[{t.length}]{zig_type(schema, t.element)}"
    raise TypeError(t)


def _is_many(struct: Struct, name: str) -> bool:
    """Whether a pointer field has a length sibling (`headers` + `headers_len`)."""
    siblings = {f.name for f in struct.fields}
    return any(f"{name}{suffix}" in siblings for suffix in ("_len", "_count"))


def _default(schema: Schema, f: Field) -> str:
    """The field's default value, or "" for none: reserved fields zero, optional slots null."""
    if isinstance(f.type, FnPointer) and f.type.nullable:
        return "null"
    if not f.reserved:
        return ""
    if isinstance(f.type, Scalar):
        return {"bool": "false", "f32": "0", "f64": "0"}.get(f.type.name, "0")
    return f"{PRIVATE}std.mem.zeroes({zig_type(schema, f.type)})"


def _view_len(struct: Struct) -> str | None:
    """The length type if `struct` is a byte view `{ptr: ptr<const u8>, len: uN}` (then only
    reserved fields, which default to zero: ABI 2's NrStr)."""
    if [f.name for f in struct.fields[:2]] != ["ptr", "len"] or not all(f.reserved for f in struct.fields[2:]):
        return None
    ptr, length = struct.fields[:2]
    if not (isinstance(ptr.type, Pointer) and not ptr.type.mutable and ptr.type.target == Scalar("u8")):
        return None
    if isinstance(length.type, Scalar) and length.type.name in ("u8", "u16", "u32", "u64", "usize"):
        return length.type.name
    return None


def enum_member(name: str) -> str:
    return member(snake(name))


def _unknown_value(item: Enum) -> int | None:
    """The smallest value of the repr that names no member (for the out-of-range test)."""
    low, high = INT_RANGES.get(item.repr.name, (0, 2**32 - 1))
    used = {v.value for v in item.values}
    return next((v for v in range(max(low, 0), high + 1) if v not in used), None)


def _enum_view(item: Enum) -> dict:
    members = [{"name": enum_member(v.name), "value": v.value, "doc": doc_lines(v.doc, 84)} for v in item.values]
    names = [m["name"] for m in members]
    clash = next((n for n in names if names.count(n) > 1), None)
    if clash:
        raise GenerationError(f"enums.{item.name}: two values become the Zig name '{clash}' (expected distinct snake_case names)")
    return {"kind": "enum", "name": ident(item.name), "doc": doc_lines(item.doc, 88), "repr": item.repr.name,
            "members": members, "unknown": _unknown_value(item)}


def _struct_view(schema: Schema, item: Struct) -> dict:
    fields = []
    for f in item.fields:
        many = isinstance(f.type, Pointer) and _is_many(item, f.name)
        fields.append({"name": member(f.name), "type": zig_type(schema, f.type, many),
                       "default": _default(schema, f), "doc": doc_lines(f.doc, 84)})
    length = _view_len(item)
    view = None
    if length:
        view = {"len": length, "fallible": length not in ("u64", "usize")}
    return {"kind": "struct", "name": ident(item.name), "doc": doc_lines(item.doc, 88), "fields": fields, "view": view}


def fn_signature(schema: Schema, fn: Function) -> str:
    params = ", ".join(f"{ident(p.name)}: {zig_type(schema, p.type)}" for p in fn.params)
    return f"*const fn ({params}) callconv(.c) {zig_type(schema, fn.returns)}"


def _function_view(schema: Schema, item: Function) -> dict:
    return {"kind": "function", "name": ident(item.name), "doc": doc_lines(item.doc, 88),
            "signature": fn_signature(schema, item)}


def group_condition(group: LayoutGroup) -> str:
    """The comptime test that selects a group's asserts."""
    models = set(group.models)
    tests = []
    for subset, test in _MODEL_SHORTCUTS:
        if subset <= models:
            tests.append(test)
            models -= subset
    tests += [_MODEL_TEST[m] for m in sorted(models)]
    return " or ".join(f"({t})" for t in tests) if len(tests) > 1 else tests[0]


def _groups_view(schema: Schema) -> list[dict]:
    groups = layout_groups(schema)
    out = []
    for i, group in enumerate(groups):
        checks = []
        for sl in group.table.structs:
            name = ident(sl.name)
            checks.append({"what": f"{sl.name} size", "expr": f"@sizeOf({name})", "value": sl.size})
            checks.append({"what": f"{sl.name} align", "expr": f"@alignOf({name})", "value": sl.align})
            for fl in sl.fields:
                checks.append({"what": f"{sl.name}.{fl.name} offset", "expr": f'@offsetOf({name}, "{fl.name}")',
                               "value": fl.offset})
        last = i == len(groups) - 1
        out.append({"label": group.label, "cond": "" if last else group_condition(group),
                    "first": i == 0, "checks": checks})
    return out


def _probe_view(schema: Schema) -> dict:
    export = export_named(schema, "layout_probe")
    values = probe_values(schema, "@sizeOf({struct})", "@alignOf({struct})", '@offsetOf({struct}, "{field}")',
                          struct=ident)
    if export is None:
        return {"export": "", "table": values}
    fn = schema.function(export.function)
    returns = fn.returns
    if not (isinstance(returns, Pointer) and isinstance(returns.target, Named) and not fn.params):
        raise GenerationError(f"exports.{export.name}: expected a function without parameters returning ptr<const Struct>")
    struct = schema.struct(returns.target.name)
    names = [f.name for f in struct.fields]
    if len(names) != 3:
        raise GenerationError(f"structs.{struct.name}: expected three fields (version, count, values) for the layout probe")
    version = next((ident(c.name) for c in schema.constants if c.name.endswith("LAYOUT_PROBE_VERSION")), "1")
    return {
        "export": export.name, "exporter": export_fn_name(export.name), "struct": ident(struct.name),
        "return_type": zig_type(schema, returns),
        "version_field": member(names[0]), "count_field": member(names[1]), "values_field": member(names[2]),
        "version": version, "table": values,
    }


def zig_literal(scalar: str, value: int) -> str:
    """A constant's value: `2`, or `std.math.maxInt(u32)` for a type's limit."""
    limit = int_limit(scalar, value)
    return f"{PRIVATE}std.math.{limit}Int({scalar})" if limit else str(value)


def export_fn_name(symbol: str) -> str:
    """`nylon_ring_get_plugin_v1` -> `exportNylonRingGetPluginV1`."""
    return "export" + pascal(symbol)


def view(schema: Schema) -> dict:
    items = []
    for item in schema.items_in_order():
        if isinstance(item, Enum):
            items.append(_enum_view(item))
        elif isinstance(item, Struct):
            items.append(_struct_view(schema, item))
        else:
            items.append(_function_view(schema, item))
    views = [i for i in items if i["kind"] == "struct" and i["view"]]
    return {
        "banner": banner_lines(schema),
        "abi_doc": doc_lines(schema.doc, 88),
        "p": PRIVATE,
        "constants": [{"name": ident(c.name), "type": c.type.name, "value": zig_literal(c.type.name, c.value),
                       "doc": doc_lines(c.doc, 88)} for c in schema.constants],
        "pointer_check": pointer_requirement(schema),
        "items": items,
        "exports": [{"symbol": e.name, "fn": export_fn_name(e.name), "type": ident(e.function),
                     "doc": doc_lines(e.doc, 88)} for e in schema.exports],
        "groups": _groups_view(schema),
        "probe": _probe_view(schema),
        "enums": [i for i in items if i["kind"] == "enum"],
        "views": views,
        "first_struct": ident(schema.structs[0].name) if schema.structs else "",
    }


def generate(schema: Schema) -> list[GeneratedFile]:
    return [GeneratedFile(MODULE, render("zig/nylon_ring.zig.j2", **view(schema)))]
