"""C: `nylon_ring.h`, a C11 header that also compiles as C++.

Enums become a fixed-width typedef plus named constants: a C `enum` has
implementation-defined width before C23, and the ABI needs exactly the schema's
repr. Layout asserts are emitted per group of data models and selected by the
preprocessor, so the header compiles on 64-bit, i386 and other 32-bit targets.
"""

from __future__ import annotations

from ..naming import escape, upper_snake
from ..schema.model import Array, Enum, FnPointer, Function, Named, Pointer, Scalar, Schema, Struct, TypeRef, Void
from . import GeneratedFile, banner_lines, render
from .common import block_comment, doc_lines, export_named, int_limit, layout_groups, pointer_requirement, probe_values

C_SCALARS = {
    "u8": "uint8_t", "u16": "uint16_t", "u32": "uint32_t", "u64": "uint64_t",
    "i8": "int8_t", "i16": "int16_t", "i32": "int32_t", "i64": "int64_t",
    "usize": "size_t", "isize": "ptrdiff_t", "f32": "float", "f64": "double", "bool": "bool",
}
C_SUFFIX = {"u8": "u", "u16": "u", "u32": "u", "u64": "ull", "i64": "ll"}
HEADER = "nylon_ring.h"


def _base(t: TypeRef) -> str:
    if isinstance(t, Scalar):
        return C_SCALARS[t.name]
    if isinstance(t, Void):
        return "void"
    if isinstance(t, Named):
        return t.name
    if isinstance(t, FnPointer):
        return t.function
    raise TypeError(t)


def declare(t: TypeRef, declarator: str, const: bool = False) -> str:
    """A C declaration of `declarator` with type `t` (handles pointers and arrays)."""
    if isinstance(t, Pointer):
        inner = "*" + ("const " if const else "") + declarator
        return declare(t.target, inner, not t.mutable)
    if isinstance(t, Array):
        inner = f"({declarator})" if declarator.startswith("*") else declarator
        return declare(t.element, f"{inner}[{t.length}]", const)
    prefix = "const " if const else ""
    return f"{prefix}{_base(t)} {declarator}".rstrip()


def param_list(fn: Function) -> str:
    if not fn.params:
        return "void"
    return ", ".join(declare(p.type, escape("c", p.name)) for p in fn.params)


def enum_constant(enum: Enum, value: str) -> str:
    """`NrStatus` + `StreamEnd` -> `NR_STATUS_STREAM_END`."""
    return f"{upper_snake(enum.name)}_{upper_snake(value)}"


def literal(scalar: str, value: int) -> str:
    """A C constant of the scalar's type: `2u`, `UINT32_MAX`, `INT64_MIN`."""
    limit = int_limit(scalar, value)
    if limit:
        return f"{C_SCALARS[scalar][:-2].upper()}_{limit.upper()}"
    return f"{value}{C_SUFFIX.get(scalar, '')}"


def _item_view(schema: Schema, item) -> dict:
    if isinstance(item, Enum):
        return {
            "kind": "enum", "name": item.name, "doc": block_comment(item.doc),
            "repr": C_SCALARS[item.repr.name],
            "members": [{"name": enum_constant(item, v.name), "value": v.value, "doc": " ".join(v.doc.split())}
                       for v in item.values],
        }
    if isinstance(item, Struct):
        return {
            "kind": "struct", "name": item.name, "doc": block_comment(item.doc),
            "fields": [{"decl": declare(f.type, escape("c", f.name)), "doc": " ".join(f.doc.split())}
                       for f in item.fields],
        }
    return {
        "kind": "function", "name": item.name, "doc": block_comment(item.doc),
        "decl": declare(item.returns, f"(*{item.name})({param_list(item)})"),
    }


def _assert_groups(schema: Schema) -> list[dict]:
    """One block of layout asserts per data-model group, with the preprocessor line that opens it.

    A single group (a 64-bit-only generation) needs no `#if` at all: the header has
    already refused every other target.
    """
    groups = layout_groups(schema)
    views = []
    for i, group in enumerate(groups):
        asserts = []
        for s in group.table.structs:
            c_struct = schema.struct(s.name)
            asserts.append({"expr": f"sizeof({s.name}) == {s.size}", "msg": f"{s.name} size"})
            asserts.append({"expr": f"NR__ALIGNOF({s.name}) == {s.align}", "msg": f"{s.name} align"})
            for f, fl in zip(c_struct.fields, s.fields):
                asserts.append({"expr": f"offsetof({s.name}, {escape('c', f.name)}) == {fl.offset}",
                                "msg": f"{s.name}.{f.name} offset"})
        views.append({"label": group.label, "open": group_opener(groups, i), "asserts": asserts})
    return views


def group_opener(groups: list, i: int) -> str:
    """The preprocessor line opening group `i`: `#if`, `#elif`, `#else`, or '' for a lone group."""
    if len(groups) == 1:
        return ""
    if i == 0:
        return f"#if {groups[i].c_condition}"
    return f"#elif {groups[i].c_condition}" if groups[i].c_condition else "#else"


def view(schema: Schema) -> dict:
    """The header's view model, built once per schema (C++ and Go read it too; treat it as read-only)."""
    return schema.memo("c.view", lambda: _view(schema))


def _view(schema: Schema) -> dict:
    groups = _assert_groups(schema)
    probe = probe_values(schema, "(uint32_t)sizeof({struct})", "(uint32_t)NR__ALIGNOF({struct})",
                         "(uint32_t)offsetof({struct}, {field})", field=lambda name: escape("c", name))
    exports = [{"decl": declare(schema.function(e.function).returns, f"{e.name}({param_list(schema.function(e.function))})"),
                "doc": block_comment(e.doc), "required": e.required} for e in schema.exports]
    probe_export = export_named(schema, "layout_probe")
    guard = f"{upper_snake(schema.name)}_H"
    return {
        "banner": banner_lines(schema),
        "guard": guard,
        "abi_doc": block_comment(schema.doc),
        "constants": [{"name": c.name, "value": literal(c.type.name, c.value), "doc": " ".join(c.doc.split())}
                      for c in schema.constants],
        "forward": [s.name for s in schema.structs],
        "items": [_item_view(schema, item) for item in schema.items_in_order()],
        "groups": groups,
        "close_groups": len(groups) > 1,
        "pointer_check": pointer_requirement(schema),
        "abi_version": schema.version,
        "exports": exports,
        "probe": probe,
        "probe_export": probe_export.name if probe_export else "",
        "probe_struct": _probe_struct(schema, probe_export),
        "probe_version": next((c.name for c in schema.constants if c.name.endswith("LAYOUT_PROBE_VERSION")), "1u"),
    }


def _probe_struct(schema: Schema, export) -> str:
    """The struct the probe export returns a pointer to."""
    if export is None:
        return ""
    returns = schema.function(export.function).returns
    return returns.target.name if isinstance(returns, Pointer) and isinstance(returns.target, Named) else ""


def generate(schema: Schema) -> list[GeneratedFile]:
    """The header, rendered once per schema: C++ and Go ship the same file beside their own."""
    return [schema.memo("c.header", lambda: GeneratedFile(HEADER, render("c/nylon_ring.h.j2", **view(schema))))]
