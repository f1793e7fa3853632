"""Reading a C header back into the schema model, with pycparser.

This is the round trip that proves the C generator and the layout engine agree
without trusting either: schema -> header -> pycparser -> model -> layout must
equal the schema's own layout. It also lets `nylon-ring layout --header` compare a
hand-written or vendored header against the schema.

The header is preprocessed by a real C preprocessor (`cc -E`, or `zig cc -E`)
with the standard headers replaced by a small prelude, so pycparser sees plain C.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from .errors import NylonRingError
from .layout import DataModel, data_model
from .schema.model import Array, Field, FnPointer, Function, Named, Param, Pointer, Scalar, Schema, Struct, TypeRef, Void

C_TO_SCALAR = {
    "uint8_t": "u8", "uint16_t": "u16", "uint32_t": "u32", "uint64_t": "u64",
    "int8_t": "i8", "int16_t": "i16", "int32_t": "i32", "int64_t": "i64",
    "size_t": "usize", "uintptr_t": "usize", "ptrdiff_t": "isize", "intptr_t": "isize",
    "float": "f32", "double": "f64", "bool": "bool", "_Bool": "bool",
}

_PRELUDE = """
typedef unsigned char uint8_t; typedef unsigned short uint16_t; typedef unsigned int uint32_t;
typedef unsigned long long uint64_t; typedef signed char int8_t; typedef short int16_t;
typedef int int32_t; typedef long long int64_t; typedef unsigned long size_t;
typedef unsigned long uintptr_t; typedef long ptrdiff_t; typedef long intptr_t; typedef _Bool bool;
#define UINTPTR_MAX 0xFFFFFFFFFFFFFFFFu
#define NULL 0
"""


class HeaderError(NylonRingError):
    """Raised when a C header cannot be preprocessed or parsed."""


def _preprocess(text: str, source: str) -> str:
    from .toolchain import c_compiler

    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#include"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "header.c"
        # The layout asserts are the compiler's business, not the parser's.
        path.write_text(_PRELUDE + "#define NR__STATIC_ASSERT(c, m)\n" + body)
        cmd = [*c_compiler(), "-E", "-P", "-nostdinc", "-U__GNUC__", "-U__clang__", "-D__attribute__(x)=",
               "-D__declspec(x)=", str(path)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["preprocessor failed"])[0]
        raise HeaderError(f"{source}: cannot preprocess: {first}")
    # The assert macro is defined inside the header as well; drop stray statements it leaves.
    return "\n".join(line for line in proc.stdout.splitlines() if line.strip() != ";")


def parse_header(text: str, source: str = "<header>", name: str = "header") -> Schema:
    """The structs and function-pointer typedefs a header declares, as a Schema."""
    from pycparser import c_ast, c_parser

    code = _preprocess(text, source)
    try:
        ast = c_parser.CParser().parse(code, filename=source)
    except Exception as exc:  # pycparser raises ParseError and plain errors alike
        raise HeaderError(f"{source}: {exc}") from None

    aliases: dict[str, TypeRef] = {}
    functions: dict[str, Function] = {}
    structs: dict[str, Struct] = {}
    order: list[str] = []

    def typeref(node) -> TypeRef:
        if isinstance(node, c_ast.TypeDecl):
            return typeref(node.type)
        if isinstance(node, c_ast.IdentifierType):
            cname = " ".join(node.names)
            if cname in C_TO_SCALAR:
                return Scalar(C_TO_SCALAR[cname])
            if cname == "void":
                return Void()
            if cname in aliases:
                return aliases[cname]
            return Named(cname)
        if isinstance(node, c_ast.Struct):
            return Named(node.name)
        if isinstance(node, c_ast.PtrDecl):
            if isinstance(node.type, c_ast.FuncDecl):
                raise HeaderError(f"{source}: inline function pointer types are not supported (expected a typedef)")
            inner = node.type
            quals = getattr(inner, "quals", [])
            return Pointer(typeref(inner), "const" not in quals)
        if isinstance(node, c_ast.ArrayDecl):
            return Array(typeref(node.type), int(node.dim.value.rstrip("uUlL"), 0))
        raise HeaderError(f"{source}: unsupported declaration {type(node).__name__}")

    def field_type(node) -> TypeRef:
        t = typeref(node)
        if isinstance(t, Named) and t.name in functions:
            return FnPointer(t.name, True)
        return t

    for ext in ast.ext:
        if isinstance(ext, c_ast.Typedef):
            t = ext.type
            if isinstance(t, c_ast.PtrDecl) and isinstance(t.type, c_ast.FuncDecl):
                fdecl = t.type
                params = []
                for p in (fdecl.args.params if fdecl.args else []):
                    if isinstance(p, c_ast.Typename):
                        continue  # (void)
                    params.append(Param(p.name, field_type(p.type)))
                functions[ext.name] = Function(ext.name, field_type(fdecl.type), tuple(params), "")
            elif isinstance(t, c_ast.TypeDecl) and isinstance(t.type, c_ast.IdentifierType):
                aliases[ext.name] = typeref(t)
        elif isinstance(ext, c_ast.Decl) and isinstance(ext.type, c_ast.Struct) and ext.type.decls:
            s = ext.type
            fields = tuple(Field(d.name, field_type(d.type), "") for d in s.decls)
            structs[s.name] = Struct(s.name, fields, "")
            order.append(s.name)
    return Schema(name=name, version=1, doc="", constants=(), enums=(),
                  structs=tuple(structs[n] for n in order), functions=tuple(functions.values()),
                  exports=(), source=source)


def header_layout(text: str, model: str | DataModel = "lp64", source: str = "<header>"):
    """The layout table of the structs a header declares, under a data model."""
    from .layout import compute_layout

    return compute_layout(parse_header(text, source), model if isinstance(model, DataModel) else data_model(model))


def compare_header(schema: Schema, text: str, model: str | DataModel = "lp64", source: str = "<header>",
                   target: str | None = None) -> list[str]:
    """Differences between a header's layouts and the schema's, one line each (empty: they agree).

    Fields are compared by position, since C escapes keyword field names.
    """
    from .layout import compute_layout

    dm = model if isinstance(model, DataModel) else data_model(model)
    theirs = {s.name: s for s in header_layout(text, dm, source).structs}
    problems: list[str] = []
    for ours in compute_layout(schema, dm).structs:
        other = theirs.get(ours.name)
        if other is None:
            problems.append(f"{source}: struct {ours.name}: missing")
            continue
        if (other.size, other.align) != (ours.size, ours.align):
            problems.append(f"{source}: {ours.name}: size {other.size} align {other.align} "
                            f"(schema: size {ours.size} align {ours.align})")
        if len(other.fields) != len(ours.fields):
            problems.append(f"{source}: {ours.name}: {len(other.fields)} fields (schema: {len(ours.fields)})")
        for mine, theirs_f in zip(ours.fields, other.fields):
            if (theirs_f.offset, theirs_f.size) != (mine.offset, mine.size):
                problems.append(f"{source}: {ours.name}.{mine.name}: offset {theirs_f.offset} size {theirs_f.size} "
                                f"(schema: offset {mine.offset} size {mine.size})")
    return problems
