"""C++: `nylon_ring.hpp`, a C++17 layer over the C header (which it ships alongside).

The C header stays the one declaration of the ABI types; the C++ header adds what
C++ code wants on top of it, inside `namespace <abi name>`:

- `enum class` per schema enum (same width as the C typedef) with `to_c`, a checked
  `to_<enum>()` that returns `std::nullopt` for a value foreign code made up, and
  `to_string`;
- short aliases without the schema's common prefix (`Request` for `NrRequest`);
- NULL-safe views: a *view struct* is a two-field struct `{ptr<const u8>, unsigned len}`.
  One whose name ends in `Str` reads as `std::string_view`, any other as `ByteView`
  (and `std::span<const std::uint8_t>` under C++20);
- `make_<name>()` helper constructors for every struct without arrays or function
  pointers (aggregates of callbacks read better as aggregate initialisers), with
  reserved fields zeroed;
- a `layout` namespace: the layout engine's probe table per data model
  (`kExpected`), the same table as this compiler lays the structs out (`kActual`),
  and one `static_assert` per value.
"""

from __future__ import annotations

from ..naming import escape, snake, split_words, upper_snake
from ..schema.model import Array, Enum, FnPointer, Named, Pointer, Scalar, Schema, Struct, TypeRef
from . import GeneratedFile, banner_lines, render
from . import c as c_gen
from .common import block_comment, layout_groups, probe_entries

HEADER = "nylon_ring.hpp"
# Names the template itself declares inside the namespace; aliases must not take them.
TEMPLATE_NAMES = frozenset({"ByteView", "view", "detail", "layout", "to_c", "to_string"})
UNSIGNED = ("u8", "u16", "u32", "u64", "usize")


def cxx_type(t: Scalar) -> str:
    """A C++ spelling of a scalar: `std::uint32_t` rather than the C header's `uint32_t`."""
    name = c_gen.C_SCALARS[t.name]
    return f"std::{name}" if name.endswith("_t") else name


def cxx_declare(t: TypeRef, declarator: str, const: bool = False) -> str:
    """A declaration whose schema types are `::`-qualified, so that a name inside the
    namespace (an enum class without a prefix to drop) never shadows the C type."""
    if isinstance(t, Pointer):
        return cxx_declare(t.target, "*" + ("const " if const else "") + declarator, not t.mutable)
    base = cxx_type(t) if isinstance(t, Scalar) else (f"::{t.name}" if isinstance(t, Named) else "void")
    return f"{'const ' if const else ''}{base} {declarator}"


def common_prefix(schema: Schema) -> str:
    """The first word every enum, struct and function name shares (`Nr`), or ''.

    Only stripped when every name has more than that one word.
    """
    names = [item.name for item in (*schema.enums, *schema.structs, *schema.functions)]
    firsts = {tuple(split_words(n))[:1] for n in names}
    if len(firsts) != 1 or not names or any(len(split_words(n)) < 2 for n in names):
        return ""
    (first,) = firsts
    return first[0] if first and all(n.startswith(first[0]) for n in names) else ""


def short_names(schema: Schema) -> dict[str, str]:
    """Schema name -> name inside the namespace; the full name where the short one is taken."""
    prefix = common_prefix(schema)
    taken = set(TEMPLATE_NAMES)
    names: dict[str, str] = {}
    for item in (*schema.enums, *schema.structs, *schema.functions):
        short = item.name[len(prefix):]
        ok = short and short[0].isalpha() and short not in taken and escape("c", short) == short
        names[item.name] = short if ok else item.name
        taken.add(names[item.name])
    return names


def constant_name(name: str, prefix: str) -> str:
    """`NR_ABI_VERSION` -> `kAbiVersion` (the schema prefix dropped when all share it)."""
    words = split_words(name)
    if prefix and len(words) > 1 and words[0].lower() == prefix.lower():
        words = words[1:]
    return "k" + "".join(w.capitalize() for w in words)


def view_kind(s: Struct) -> str:
    """`text`, `bytes`, or '' when the struct is not a `{ptr<const u8>, len}` view (followed
    only by reserved fields, which the helpers leave zero: ABI 2's NrStr)."""
    if len(s.fields) < 2 or not all(f.reserved for f in s.fields[2:]):
        return ""
    ptr, length = s.fields[:2]
    is_ptr = isinstance(ptr.type, Pointer) and not ptr.type.mutable and ptr.type.target == Scalar("u8")
    if not (is_ptr and isinstance(length.type, Scalar) and length.type.name in UNSIGNED):
        return ""
    return "text" if s.name.endswith("Str") else "bytes"


def _view(schema: Schema, s: Struct, names: dict[str, str]) -> dict:
    kind = view_kind(s)
    ptr, length = s.fields[:2]
    return {
        "c_name": s.name, "kind": kind, "doc": block_comment(f"{s.doc} A NULL pointer reads as empty."),
        "ptr": escape("c", ptr.name), "len": escape("c", length.name),
        "len_type": cxx_type(length.type), "maker": f"make_{snake(names[s.name])}",
    }


def _param(schema: Schema, f, names: dict[str, str], views: dict[str, dict]) -> dict:
    """How one struct field is taken by a `make_*` function (`decl`) and stored (`value`)."""
    name = escape("c", f.name)
    t = f.type
    if isinstance(t, Named) and t.name in views:
        v = views[t.name]
        ptype = "std::string_view" if v["kind"] == "text" else "ByteView"
        return {"decl": f"{ptype} {name}", "field": name, "value": f"{v['maker']}({name})"}
    if isinstance(t, Named) and isinstance(schema.item(t.name), Enum):
        return {"decl": f"{names[t.name]} {name}", "field": name, "value": f"to_c({name})"}
    if isinstance(t, Named):
        return {"decl": f"const ::{t.name} &{name}", "field": name, "value": name}
    return {"decl": cxx_declare(t, name), "field": name, "value": name}


def _has(t: TypeRef, kind: type) -> bool:
    return isinstance(t, kind) or (isinstance(t, Array) and _has(t.element, kind))


def _makers(schema: Schema, names: dict[str, str], views: dict[str, dict]) -> list[dict]:
    makers = []
    for s in schema.structs:
        if s.name in views or any(_has(f.type, (Array, FnPointer)) for f in s.fields):
            continue
        params = [_param(schema, f, names, views) for f in s.fields if not f.reserved]
        makers.append({"c_name": s.name, "fn": f"make_{snake(names[s.name])}", "params": params,
                       "doc": block_comment(s.doc)})
    return makers


def _enum(e: Enum, names: dict[str, str]) -> dict:
    return {
        "name": names[e.name], "c_name": e.name, "doc": block_comment(e.doc),
        "repr": cxx_type(e.repr), "checked": f"to_{snake(names[e.name])}",
        "members": [{"name": escape("c", v.name), "label": v.name, "c_const": c_gen.enum_constant(e, v.name),
                     "doc": " ".join(v.doc.split())} for v in e.values],
    }


def _probe_actual(schema: Schema) -> list[dict]:
    """The probe table as the compiler lays the structs out, with a label for each value."""
    values = []
    for e in probe_entries(schema):
        if e.kind == "size":
            values.append({"expr": f"sizeof(::{e.struct})", "label": f"{e.struct} size"})
        elif e.kind == "align":
            values.append({"expr": f"alignof(::{e.struct})", "label": f"{e.struct} align"})
        else:
            values.append({"expr": f"offsetof(::{e.struct}, {escape('c', e.field)})",
                           "label": f"{e.struct}.{e.field} offset"})
    return values


def _groups(schema: Schema) -> list[dict]:
    """One expected table per data model group, chosen by the preprocessor (64-bit first)."""
    groups = []
    layouts = layout_groups(schema)
    for i, group in enumerate(layouts):
        values = [f"{v}u" for v in group.table.probe_values()]
        rows = [", ".join(values[j:j + 12]) for j in range(0, len(values), 12)]
        groups.append({"label": group.label, "open": c_gen.group_opener(layouts, i), "rows": rows})
    return groups


def view(schema: Schema) -> dict:
    names = short_names(schema)
    prefix = common_prefix(schema)
    views = {s.name: _view(schema, s, names) for s in schema.structs if view_kind(s)}
    return {
        "banner": banner_lines(schema),
        "abi_doc": block_comment(schema.doc),
        "guard": f"{upper_snake(schema.name)}_HPP",
        "c_header": c_gen.HEADER,
        "namespace": escape("c", snake(schema.name)),
        "constants": [{"name": constant_name(c.name, prefix), "c_name": c.name, "type": cxx_type(c.type),
                       "doc": " ".join(c.doc.split())} for c in schema.constants],
        "enums": [_enum(e, names) for e in schema.enums],
        "aliases": [{"name": names[i.name], "c_name": i.name}
                    for i in (*schema.structs, *schema.functions) if names[i.name] != i.name],
        "views": list(views.values()),
        "makers": _makers(schema, names, views),
        "groups": _groups(schema),
        "close_groups": len(layout_groups(schema)) > 1,
        "actual": _probe_actual(schema),
    }


def generate(schema: Schema) -> list[GeneratedFile]:
    """`nylon_ring.hpp` plus the C header it includes (so one folder holds both)."""
    return [*c_gen.generate(schema), GeneratedFile(HEADER, render("cpp/nylon_ring.hpp.j2", **view(schema)))]
