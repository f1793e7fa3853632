"""Go: the cgo package `nylonring`, a folder of generated files.

Decisions made here, so the templates only print:

- cgo types belong to the package whose preamble declares them (`C.NrStr` in package
  `sdk` is not `C.NrStr` in package `nylonring`), and a preamble cannot include a `.go`
  file. So the C definitions travel as headers inside the package folder: the C
  generator's `nylon_ring.h` (one C truth, its `_Static_assert`s run inside every cgo
  build), `nylon_ring_cgo.h` (declarations only, safe in the preamble of a file with
  `//export`) and `nylon_ring_calls.h` (static inline helpers for other files). Any
  package can include them with `#cgo CFLAGS: -I${SRCDIR}/<path to nylonring>`.
- `nylon_ring_cgo.h` gives every struct a `<Name>ConstPtr` typedef. cgo spells an
  exported function's parameters with the C type names it was given, so an export
  written with `C.NrHostExtConstPtr` gets exactly the prototype the header declares;
  `*C.NrHostExt` would give `NrHostExt*` and a conflicting declaration.
- Go cannot call a C function pointer, so `nylon_ring_calls.h` has one static inline
  trampoline per function type, `nr_call_<Fn>(fn, args...)`; a NULL pointer does
  nothing (or returns zero) instead of crashing.
- Layout checks are compile-time: `x[unsafe.Sizeof(v) - 16]` indexes a one-element
  array, so any other size is an out-of-range or negative constant and the package
  does not build. One file per group of data models, selected by build constraints on
  GOARCH. On 32-bit targets other than i386 Go aligns 64-bit values to 4 bytes where C
  aligns them to 8: cgo pads fields to C's offsets but the Go type's own alignment is
  smaller, so that group checks sizes and offsets only.
- The layout probe is a C static table built with `sizeof`/`offsetof` by the C
  compiler; `LayoutProbe()` returns a pointer to it (C memory, so it may be handed to
  the host under cgo's pointer rules).
- Go names drop the ABI's own prefix (`NrStatus` -> `Status`, `NR_ABI_VERSION` ->
  `ABIVersion`), since the package name already says nylonring.
"""

from __future__ import annotations

from ..errors import GenerationError
from ..layout import compute_layout
from ..naming import escape, go_cgo_field, keywords, split_words
from ..schema.model import INT_RANGES, Enum, Function, Schema, Void
from . import GeneratedFile, banner_lines, render
from .c import declare, enum_constant, generate as generate_c, view as c_view
from .common import LayoutGroup, doc_lines, layout_groups

PACKAGE = "nylonring"
GO_SCALARS = {
    "u8": "uint8", "u16": "uint16", "u32": "uint32", "u64": "uint64",
    "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64",
    "usize": "uintptr", "isize": "int", "f32": "float32", "f64": "float64", "bool": "bool",
}
# GOARCH values with 8-byte pointers and cgo support.
GO_ARCH_64 = ("amd64", "arm64", "loong64", "mips64", "mips64le", "ppc64", "ppc64le", "riscv64", "s390x")
# System V i386: Linux, BSD and macOS on 386; Windows 386 aligns 64-bit scalars to 8 like ILP32.
GO_I386 = "386 && !windows"
INITIALISMS = {"abi": "ABI", "api": "API", "id": "ID", "sid": "SID", "url": "URL", "http": "HTTP", "json": "JSON"}
# Names this package declares itself; a schema item must not take them.
OWN_NAMES = ("LayoutProbe", "LayoutValues")


def abi_prefix(schema: Schema) -> str:
    """The ABI's own name prefix as a word: `nylon_ring` -> `nr` (from `NrStatus`, `NR_ABI_VERSION`)."""
    return "".join(w[0] for w in split_words(schema.name)).lower()


def go_name(name: str, prefix: str = "") -> str:
    """An exported Go name: `NR_ABI_VERSION` -> `ABIVersion`, `NrStatus` -> `Status`."""
    words = split_words(name)
    if len(words) > 1 and prefix and words[0].lower() == prefix:
        words = words[1:]
    return "".join(INITIALISMS.get(w.lower(), w[:1].upper() + w[1:].lower()) for w in words)


def c_type_ref(name: str) -> str:
    """How Go names a C struct typedef: `C.NrStr`, or `C.struct_type` when the name is a Go keyword."""
    return f"C.struct_{name}" if name in keywords("go") else f"C.{name}"


def cgo_field(name: str) -> str:
    """A field as cgo exposes it: the C header's spelling, then cgo's Go-keyword escape."""
    return go_cgo_field(escape("c", name))


# Data models as Go tells them apart: GOARCH classes, each with a file-name label.
_MODEL_CLASS = {"lp64": "64", "llp64": "64", "ilp32-i386": "i386", "ilp32": "32"}
_ANY64 = " || ".join(GO_ARCH_64)
_CLASS_CONSTRAINT = {
    frozenset({"64"}): _ANY64,
    frozenset({"i386"}): GO_I386,
    frozenset({"32"}): f"!({_ANY64}) && !({GO_I386})",
    frozenset({"i386", "32"}): f"!({_ANY64})",
    frozenset({"64", "i386"}): f"{_ANY64} || {GO_I386}",
    frozenset({"64", "32"}): f"!({GO_I386})",
    frozenset({"64", "i386", "32"}): "",
}


def group_target(models: tuple[str, ...]) -> tuple[str, str, bool]:
    """(file name, `//go:build` expression, whether Go's alignments equal C's) for a group.

    A group holding every data model needs no constraint (file `layout.go`). Names avoid
    ending in a GOARCH other than the one the file is for, since Go reads `_386.go` as
    a constraint. On 32-bit targets other than i386 Go aligns 64-bit values to 4 bytes
    where C aligns them to 8, so a group including them checks sizes and offsets only.
    """
    classes = sorted({_MODEL_CLASS[m] for m in models}, key=["64", "i386", "32"].index)
    constraint = _CLASS_CONSTRAINT[frozenset(classes)]
    name = "layout.go" if not constraint else "layout_" + "_".join(classes) + ".go"
    return name, constraint, "32" not in classes


def _group_view(schema: Schema, group: LayoutGroup) -> dict:
    file, constraint, check_align = group_target(group.models)
    structs, rows = [], []
    for i, sl in enumerate(group.table.structs):
        struct = schema.struct(sl.name)
        fields = [{"go": cgo_field(f.name), "offset": fl.offset} for f, fl in zip(struct.fields, sl.fields)]
        structs.append({"var": f"s{i}", "ctype": c_type_ref(sl.name), "size": sl.size, "align": sl.align,
                        "fields": fields})
        values = [sl.size, sl.align, *(fl.offset for fl in sl.fields)]
        rows.append({"name": sl.name, "values": ", ".join(str(v) for v in values)})
    return {"file": file, "constraint": constraint, "label": group.label,
            "check_align": check_align, "structs": structs, "rows": rows}


def _go_doc(name: str, c_name: str, doc: str) -> str:
    """A Go doc comment's text: starts with the Go name and says the C name when it differs."""
    head = name if name == c_name else f"{name} ({c_name})"
    return f"{head}: {' '.join(doc.split())}"


def _enum_view(enum: Enum, prefix: str) -> dict:
    name = go_name(enum.name, prefix)
    signed = enum.repr.name.startswith("i")
    used = {v.value for v in enum.values}
    low, high = INT_RANGES[enum.repr.name]
    unnamed = next(n for n in range(low, high + 1) if n not in used)  # for the String() test
    return {
        "name": name, "c_name": enum.name, "doc": doc_lines(_go_doc(name, enum.name, enum.doc), 84),
        "repr": GO_SCALARS[enum.repr.name],
        "format": "strconv.FormatInt(int64(v), 10)" if signed else "strconv.FormatUint(uint64(v), 10)",
        "unnamed": unnamed,
        "values": [{"name": name + go_name(v.name), "label": v.name, "value": v.value,
                    "c_const": enum_constant(enum, v.name),
                    "doc": _go_doc(name + go_name(v.name), enum_constant(enum, v.name), v.doc)}
                   for v in enum.values],
    }


def _trampoline(fn: Function) -> dict:
    """`nr_call_<Fn>`: calls a function pointer of type `fn` from Go; NULL-safe."""
    params = ", ".join([f"{fn.name} nr__fn", *(declare(p.type, escape("c", p.name)) for p in fn.params)])
    returns_void = isinstance(fn.returns, Void)
    return {
        "fn": fn.name,
        "decl": declare(fn.returns, f"nr_call_{fn.name}({params})"),
        "args": ", ".join(escape("c", p.name) for p in fn.params),
        "void": returns_void,
        "zero": "" if returns_void else declare(fn.returns, "nr__zero"),
    }


def _probe_view(schema: Schema) -> dict | None:
    """The probe table (the C generator's expressions) and the probe struct's fields, or None."""
    c = c_view(schema)
    if not c["probe_export"]:
        return None
    if not c["probe_struct"]:
        raise GenerationError(f"exports.{c['probe_export']}: expected a function returning ptr<const Struct>")
    struct = schema.struct(c["probe_struct"])
    if len(struct.fields) != 3:
        raise GenerationError(f"structs.{struct.name}: expected three fields (version, count, values) for the layout probe")
    version = c["probe_version"]
    return {
        "struct": struct.name, "export": c["probe_export"], "values": c["probe"], "version": version,
        "version_go": "1" if version == "1u" else go_name(version, abi_prefix(schema)),
        "labels": compute_layout(schema, "lp64").probe_labels(),
        "version_field": cgo_field(struct.fields[0].name), "count_field": cgo_field(struct.fields[1].name),
        "values_field": cgo_field(struct.fields[2].name),
    }


def _check_names(view: dict) -> None:
    """Two schema items must not map to the same Go name (nor to one this package declares)."""
    seen: dict[str, str] = {name: "the nylonring package" for name in OWN_NAMES}
    items = [(c["name"], f"constants.{c['c_name']}") for c in view["constants"]]
    for e in view["enums"]:
        items.append((e["name"], f"enums.{e['c_name']}"))
        items += [(v["name"], f"enums.{e['c_name']}.{v['label']}") for v in e["values"]]
    for name, where in items:
        if name in seen:
            raise GenerationError(f"{where}: Go name '{name}' is already used by {seen[name]} (rename one of them in the schema)")
        seen[name] = where


def view(schema: Schema) -> dict:
    prefix = abi_prefix(schema)
    data = {
        "banner": banner_lines(schema),
        "package": PACKAGE,
        "abi_doc": doc_lines(schema.doc, 84),
        "guard": f"{schema.name.upper()}_CGO_H",
        "calls_guard": f"{schema.name.upper()}_CALLS_H",
        "constants": [{"name": go_name(c.name, prefix), "c_name": c.name, "type": GO_SCALARS[c.type.name],
                       "value": c.value, "doc": _go_doc(go_name(c.name, prefix), c.name, c.doc)}
                      for c in schema.constants],
        "enums": [_enum_view(e, prefix) for e in schema.enums],
        "structs": [s.name for s in schema.structs],
        "trampolines": [_trampoline(f) for f in schema.functions],
        "probe": _probe_view(schema),
        "groups": [_group_view(schema, g) for g in layout_groups(schema)],
    }
    data["imports"] = [name for name, used in (("strconv", data["enums"]), ("unsafe", data["probe"])) if used]
    data["const_checks"] = bool(data["constants"] or data["enums"])
    _check_names(data)
    return data


def generate(schema: Schema) -> list[GeneratedFile]:
    v = view(schema)
    files = [GeneratedFile("nylon_ring.h", generate_c(schema)[0].content),
             GeneratedFile("nylon_ring_cgo.h", render("go/nylon_ring_cgo.h.j2", **v)),
             GeneratedFile("nylon_ring_calls.h", render("go/nylon_ring_calls.h.j2", **v)),
             GeneratedFile("nylonring.go", render("go/nylonring.go.j2", **v))]
    if schema.structs:
        files += [GeneratedFile(g["file"], render("go/layout.go.j2", group=g, **v)) for g in v["groups"]]
    files.append(GeneratedFile("layout_test.go", render("go/layout_test.go.j2", **v)))
    return files
