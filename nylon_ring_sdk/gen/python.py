"""Python: `nylon_ring_abi.py`, ctypes declarations the reference host is built on.

Data pointers to scalars or void become `c_void_p` (plain integers on the Python
side, cheap to pass around); pointers to schema structs become `POINTER(T)`.
Enums are `c_uint32`-style fields plus an `IntEnum` for names. ctypes cannot
implement a callback that returns a struct by value (NrSetStateFn, NrGetStateFn),
but it can call one, so the types are declared all the same.
"""

from __future__ import annotations

from ..layout import data_models_for
from ..naming import escape, upper_snake
from ..schema.model import Array, Enum, FnPointer, Function, Named, Pointer, Scalar, Schema, Struct, TypeRef, Void
from . import GeneratedFile, banner_lines, render
from .common import doc_lines, export_named, layout_groups, pointer_requirement

PY_SCALARS = {
    "u8": "ctypes.c_uint8", "u16": "ctypes.c_uint16", "u32": "ctypes.c_uint32", "u64": "ctypes.c_uint64",
    "i8": "ctypes.c_int8", "i16": "ctypes.c_int16", "i32": "ctypes.c_int32", "i64": "ctypes.c_int64",
    "usize": "ctypes.c_size_t", "isize": "ctypes.c_ssize_t", "f32": "ctypes.c_float",
    "f64": "ctypes.c_double", "bool": "ctypes.c_bool",
}
MODULE = "nylon_ring_abi.py"


def ctype(schema: Schema, t: TypeRef) -> str:
    if isinstance(t, Scalar):
        return PY_SCALARS[t.name]
    if isinstance(t, Void):
        return "None"
    if isinstance(t, Named):
        item = schema.item(t.name)
        return PY_SCALARS[item.repr.name] if isinstance(item, Enum) else t.name
    if isinstance(t, Pointer):
        if isinstance(t.target, Named) and isinstance(schema.item(t.target.name), Struct):
            return f"ctypes.POINTER({t.target.name})"
        return "ctypes.c_void_p"
    if isinstance(t, FnPointer):
        return t.function
    if isinstance(t, Array):
        return f"({ctype(schema, t.element)} * {t.length})"
    raise TypeError(t)


def enum_member(value: str) -> str:
    return escape("python", upper_snake(value))


def view(schema: Schema) -> dict:
    # Struct classes are declared empty first and get `_fields_` in value order, so
    # pointers may refer to any struct (even itself) and function types may take
    # structs by value.
    stubs = [{"name": s.name, "doc": doc_lines(s.doc, 84)} for s in schema.structs]
    items = []
    for item in schema.items_in_order():
        if isinstance(item, Enum):
            items.append({"kind": "enum", "name": item.name, "doc": doc_lines(item.doc, 84),
                          "members": [{"name": enum_member(v.name), "value": v.value} for v in item.values]})
        elif isinstance(item, Struct):
            items.append({"kind": "struct", "name": item.name,
                          "fields": [{"name": escape("python", f.name), "ctype": ctype(schema, f.type)}
                                     for f in item.fields]})
        else:
            items.append({"kind": "function", "name": item.name, "doc": " ".join(item.doc.split()),
                          "restype": ctype(schema, item.returns),
                          "argtypes": [ctype(schema, p.type) for p in item.params]})
    layouts = []
    for group in layout_groups(schema):
        structs = []
        for sl in group.table.structs:
            struct = schema.struct(sl.name)
            structs.append({"name": sl.name, "size": sl.size, "align": sl.align,
                            "offsets": [{"name": escape("python", f.name), "offset": fl.offset}
                                        for f, fl in zip(struct.fields, sl.fields)]})
        layouts.append({"models": list(group.models), "structs": structs})
    probe = []
    for s in schema.structs:
        probe.append({"name": s.name, "fields": [escape("python", f.name) for f in s.fields]})
    return {
        "banner": banner_lines(schema),
        "abi_doc": doc_lines(schema.doc, 84),
        "abi_name": schema.name.replace("_", "-"),
        "abi_version": schema.version,
        "constants": [{"name": c.name, "value": c.value, "doc": " ".join(c.doc.split())} for c in schema.constants],
        "items": items,
        "stubs": stubs,
        "layouts": layouts,
        "probe": probe,
        "data_models": [m.name for m in data_models_for(schema)],
        "exports": [{"name": e.name, "function": e.function, "required": e.required} for e in schema.exports],
        "entry_symbol": schema.entry_export.name,
        "status_enum": schema.status_enum.name,
        "probe_symbol": _symbol(schema, "layout_probe"),
        "ext_symbol": _symbol(schema, "set_host_ext"),
        "manifest_symbol": _symbol(schema, "manifest"),
        "missing_layout": pointer_requirement(schema) or "no layout table for this data model",
    }


def _symbol(schema: Schema, role: str) -> str:
    """A Python literal naming the export that plays `role`: `"nylon_ring_manifest"`, or `None`."""
    export = export_named(schema, role)
    return f'"{export.name}"' if export else "None"


def generate(schema: Schema) -> list[GeneratedFile]:
    return [GeneratedFile(MODULE, render("python/nylon_ring_abi.py.j2", **view(schema)))]
