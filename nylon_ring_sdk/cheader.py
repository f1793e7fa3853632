"""Reading a C header back into the schema model, with pycparser.

This is the round trip that proves the C generator and the layout engine agree
without trusting either: schema -> header -> pycparser -> model -> layout must
equal the schema's own layout. It also lets `nylon-ring layout --header` compare a
hand-written or vendored header (upstream's `c/nylon_ring.h`, say) against either
generation of the schema.

The header is preprocessed by a real C preprocessor (`cc -E`, or `zig cc -E`) against
a folder of small fake libc headers (as pycparser's own `fake_libc_include` does), so
pycparser sees plain C whatever the header includes. It understands both spellings
of a struct (`struct X {...};` and `typedef struct {...} X;`), function-pointer
fields declared inline, `typedef uint32_t NrStatus;` plus an anonymous enum, export
and visibility attributes, `_Static_assert`s and `extern "C"` guards.

Comparison is by field name: each schema field must exist in the header with the same
offset, size and type (function pointers compare by signature, not typedef name), so
two same-size slots swapped are reported, not just a size change.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from pycparser import c_ast, c_parser

from .errors import NylonRingError
from .layout import DataModel, compute_layout, data_model
from .naming import escape
from .schema.model import (Array, Enum, Field, FnPointer, Function, Named, Param, Pointer, Scalar, Schema, Struct,
                           TypeRef, Void, dependencies, type_names)
from .toolchain import c_compiler

C_TO_SCALAR = {
    "uint8_t": "u8", "uint16_t": "u16", "uint32_t": "u32", "uint64_t": "u64",
    "int8_t": "i8", "int16_t": "i16", "int32_t": "i32", "int64_t": "i64",
    "size_t": "usize", "uintptr_t": "usize", "ptrdiff_t": "isize", "intptr_t": "isize",
    "float": "f32", "double": "f64", "bool": "bool", "_Bool": "bool",
    "unsigned char": "u8", "signed char": "i8", "char": "u8", "unsigned short": "u16", "short": "i16",
    "unsigned int": "u32", "unsigned": "u32", "int": "i32", "unsigned long long": "u64", "long long": "i64",
}

# Fake libc headers: just what ABI headers use. Scalars are declared as the fixed-width
# names themselves so the parser's type names map straight onto the schema's.
_FAKE_LIBC = {
    "stdint.h": """
typedef unsigned char uint8_t; typedef unsigned short uint16_t; typedef unsigned int uint32_t;
typedef unsigned long long uint64_t; typedef signed char int8_t; typedef short int16_t;
typedef int int32_t; typedef long long int64_t;
typedef unsigned long uintptr_t; typedef long intptr_t;
#define UINT8_MAX 0xFF
#define UINT16_MAX 0xFFFF
#define UINT32_MAX 0xFFFFFFFFu
#define UINT64_MAX 0xFFFFFFFFFFFFFFFFull
#define INT64_MIN (-0x7FFFFFFFFFFFFFFFll - 1)
#define INT64_MAX 0x7FFFFFFFFFFFFFFFll
#define UINTPTR_MAX 0xFFFFFFFFFFFFFFFFu
""",
    "stddef.h": "typedef unsigned long size_t; typedef long ptrdiff_t;\n#define NULL ((void *)0)\n",
    "stdbool.h": "typedef _Bool bool;\n#define true 1\n#define false 0\n",
    "inttypes.h": '#include "stdint.h"\n',
    "limits.h": "", "stdlib.h": '#include "stddef.h"\n', "string.h": '#include "stddef.h"\n', "assert.h": "",
}


class HeaderError(NylonRingError):
    """Raised when a C header cannot be preprocessed or parsed."""


def _preprocess(text: str, source: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        fake = Path(tmp) / "fake_libc"
        fake.mkdir()
        for name, body in _FAKE_LIBC.items():
            (fake / name).write_text(body)
        path = Path(tmp) / "header.c"
        path.write_text(text)
        cmd = [*c_compiler(), "-E", "-P", "-std=c11", "-nostdinc", "-undef", "-I", str(fake),
               "-D__attribute__(x)=", "-D__declspec(x)=", "-D__extension__=", "-D__restrict=", "-D__inline=inline",
               str(path)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True)
        except OSError as exc:
            raise HeaderError(f"{source}: cannot run the C preprocessor {cmd[0]} ({exc})") from None
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.strip().splitlines() if "error" in ln] or proc.stderr.strip().splitlines()
        first = (lines or ["preprocessor failed"])[0].replace(str(path), source)
        raise HeaderError(f"{source}: cannot preprocess: {first}")
    return proc.stdout


@dataclass
class _Reader:
    """Turns pycparser declarations into schema types, collecting structs and function types."""

    source: str
    aliases: dict[str, TypeRef]
    functions: dict[str, Function]
    structs: dict[str, Struct]

    def typeref(self, node, where: str) -> TypeRef:
        if isinstance(node, c_ast.TypeDecl):
            return self.typeref(node.type, where)
        if isinstance(node, c_ast.IdentifierType):
            cname = " ".join(n for n in node.names if n != "const")
            if cname in self.aliases:
                return self.aliases[cname]
            if cname in C_TO_SCALAR:
                return Scalar(C_TO_SCALAR[cname])
            if cname == "void":
                return Void()
            return Named(cname)
        if isinstance(node, c_ast.Struct):
            if node.decls is not None:
                return Named(self.struct(node, node.name or where))
            return Named(node.name)
        if isinstance(node, c_ast.Enum):
            return Scalar("u32")  # a C enum member's type; ABI headers use a u32 typedef instead
        if isinstance(node, c_ast.PtrDecl):
            if isinstance(node.type, c_ast.FuncDecl):
                return FnPointer(self.function(node.type, where), True)
            quals = getattr(node.type, "quals", [])
            return Pointer(self.typeref(node.type, where), "const" not in quals)
        if isinstance(node, c_ast.ArrayDecl):
            try:
                length = int(node.dim.value.rstrip("uUlL"), 0)
            except (AttributeError, ValueError):
                raise HeaderError(f"{self.source}: {where}: array length is not a plain integer") from None
            return Array(self.typeref(node.type, where), length)
        raise HeaderError(f"{self.source}: {where}: unsupported declaration {type(node).__name__}")

    def field_type(self, node, where: str) -> TypeRef:
        t = self.typeref(node, where)
        if isinstance(t, Named) and t.name in self.functions:
            return FnPointer(t.name, True)
        return t

    def function(self, fdecl, name: str) -> str:
        """Register a function type (a typedef, or an inline pointer field named `name`)."""
        params = []
        for i, p in enumerate(fdecl.args.params if fdecl.args else []):
            t = self.field_type(p.type, f"{name} parameter {i + 1}")
            if isinstance(p, c_ast.Typename) and isinstance(t, Void):
                continue  # (void)
            params.append(Param(p.name or f"_{i}", t))
        self.functions[name] = Function(name, self.field_type(fdecl.type, f"{name} result"), tuple(params), "")
        return name

    def struct(self, node, name: str) -> str:
        fields = tuple(Field(d.name, self.field_type(d.type, f"{name}.{d.name}"), "") for d in node.decls)
        self.structs[name] = Struct(name, fields, "")
        return name


def parse_header(text: str, source: str = "<header>", name: str = "header") -> Schema:
    """The structs and function types a header declares, as a Schema (enums become their u32 typedef)."""
    code = _preprocess(text, source)
    try:
        ast = c_parser.CParser().parse(code, filename=source)
    except Exception as exc:  # pycparser raises ParseError and plain errors alike
        raise HeaderError(f"{source}: cannot parse: {exc}") from None
    reader = _Reader(source, {}, {}, {})
    for ext in ast.ext:
        if isinstance(ext, c_ast.Typedef):
            _typedef(reader, ext)
        elif isinstance(ext, c_ast.Decl) and isinstance(ext.type, c_ast.Struct) and ext.type.decls is not None:
            reader.struct(ext.type, ext.type.name)
    _check_resolved(reader)
    return Schema(name=name, version=0, doc="", constants=(), enums=(), structs=tuple(reader.structs.values()),
                  functions=tuple(reader.functions.values()), exports=(), source=source)


def _typedef(reader: _Reader, ext) -> None:
    """`typedef R (*F)(...)`, `typedef struct {...} X`, `typedef struct X X`, `typedef uint32_t NrStatus`."""
    t = ext.type
    if isinstance(t, c_ast.PtrDecl) and isinstance(t.type, c_ast.FuncDecl):
        reader.function(t.type, ext.name)
    elif isinstance(t, c_ast.TypeDecl) and isinstance(t.type, c_ast.Struct):
        inner = t.type
        if inner.decls is not None:
            reader.struct(inner, ext.name)
            if inner.name and inner.name != ext.name:
                reader.aliases[inner.name] = Named(ext.name)
        elif inner.name != ext.name:
            reader.aliases[ext.name] = Named(inner.name)
    elif isinstance(t, c_ast.TypeDecl) and isinstance(t.type, (c_ast.IdentifierType, c_ast.Enum)):
        if ext.name not in C_TO_SCALAR:  # the fake libc's own typedefs: the names already are the scalars
            reader.aliases[ext.name] = reader.typeref(t, ext.name)


def _check_resolved(reader: _Reader) -> None:
    """Every struct a field holds by value must be defined: otherwise it has no layout."""
    for s in reader.structs.values():
        for f in s.fields:
            for dep in type_names(f.type, False):
                if dep not in reader.structs and dep not in reader.functions:
                    raise HeaderError(f"{reader.source}: {s.name}.{f.name}: type '{dep}' is not defined in the header")


def header_layout(text: str, model: str | DataModel = "lp64", source: str = "<header>"):
    """The layout table of the structs a header declares, under a data model."""
    return compute_layout(parse_header(text, source), model if isinstance(model, DataModel) else data_model(model))


def canonical(schema: Schema, t: TypeRef) -> str:
    """A type as the ABI sees it, independent of spelling: enums as their repr, function
    pointers as their signature (typedef names and nullability do not change the ABI)."""
    if isinstance(t, Scalar):
        return t.name
    if isinstance(t, Void):
        return "void"
    if isinstance(t, Named):
        item = schema.item(t.name) if t.name in schema._index else None
        return item.repr.name if isinstance(item, Enum) else t.name
    if isinstance(t, Pointer):
        return f"ptr<{'mut' if t.mutable else 'const'} {canonical(schema, t.target)}>"
    if isinstance(t, FnPointer):
        fn = schema.function(t.function)
        params = ", ".join(canonical(schema, p.type) for p in fn.params)
        return f"fn({params}) -> {canonical(schema, fn.returns)}"
    return f"[{canonical(schema, t.element)}; {t.length}]"


def optional_structs(schema: Schema) -> set[str]:
    """Structs only optional exports reach (NrLayoutProbe, ABI 1's NrHostExt): a header may leave them out."""
    def reach(names) -> set[str]:
        seen: set[str] = set()
        queue = deque(names)
        while queue:
            name = queue.popleft()
            if name in seen or name not in schema._index:
                continue
            seen.add(name)
            queue.extend(dependencies(schema.item(name), through_pointers=True))
        return seen

    required = reach(e.function for e in schema.exports if e.required)
    return {s.name for s in schema.structs if s.name not in required}


def compare_header(schema: Schema, text: str, model: str | DataModel = "lp64", source: str = "<header>",
                   target: str | None = None) -> list[str]:
    """Differences between a header's structs and the schema's, one line each (empty: they agree).

    Fields are matched by name (the C spelling, so keyword escapes match), and each is
    compared by offset, size and type. A struct that only optional exports use may be
    missing from the header.
    """
    dm = model if isinstance(model, DataModel) else data_model(model)
    ours = compute_layout(schema, target or dm)
    header = parse_header(text, source)
    theirs = {s.name: s for s in compute_layout(header, dm).structs}
    optional = optional_structs(schema)
    problems: list[str] = []
    for mine in ours.structs:
        other = theirs.get(mine.name)
        if other is None:
            if mine.name not in optional:
                problems.append(f"{source}: struct {mine.name}: missing (expected as in {schema.source})")
            continue
        problems += _compare_struct(schema, header, mine, other, source)
    return problems


def _compare_struct(schema: Schema, header: Schema, mine, other, source: str) -> list[str]:
    problems: list[str] = []
    name = mine.name
    if (other.size, other.align) != (mine.size, mine.align):
        problems.append(f"{source}: {name}: size {other.size} align {other.align} "
                        f"(schema: size {mine.size} align {mine.align})")
    their_fields = {f.name: (f, t) for f, t in zip(other.fields, header.struct(name).fields)}
    ours_named = {escape("c", f.name) for f in schema.struct(name).fields}
    for fl, field in zip(mine.fields, schema.struct(name).fields):
        cname = escape("c", field.name)
        want = canonical(schema, field.type)
        if cname not in their_fields:
            problems.append(f"{source}: {name}.{cname}: missing (schema: offset {fl.offset} size {fl.size} type {want})")
            continue
        tl, tfield = their_fields[cname]
        got = canonical(header, tfield.type)
        if (tl.offset, tl.size) != (fl.offset, fl.size):
            problems.append(f"{source}: {name}.{cname}: offset {tl.offset} size {tl.size} "
                            f"(schema: offset {fl.offset} size {fl.size})")
        if got != want:
            problems.append(f"{source}: {name}.{cname}: type {got} (schema: {want})")
    for extra in (n for n in their_fields if n not in ours_named):
        tl, _ = their_fields[extra]
        problems.append(f"{source}: {name}.{extra}: not in the schema (offset {tl.offset} size {tl.size})")
    return problems
