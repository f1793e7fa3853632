"""The schema model: what `schema/abi.toml` says, with no knowledge of any language.

Every type is a frozen dataclass so that generators can share one loaded schema
without one of them changing it under another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Union

SCALARS: tuple[str, ...] = (
    "u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64",
    "usize", "isize", "f32", "f64", "bool",
)
INTEGER_SCALARS: tuple[str, ...] = ("u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64")

# Inclusive value ranges of the fixed-width integer scalars.
INT_RANGES: dict[str, tuple[int, int]] = {
    "u8": (0, 2**8 - 1), "u16": (0, 2**16 - 1), "u32": (0, 2**32 - 1), "u64": (0, 2**64 - 1),
    "i8": (-(2**7), 2**7 - 1), "i16": (-(2**15), 2**15 - 1),
    "i32": (-(2**31), 2**31 - 1), "i64": (-(2**63), 2**63 - 1),
}


@dataclass(frozen=True)
class Scalar:
    """A fixed-width or pointer-sized scalar: u8..u64, i8..i64, usize, isize, f32, f64, bool."""

    name: str


@dataclass(frozen=True)
class Void:
    """`void`: only as a pointer target or a function's return type."""


@dataclass(frozen=True)
class Named:
    """A reference to a struct or enum of the schema, by name."""

    name: str


@dataclass(frozen=True)
class Pointer:
    """A data pointer; `mutable` tells `ptr<mut T>` from `ptr<const T>`."""

    target: "TypeRef"
    mutable: bool


@dataclass(frozen=True)
class FnPointer:
    """A pointer to a function type of the schema; `nullable` for `fn?<F>`."""

    function: str
    nullable: bool


@dataclass(frozen=True)
class Array:
    """A fixed-size array `[T; N]`, laid out inline."""

    element: "TypeRef"
    length: int


TypeRef = Union[Scalar, Void, Named, Pointer, FnPointer, Array]


@dataclass(frozen=True)
class Constant:
    name: str
    type: Scalar
    value: int
    doc: str


@dataclass(frozen=True)
class EnumValue:
    name: str
    value: int
    doc: str


@dataclass(frozen=True)
class Enum:
    name: str
    repr: Scalar
    values: tuple[EnumValue, ...]
    doc: str

    def has_zero(self) -> bool:
        return any(v.value == 0 for v in self.values)


@dataclass(frozen=True)
class Field:
    name: str
    type: TypeRef
    doc: str
    reserved: bool = False


@dataclass(frozen=True)
class Struct:
    name: str
    fields: tuple[Field, ...]
    doc: str


@dataclass(frozen=True)
class Param:
    name: str
    type: TypeRef


@dataclass(frozen=True)
class Function:
    """A function type: the target of function pointers and of exported symbols."""

    name: str
    returns: TypeRef
    params: tuple[Param, ...]
    doc: str


@dataclass(frozen=True)
class Export:
    """A symbol the plugin library exports, typed by a function type."""

    name: str
    function: str
    required: bool
    doc: str


Item = Union[Enum, Struct, Function]


@dataclass(frozen=True)
class Schema:
    """A whole, validated ABI description."""

    name: str
    version: int
    doc: str
    constants: tuple[Constant, ...]
    enums: tuple[Enum, ...]
    structs: tuple[Struct, ...]
    functions: tuple[Function, ...]
    exports: tuple[Export, ...]
    pointer_bits: tuple[int, ...] = (32, 64)
    source: str = "schema/abi.toml"
    sha256: str = ""
    _index: dict[str, Item] = field(default_factory=dict, compare=False, repr=False)
    # Values derived from the (immutable) schema, computed once: fingerprint, layouts.
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        index: dict[str, Item] = {}
        for item in (*self.enums, *self.structs, *self.functions):
            index[item.name] = item
        object.__setattr__(self, "_index", index)

    def memo(self, key: str, compute):
        """`compute()` once per schema: generators share derived tables instead of rebuilding them."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def item(self, name: str) -> Item:
        return self._index[name]

    def struct(self, name: str) -> Struct:
        item = self._index[name]
        assert isinstance(item, Struct)
        return item

    def enum(self, name: str) -> Enum:
        item = self._index[name]
        assert isinstance(item, Enum)
        return item

    def function(self, name: str) -> Function:
        item = self._index[name]
        assert isinstance(item, Function)
        return item

    def export(self, name: str) -> Export:
        for export in self.exports:
            if export.name == name:
                return export
        raise KeyError(name)

    @property
    def entry_export(self) -> Export:
        """The required export every plugin has (the first required one)."""
        return next(e for e in self.exports if e.required)

    @property
    def status_enum(self) -> Enum:
        """The enum that functions return as their status (the first enum)."""
        return self.enums[0]

    def items_in_order(self, *, through_pointers: bool = False) -> list[Item]:
        """Enums, structs and function types with dependencies first.

        Languages that need a definition before use (C by value, ctypes for
        everything) read this order; ties keep file order so output is stable.
        One depth-first pass with an explicit stack and one position table, so a
        schema of any size is ordered in time linear in its items and references
        (and a long dependency chain cannot exhaust Python's recursion limit).
        """
        items = [*self.enums, *self.structs, *self.functions]
        position = {item.name: i for i, item in enumerate(items)}
        ordered: list[Item] = []
        done: set[str] = set()
        for root in items:
            if root.name in done:
                continue
            # (item, its dependencies in file order still to visit); `active` breaks cycles.
            stack = [(root, iter(_sorted_deps(root, through_pointers, position)))]
            active = {root.name}
            while stack:
                item, pending = stack[-1]
                dep = next((d for d in pending if d not in done and d not in active), None)
                if dep is None:
                    stack.pop()
                    active.discard(item.name)
                    done.add(item.name)
                    ordered.append(item)
                    continue
                child = self._index[dep]
                active.add(dep)
                stack.append((child, iter(_sorted_deps(child, through_pointers, position))))
        return ordered


def _sorted_deps(item: Item, through_pointers: bool, position: dict[str, int]) -> list[str]:
    """An item's dependencies in file order (unknown names last, by name, for stability)."""
    return sorted(dependencies(item, through_pointers), key=lambda name: (position.get(name, len(position)), name))


def type_names(t: TypeRef, through_pointers: bool) -> Iterator[str]:
    """Names of schema items a type refers to (by value, or also through pointers)."""
    if isinstance(t, Named):
        yield t.name
    elif isinstance(t, Array):
        yield from type_names(t.element, through_pointers)
    elif isinstance(t, Pointer) and through_pointers:
        yield from type_names(t.target, through_pointers)
    elif isinstance(t, FnPointer):
        yield t.function


def dependencies(item: Item, through_pointers: bool = False) -> set[str]:
    """Names an item needs declared before itself."""
    deps: set[str] = set()
    if isinstance(item, Struct):
        for f in item.fields:
            deps.update(type_names(f.type, through_pointers))
    elif isinstance(item, Function):
        deps.update(type_names(item.returns, through_pointers))
        for p in item.params:
            deps.update(type_names(p.type, through_pointers))
    deps.discard(item.name)
    return deps


def format_type(t: TypeRef) -> str:
    """The schema spelling of a type, for messages and docs."""
    if isinstance(t, Scalar):
        return t.name
    if isinstance(t, Void):
        return "void"
    if isinstance(t, Named):
        return t.name
    if isinstance(t, Pointer):
        return f"ptr<{'mut' if t.mutable else 'const'} {format_type(t.target)}>"
    if isinstance(t, FnPointer):
        return f"fn{'?' if t.nullable else ''}<{t.function}>"
    return f"[{format_type(t.element)}; {t.length}]"
