"""Reads `abi.toml` into the model and validates it.

Validation is the loader's job, not the generators': a generator may assume every
type resolves, no struct contains itself and every reserved field can be zeroed.
Each problem becomes one :class:`SchemaError` naming the file, the key path, the
line where it can be found, and what was expected.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path
from typing import Any

from ..errors import SchemaError
from .model import (INT_RANGES, INTEGER_SCALARS, SCALARS, Array, Constant, Enum, EnumValue, Export, Field, FnPointer,
                    Function, Named, Param, Pointer, Scalar, Schema, Struct, TypeRef, Void, format_type)

EXPECTED_TYPE = "expected u8..u64, i8..i64, usize, isize, f32, f64, bool, a struct or enum name, ptr<const T>, ptr<mut T>, fn<F>, fn?<F> or [T; N]"
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TOP_LEVEL = ("abi", "constants", "enums", "structs", "functions", "exports")


class _Ctx:
    """Carries the file name and text so every error can point at a line."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def error(self, key: str, message: str) -> SchemaError:
        return SchemaError(self.path, key, message, line=self.locate(key))

    def locate(self, key: str) -> int | None:
        """Best-effort line of a key path such as `structs.NrRequest.fields[3].type`."""
        parts = re.findall(r"[^.\[\]]+|\[\d+\]", key)
        if not parts:
            return None
        header_idx = None
        # Longest table header that is a prefix of the key path.
        for n in range(len(parts), 0, -1):
            names = [p for p in parts[:n] if not p.startswith("[")]
            header = r"\s*\.\s*".join('"?' + re.escape(p) + '"?' for p in names)
            pattern = re.compile(r"^\s*\[\s*" + header + r"\s*(\]|\.)")
            for i, line in enumerate(self.lines):
                if pattern.match(line):
                    header_idx, rest = i, parts[n:]
                    break
            if header_idx is not None:
                break
        if header_idx is None:
            return None
        line_idx = header_idx
        for part in rest:
            if part.startswith("["):
                wanted = int(part[1:-1])
                count = -1
                for i in range(line_idx, len(self.lines)):
                    if re.match(r"^\s*\{", self.lines[i]):
                        count += 1
                        if count == wanted:
                            line_idx = i
                            break
                continue
            for i in range(line_idx, len(self.lines)):
                text = self.lines[i]
                if i > header_idx and re.match(r"^\s*\[", text) and i != line_idx:
                    break
                if re.search(r"(^|[\s{,])" + re.escape(part) + r"\s*=", text):
                    line_idx = i
                    break
        return line_idx + 1


def load_schema(path: str | Path) -> Schema:
    """Load and validate a schema file."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except IsADirectoryError:
        raise SchemaError(str(path), None, "is a directory (expected a schema TOML file)") from None
    except OSError as exc:
        raise SchemaError(str(path), None, f"cannot read schema ({exc.strerror or exc}; expected a schema TOML file)") from None
    return parse_schema(data, str(path))


def parse_schema(data: bytes | str, path: str = "schema/abi.toml") -> Schema:
    """Parse schema text; `path` is only used in messages."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SchemaError(path, None, f"not UTF-8 at byte {exc.start} (expected a UTF-8 TOML file)") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, exc) from None
    ctx = _Ctx(path, text)
    schema = _build(ctx, doc)
    object.__setattr__(schema, "source", path)
    object.__setattr__(schema, "sha256", hashlib.sha256(raw).hexdigest())
    return schema


def _toml_error(path: str, exc: tomllib.TOMLDecodeError) -> SchemaError:
    msg = str(exc)
    m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
    line = col = None
    if m:
        line, col = int(m.group(1)), int(m.group(2))
        msg = msg[: m.start()].strip()
    elif "(at end of document)" in msg:
        msg = msg.replace("(at end of document)", "").strip() + " at end of document"
    return SchemaError(path, None, f"TOML syntax error: {msg}", line=line, col=col)


# ---------------------------------------------------------------- helpers


def _require(ctx: _Ctx, table: dict[str, Any], key: str, prefix: str, kind: type, what: str) -> Any:
    if key not in table:
        raise ctx.error(prefix, f"missing required key '{key}' ({what})")
    value = table[key]
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise ctx.error(f"{prefix}.{key}", f"got {_describe(value)} (expected {what})")
    return value


def _optional(ctx: _Ctx, table: dict[str, Any], key: str, prefix: str, kind: type, what: str,
              default: Any) -> Any:
    if key not in table:
        return default
    return _require(ctx, table, key, prefix, kind, what)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _check_keys(ctx: _Ctx, table: dict[str, Any], prefix: str, allowed: tuple[str, ...]) -> None:
    for key in table:
        if key not in allowed:
            raise ctx.error(f"{prefix}.{key}" if prefix else key,
                            f"unknown key (expected one of {', '.join(allowed)})")


def _check_name(ctx: _Ctx, name: str, key: str) -> None:
    if not IDENT.match(name):
        raise ctx.error(key, f"invalid name {name!r} (expected an identifier: letters, digits, '_', not starting with a digit)")


def _table(ctx: _Ctx, doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise ctx.error(key, f"got {_describe(value)} (expected a table)")
    return value


# ---------------------------------------------------------------- types


def parse_type(text: str) -> TypeRef | None:
    """Parse the schema's type syntax; None when it is not well-formed."""
    s = text.strip()
    if s == "void":
        return Void()
    if s in SCALARS:
        return Scalar(s)
    m = re.fullmatch(r"ptr<\s*(?:(const|mut)\s+)?(.+?)\s*>", s)
    if m:
        target = parse_type(m.group(2))
        return None if target is None else Pointer(target, m.group(1) == "mut")
    m = re.fullmatch(r"fn(\?)?<\s*([A-Za-z_][A-Za-z0-9_]*)\s*>", s)
    if m:
        return FnPointer(m.group(2), bool(m.group(1)))
    m = re.fullmatch(r"\[\s*(.+)\s*;\s*(\d+)\s*\]", s)
    if m:
        element = parse_type(m.group(1))
        return None if element is None else Array(element, int(m.group(2)))
    if IDENT.match(s):
        return Named(s)
    return None


# ---------------------------------------------------------------- building


def _build(ctx: _Ctx, doc: dict[str, Any]) -> Schema:
    _check_keys(ctx, doc, "", TOP_LEVEL)
    if "abi" not in doc:
        raise ctx.error("abi", "missing required table [abi] (expected name, version and doc)")
    abi = _table(ctx, doc, "abi")
    _check_keys(ctx, abi, "abi", ("name", "version", "doc", "pointer_bits"))
    name = _require(ctx, abi, "name", "abi", str, "an identifier such as \"nylon_ring\"")
    _check_name(ctx, name, "abi.name")
    version = _require(ctx, abi, "version", "abi", int, "a positive integer")
    if version < 1:
        raise ctx.error("abi.version", f"got {version} (expected a positive integer)")
    abi_doc = _require(ctx, abi, "doc", "abi", str, "a doc string")
    pointer_bits = _pointer_bits(ctx, abi)

    seen: dict[str, str] = {}

    def claim(item_name: str, key: str) -> None:
        _check_name(ctx, item_name, key)
        if item_name in seen:
            raise ctx.error(key, f"duplicate name '{item_name}' (already defined as {seen[item_name]})")
        seen[item_name] = key

    constants = tuple(_constant(ctx, n, t, claim) for n, t in _table(ctx, doc, "constants").items())
    enums = tuple(_enum(ctx, n, t, claim) for n, t in _table(ctx, doc, "enums").items())
    structs = tuple(_struct(ctx, n, t, claim) for n, t in _table(ctx, doc, "structs").items())
    functions = tuple(_function(ctx, n, t, claim) for n, t in _table(ctx, doc, "functions").items())
    exports = tuple(_export(ctx, n, t, claim) for n, t in _table(ctx, doc, "exports").items())

    schema = Schema(name=name, version=version, doc=abi_doc, constants=constants, enums=enums,
                    structs=structs, functions=functions, exports=exports, pointer_bits=pointer_bits)
    _resolve(ctx, schema)
    return schema


def _pointer_bits(ctx: _Ctx, abi: dict[str, Any]) -> tuple[int, ...]:
    """Which pointer widths the ABI allows: ABI 2 is 64-bit only, so its generators refuse 32-bit targets."""
    bits = _optional(ctx, abi, "pointer_bits", "abi", list, "a list drawn from [32, 64]", [32, 64])
    if not bits or any(b not in (32, 64) for b in bits) or len(set(bits)) != len(bits):
        raise ctx.error("abi.pointer_bits", f"got {bits!r} (expected a non-empty list drawn from [32, 64])")
    return tuple(sorted(bits))


def _item_table(ctx: _Ctx, value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ctx.error(key, f"got {_describe(value)} (expected a table)")
    return value


def _open_item(ctx: _Ctx, section: str, name: str, t: Any, claim, keys: tuple[str, ...]) -> tuple[str, dict]:
    """`section.name` claimed (names are unique across sections), checked to be a table of `keys`."""
    key = f"{section}.{name}"
    claim(name, key)
    t = _item_table(ctx, t, key)
    _check_keys(ctx, t, key, keys)
    return key, t


def _named_entry(ctx: _Ctx, raw: Any, key: str, keys: tuple[str, ...], names: set[str],
                 duplicate: str) -> tuple[str, dict, str]:
    """One named entry of a list (a field, parameter or enum value): its table and its name, which
    must be an identifier not in `names` (then added; `duplicate` words the error, `{}` the name)."""
    t = _item_table(ctx, raw, key)
    _check_keys(ctx, t, key, keys)
    name = _require(ctx, t, "name", key, str, "an identifier")
    _check_name(ctx, name, f"{key}.name")
    if name in names:
        raise ctx.error(f"{key}.name", duplicate.format(name))
    names.add(name)
    return key, t, name


def _integer_type(ctx: _Ctx, t: dict, key: str, field: str, expected: str, what: str) -> str:
    """An integer scalar's name (`u8`..`i64`), else the error naming `what` it was for."""
    name = _require(ctx, t, field, key, str, expected)
    if name not in INTEGER_SCALARS:
        raise ctx.error(f"{key}.{field}", f"unknown {what} '{name}' (expected one of {', '.join(INTEGER_SCALARS)})")
    return name


def _constant(ctx: _Ctx, name: str, t: Any, claim) -> Constant:
    key, t = _open_item(ctx, "constants", name, t, claim, ("type", "value", "doc"))
    tname = _integer_type(ctx, t, key, "type", "an integer scalar type", "constant type")
    value = _require(ctx, t, "value", key, int, f"an integer that fits {tname}")
    lo, hi = INT_RANGES[tname]
    if not lo <= value <= hi:
        raise ctx.error(f"{key}.value", f"{value} does not fit {tname} (expected {lo}..{hi})")
    return Constant(name, Scalar(tname), value, _require(ctx, t, "doc", key, str, "a doc string"))


def _enum(ctx: _Ctx, name: str, t: Any, claim) -> Enum:
    key, t = _open_item(ctx, "enums", name, t, claim, ("repr", "values", "doc"))
    repr_name = _integer_type(ctx, t, key, "repr", "an integer type such as u32", "enum repr")
    values_raw = _require(ctx, t, "values", key, list, "an array of { name, value, doc }")
    if not values_raw:
        raise ctx.error(f"{key}.values", "empty (expected at least one value)")
    lo, hi = INT_RANGES[repr_name]
    values: list[EnumValue] = []
    names: set[str] = set()
    numbers: dict[int, str] = {}
    for i, v in enumerate(values_raw):
        vkey, v, vname = _named_entry(ctx, v, f"{key}.values[{i}]", ("name", "value", "doc"), names,
                                      "duplicate enum value name '{}'")
        number = _require(ctx, v, "value", vkey, int, f"an integer that fits {repr_name}")
        if not lo <= number <= hi:
            raise ctx.error(f"{vkey}.value", f"{number} does not fit {repr_name} (expected {lo}..{hi})")
        if number in numbers:
            raise ctx.error(f"{vkey}.value", f"value {number} already used by '{numbers[number]}' (expected distinct values)")
        numbers[number] = vname
        values.append(EnumValue(vname, number, _require(ctx, v, "doc", vkey, str, "a doc string")))
    return Enum(name, Scalar(repr_name), tuple(values), _require(ctx, t, "doc", key, str, "a doc string"))


def _typed(ctx: _Ctx, t: dict[str, Any], key: str, field_name: str = "type") -> TypeRef:
    text = _require(ctx, t, field_name, key, str, "a type string")
    parsed = parse_type(text)
    if parsed is None:
        raise ctx.error(f"{key}.{field_name}", f"unknown type '{text}' ({EXPECTED_TYPE})")
    return parsed


def _struct(ctx: _Ctx, name: str, t: Any, claim) -> Struct:
    key, t = _open_item(ctx, "structs", name, t, claim, ("fields", "doc"))
    fields_raw = _require(ctx, t, "fields", key, list, "an array of { name, type, doc }")
    if not fields_raw:
        raise ctx.error(f"{key}.fields", "empty struct (expected at least one field: C has no empty structs)")
    fields: list[Field] = []
    names: set[str] = set()
    for i, f in enumerate(fields_raw):
        fkey, f, fname = _named_entry(ctx, f, f"{key}.fields[{i}]", ("name", "type", "doc", "reserved"), names,
                                      f"duplicate field name '{{}}' in {name}")
        ftype = _typed(ctx, f, fkey)
        fdoc = _require(ctx, f, "doc", fkey, str, "a doc string")
        reserved = _optional(ctx, f, "reserved", fkey, bool, "true or false", False)
        fields.append(Field(fname, ftype, fdoc, reserved))
    return Struct(name, tuple(fields), _require(ctx, t, "doc", key, str, "a doc string"))


def _function(ctx: _Ctx, name: str, t: Any, claim) -> Function:
    key, t = _open_item(ctx, "functions", name, t, claim, ("returns", "params", "doc"))
    returns = _typed(ctx, t, key, "returns")
    params_raw = _optional(ctx, t, "params", key, list, "an array of { name, type }", [])
    params: list[Param] = []
    names: set[str] = set()
    for i, p in enumerate(params_raw):
        pkey, p, pname = _named_entry(ctx, p, f"{key}.params[{i}]", ("name", "type", "doc"), names,
                                      f"duplicate parameter name '{{}}' in {name}")
        params.append(Param(pname, _typed(ctx, p, pkey)))
    return Function(name, returns, tuple(params), _require(ctx, t, "doc", key, str, "a doc string"))


def _export(ctx: _Ctx, name: str, t: Any, claim) -> Export:
    key, t = _open_item(ctx, "exports", name, t, claim, ("type", "required", "doc"))
    function = _require(ctx, t, "type", key, str, "a function type name")
    required = _optional(ctx, t, "required", key, bool, "true or false", False)
    return Export(name, function, required, _require(ctx, t, "doc", key, str, "a doc string"))


# ---------------------------------------------------------------- resolution


def _resolve(ctx: _Ctx, schema: Schema) -> None:
    kinds = {e.name: "enum" for e in schema.enums}
    kinds.update({s.name: "struct" for s in schema.structs})
    kinds.update({f.name: "function" for f in schema.functions})

    def check(t: TypeRef, key: str, *, by_value: bool = True, is_return: bool = False) -> None:
        if isinstance(t, Void):
            if by_value and not is_return:
                raise ctx.error(key, "'void' used by value (expected it only as ptr<void> or a return type)")
        elif isinstance(t, Named):
            kind = kinds.get(t.name)
            if kind is None:
                raise ctx.error(key, f"unknown type '{t.name}' ({EXPECTED_TYPE})")
            if kind == "function":
                raise ctx.error(key, f"function type '{t.name}' used as a value (expected fn<{t.name}> or fn?<{t.name}>)")
        elif isinstance(t, Pointer):
            check(t.target, key, by_value=False)
        elif isinstance(t, FnPointer):
            if kinds.get(t.function) != "function":
                raise ctx.error(key, f"unknown function type '{t.function}' in fn<...> (expected a name from [functions])")
        elif isinstance(t, Array):
            if t.length < 1:
                raise ctx.error(key, f"array length {t.length} (expected at least 1)")
            check(t.element, key)

    for s in schema.structs:
        for i, f in enumerate(s.fields):
            check(f.type, f"structs.{s.name}.fields[{i}].type")
    for fn in schema.functions:
        check(fn.returns, f"functions.{fn.name}.returns", is_return=True)
        for i, p in enumerate(fn.params):
            check(p.type, f"functions.{fn.name}.params[{i}].type")
    for e in schema.exports:
        if kinds.get(e.function) != "function":
            raise ctx.error(f"exports.{e.name}.type", f"unknown function type '{e.function}' (expected a name from [functions])")
    if not any(e.required for e in schema.exports):
        raise ctx.error("exports", "no required export (expected one export with required = true: the entry symbol)")
    if not schema.enums:
        raise ctx.error("enums", "no enum (expected the status enum first)")

    _check_cycles(ctx, schema)
    for s in schema.structs:
        for i, f in enumerate(s.fields):
            if f.reserved and not zero_initialisable(schema, f.type):
                raise ctx.error(f"structs.{s.name}.fields[{i}]",
                                f"reserved field '{f.name}' of type '{_fmt(f.type)}' cannot be zero-initialised "
                                "(expected a scalar, pointer, nullable fn?<F>, an enum with a 0 value, or an array/struct of those)")


def _fmt(t: TypeRef) -> str:
    return format_type(t)


def _check_cycles(ctx: _Ctx, schema: Schema) -> None:
    """A struct that contains itself by value (directly or through others) has no size."""
    by_name = {s.name: s for s in schema.structs}

    def value_structs(t: TypeRef) -> list[str]:
        if isinstance(t, Named) and t.name in by_name:
            return [t.name]
        if isinstance(t, Array):
            return value_structs(t.element)
        return []

    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join(path[path.index(name):] + [name])
            raise ctx.error(f"structs.{name}", f"struct contains itself by value ({cycle}); expected a pointer such as ptr<const {name}>")
        state[name] = 1
        for f in by_name[name].fields:
            for dep in value_structs(f.type):
                visit(dep, path + [name])
        state[name] = 2

    for s in schema.structs:
        visit(s.name, [])


def zero_initialisable(schema: Schema, t: TypeRef) -> bool:
    """Whether all-zero bytes are a valid value of the type (what reserved fields need)."""
    if isinstance(t, (Scalar, Pointer)):
        return True
    if isinstance(t, FnPointer):
        return t.nullable
    if isinstance(t, Array):
        return zero_initialisable(schema, t.element)
    if isinstance(t, Named):
        item = schema.item(t.name)
        if isinstance(item, Enum):
            return item.has_zero()
        if isinstance(item, Struct):
            return all(zero_initialisable(schema, f.type) for f in item.fields)
    return False
