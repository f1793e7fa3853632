"""Rust: `nylon_ring_abi.rs`, a module of `#[repr(C)]` types for plugins and hosts.

Two choices shape the module:

- Every schema enum becomes a `#[repr(<int>)]` Rust enum *and* a `<Enum>Raw` integer
  alias. Struct fields and function-pointer signatures use the alias, never the enum:
  each function type is implemented on one side of the ABI and called on the other,
  so whichever side is Rust receives values from foreign code somewhere (a Rust host
  gets `handle`'s return, a Rust host's `send_result` gets the plugin's status). A
  foreign `7` typed as a Rust enum is undefined behaviour; as an integer it is just a
  value, turned into the enum by the checked `from_raw`/`TryFrom`.
- Layout asserts are `const` blocks per data model, selected by `cfg`, with numbers
  from the layout engine; the optional layout probe is a pair of statics computed by
  the compiler (`size_of`/`offset_of!`) plus a macro that exports the probe symbol.

Helper methods for the view types (`NrStr`, `NrBytes`, `NrHeader`, `NrRequest`) are
static Rust in `templates/rust/helpers/`, emitted only when the schema's struct has the
shape the helper was written for.
"""

from __future__ import annotations

from ..naming import escape, pascal
from ..schema.model import (Array, Enum, FnPointer, Function, Named, Pointer, Scalar, Schema, Struct, TypeRef, Void,
                            format_type)
from . import GeneratedFile, banner_lines, render
from .common import doc_lines, export_named, int_limit, layout_groups, pointer_requirement, probe_values

MODULE = "nylon_ring_abi.rs"
RUST_SCALARS = {
    "u8": "u8", "u16": "u16", "u32": "u32", "u64": "u64",
    "i8": "i8", "i16": "i16", "i32": "i32", "i64": "i64",
    "usize": "usize", "isize": "isize", "f32": "f32", "f64": "f64", "bool": "bool",
}
# rustfmt's defaults (max_width and the "small heuristics" derived from it): the module
# is emitted already formatted, so `rustfmt --check` and `cargo fmt` leave it alone.
WIDTH = 100
CALL_WIDTH = 60  # fn_call_width: arguments of a call or macro on one line
ARRAY_WIDTH = 60  # array_width: elements of an array literal on one line
# Helper impls and the exact fields (name, schema type) each was written against; a
# helper applies to a struct of one of its shapes (ABI 1's NrStr, ABI 2's with `reserved`).
HELPERS: dict[str, tuple[tuple[tuple[str, str], ...], ...]] = {
    "NrStr": ((("ptr", "ptr<const u8>"), ("len", "u32")),
              (("ptr", "ptr<const u8>"), ("len", "u32"), ("reserved", "u32"))),
    "NrBytes": ((("ptr", "ptr<const u8>"), ("len", "u64")),),
    "NrHeader": ((("key", "NrStr"), ("value", "NrStr")),),
    "NrRequest": ((("path", "NrStr"), ("method", "NrStr"), ("query", "NrStr"),
                   ("headers", "ptr<const NrHeader>"), ("headers_len", "u32"),
                   ("_reserved0", "u32"), ("_reserved1", "u64")),),
}
# Helpers that call other helpers need those present too.
HELPER_NEEDS = {"NrHeader": ("NrStr",), "NrRequest": ("NrStr", "NrHeader")}


def rust_literal(scalar: str, value: int) -> str:
    """A constant's value: `2`, or `u32::MAX` for a type's limit."""
    limit = int_limit(scalar, value)
    return f"{RUST_SCALARS[scalar]}::{limit.upper()}" if limit else str(value)


def raw_alias(enum: Enum) -> str:
    """`NrStatus` -> `NrStatusRaw`: the integer form used wherever values cross the ABI."""
    return f"{enum.name}Raw"


def rust_type(schema: Schema, t: TypeRef) -> str:
    """The Rust spelling of a schema type as it crosses the ABI."""
    if isinstance(t, Scalar):
        return RUST_SCALARS[t.name]
    if isinstance(t, Void):
        return "c_void"
    if isinstance(t, Named):
        item = schema.item(t.name)
        return raw_alias(item) if isinstance(item, Enum) else t.name
    if isinstance(t, Pointer):
        return f"*{'mut' if t.mutable else 'const'} {rust_type(schema, t.target)}"
    if isinstance(t, FnPointer):
        return f"::core::option::Option<{t.function}>" if t.nullable else t.function
    if isinstance(t, Array):
        return f"[{rust_type(schema, t.element)}; {t.length}]"
    raise TypeError(t)


def _helper_applies(struct: Struct) -> bool:
    """Whether the struct has exactly the fields of one shape its helper impl was written for."""
    shape = tuple((f.name, format_type(f.type)) for f in struct.fields)
    return shape in HELPERS.get(struct.name, ())


def helpers(schema: Schema) -> list[dict]:
    """Helper templates to include, in schema order, each with the reserved fields its
    struct literals must zero (`reserved` in ABI 2's NrStr)."""
    applicable = {s.name for s in schema.structs if _helper_applies(s)}
    chosen = {name for name in applicable if all(dep in applicable for dep in HELPER_NEEDS.get(name, ()))}
    return [{"template": f"rust/helpers/{s.name}.rs.j2", "reserved": [f.name for f in s.fields if f.reserved]}
            for s in schema.structs if s.name in chosen]


def _statics(schema: Schema) -> set[str]:
    """Structs a plugin hands out from a `static` (an export returns a pointer to them).

    They hold raw pointers, so Rust does not make them `Sync` by itself; the plugin
    fills them with pointers to immutable static data, which is what makes the
    `unsafe impl Send/Sync` sound.
    """
    names: set[str] = set()
    for export in schema.exports:
        returns = schema.function(export.function).returns
        if isinstance(returns, Pointer) and isinstance(returns.target, Named):
            if isinstance(schema.item(returns.target.name), Struct):
                names.add(returns.target.name)
    return names


def _enum_view(enum: Enum) -> dict:
    members = [{"name": escape("rust", pascal(v.name)), "value": v.value, "doc": doc_lines(v.doc)}
               for v in enum.values]
    head = f"    pub const ALL: [{enum.name}; {len(members)}] = "
    return {
        "kind": "enum", "name": enum.name, "doc": doc_lines(enum.doc), "repr": RUST_SCALARS[enum.repr.name],
        "raw": raw_alias(enum), "members": members,
        "all": array_lines(head, [f"{enum.name}::{m['name']}" for m in members], ";", "    "),
    }


def array_lines(head: str, items: list[str], tail: str, indent: str) -> list[str]:
    """`head[a, b];` on one line when it fits rustfmt's width, else one item a line."""
    one = f"{head}[{', '.join(items)}]{tail}"
    if len(one) <= WIDTH and len(", ".join(items)) <= ARRAY_WIDTH:
        return [one]
    return [f"{head}[", *(f"{indent}    {item}," for item in items), f"{indent}]{tail}"]


def call_lines(head: str, args: list[str], tail: str, indent: str) -> list[str]:
    """`head(a, b)tail` the way rustfmt breaks a call or signature: one line, else one
    argument a line with a trailing comma (`trailing` is rustfmt's choice for fn items)."""
    one = f"{head}({', '.join(args)}){tail}"
    if len(one) <= WIDTH:
        return [one]
    return [f"{head}(", *(f"{indent}    {arg}," for arg in args), f"{indent}){tail}"]


def assert_lines(expr: str, message: str, indent: str = "    ") -> list[str]:
    """`assert!(expr, "message");` formatted as rustfmt formats it at `indent`."""
    one = f'{indent}assert!({expr}, "{message}");'
    if len(one) <= WIDTH and len(f'{expr}, "{message}"') <= CALL_WIDTH:
        return [one]
    inner = indent + "    "
    lines = [f"{indent}assert!("]
    if len(f"{inner}{expr},") <= WIDTH:
        lines.append(f"{inner}{expr},")
    else:  # `offset_of!(S, f) == n` split inside the macro call
        call, _, rest = expr.partition(") ")
        name, _, args = call.partition("(")
        lines += [f"{inner}{name}(", *(f"{inner}    {a.strip()}," for a in args.split(",")), f"{inner}) {rest},"]
    lines += [f'{inner}"{message}"', f"{indent});"]
    return lines


def _struct_view(schema: Schema, struct: Struct, statics: set[str]) -> dict:
    return {
        "kind": "struct", "name": struct.name, "doc": doc_lines(struct.doc), "send_sync": struct.name in statics,
        "fields": [{"name": escape("rust", f.name), "type": rust_type(schema, f.type), "doc": doc_lines(f.doc)}
                   for f in struct.fields],
    }


def _function_view(schema: Schema, fn: Function) -> dict:
    returns = "" if isinstance(fn.returns, Void) else f" -> {rust_type(schema, fn.returns)}"
    params = [f"{escape('rust', p.name)}: {rust_type(schema, p.type)}" for p in fn.params]
    return {"kind": "function", "name": fn.name, "doc": doc_lines(fn.doc), "lines": fn_type_lines(fn.name, params, returns)}


def fn_type_lines(name: str, params: list[str], returns: str) -> list[str]:
    """`pub type F = unsafe extern "C" fn(..) -> R;` as rustfmt lays it out: one line; else
    the type alone on the next line; else one parameter a line."""
    rhs = f'unsafe extern "C" fn({", ".join(params)}){returns};'
    if len(f"pub type {name} = {rhs}") <= WIDTH:
        return [f"pub type {name} = {rhs}"]
    if len(f"    {rhs}") <= WIDTH:
        return [f"pub type {name} =", f"    {rhs}"]
    return call_lines(f'pub type {name} = unsafe extern "C" fn', params, f"{returns};", "")


def _items(schema: Schema) -> list[dict]:
    statics = _statics(schema)
    views = []
    for item in [*schema.enums, *schema.structs, *schema.functions]:
        if isinstance(item, Enum):
            views.append(_enum_view(item))
        elif isinstance(item, Struct):
            views.append(_struct_view(schema, item, statics))
        else:
            views.append(_function_view(schema, item))
    return views


#: LayoutGroup.kind -> the `cfg` predicate selecting it (mirrors the C header's `#if`).
GROUP_CFG = {
    "64bit": 'target_pointer_width = "64"',
    "i386": 'all(target_pointer_width = "32", target_arch = "x86", not(windows))',
    "32bit": 'all(target_pointer_width = "32", not(all(target_arch = "x86", not(windows))))',
}


def cfg_lines(predicate: str) -> list[str]:
    """`#[cfg(all(a, b))]`, or `all`'s arguments one a line when they pass rustfmt's
    attr_fn_like_width (70), as rustfmt writes it."""
    if predicate.startswith("all(") and len(predicate) - 5 > 70:
        args = _top_level_args(predicate[4:-1])
        return ["#[cfg(all(", *(f"    {a}," for a in args[:-1]), f"    {args[-1]}", "))]"]
    return [f"#[cfg({predicate})]"]


def _top_level_args(text: str) -> list[str]:
    """`a, f(b, c)` -> [`a`, `f(b, c)`]: split at commas outside parentheses."""
    args, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            args.append(text[start:i].strip())
            start = i + 1
    return [*args, text[start:].strip()]


def _layout_view(schema: Schema) -> list[dict]:
    groups = []
    for group in layout_groups(schema):
        asserts = []
        for sl in group.table.structs:
            struct = schema.struct(sl.name)
            asserts += assert_lines(f"size_of::<{sl.name}>() == {sl.size}", f"{sl.name} size")
            asserts += assert_lines(f"align_of::<{sl.name}>() == {sl.align}", f"{sl.name} align")
            for f, fl in zip(struct.fields, sl.fields):
                asserts += assert_lines(f"offset_of!({sl.name}, {escape('rust', f.name)}) == {fl.offset}",
                                        f"{sl.name}.{f.name} offset")
        groups.append({"label": group.label, "cfg": cfg_lines(GROUP_CFG[group.kind]), "lines": asserts})
    return groups


def _probe_view(schema: Schema) -> dict | None:
    """The probe statics and export macro, when the schema defines the probe export."""
    export = export_named(schema, "layout_probe")
    if export is None:
        return None
    returns = schema.function(export.function).returns
    if not (isinstance(returns, Pointer) and isinstance(returns.target, Named)):
        return None
    struct = schema.struct(returns.target.name)
    if len(struct.fields) != 3:
        return None
    values = probe_values(schema, "size_of::<{struct}>() as u32", "align_of::<{struct}>() as u32",
                          "offset_of!({struct}, {field}) as u32", field=lambda name: escape("rust", name))
    version = next((c.name for c in schema.constants if c.name.endswith("LAYOUT_PROBE_VERSION")), "1")
    return {
        "symbol": export.name, "struct": struct.name, "values": values, "version": version,
        "fields": [escape("rust", f.name) for f in struct.fields],
        "doc": doc_lines(export.doc),
    }


def view(schema: Schema) -> dict:
    return {
        "banner": banner_lines(schema),
        "abi_doc": doc_lines(schema.doc),
        "abi_name": schema.name.replace("_", "-"),
        "abi_version": schema.version,
        "constants": [{"name": c.name, "type": RUST_SCALARS[c.type.name], "value": rust_literal(c.type.name, c.value),
                       "doc": doc_lines(c.doc)} for c in schema.constants],
        "pointer_check": pointer_requirement(schema),
        "items": _items(schema),
        "helpers": helpers(schema),
        "exports": [{"const": f"{e.name.upper()}_SYMBOL", "name": e.name, "function": e.function,
                     "doc": doc_lines(e.doc)} for e in schema.exports],
        "groups": _layout_view(schema),
        "probe": _probe_view(schema),
    }


def generate(schema: Schema) -> list[GeneratedFile]:
    return [GeneratedFile(MODULE, render("rust/nylon_ring_abi.rs.j2", **view(schema)))]
