"""The layout engine: size, alignment, field offsets and padding, per data model.

This is the one table every generator's layout asserts, the layout probe and the
conformance checks read. The rules are the C ones (each field at the next multiple
of its alignment, the struct padded to a multiple of its largest alignment); the
data models differ only in scalar sizes and alignments.

LP64 and LLP64 differ in `long`, which the ABI never uses, so they give the same
numbers; 32-bit x86 (System V i386) differs from other ILP32 targets in aligning
64-bit scalars to 4 bytes inside structs, so it is a data model of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import LayoutError
from .schema.model import Array, Enum, FnPointer, Named, Pointer, Scalar, Schema, Struct, TypeRef, Void


@dataclass(frozen=True)
class DataModel:
    """Scalar sizes and alignments of one family of targets."""

    name: str
    description: str
    pointer: int
    int64_align: int
    float64_align: int

    def scalar(self, name: str) -> tuple[int, int]:
        """(size, align) of a scalar."""
        if name in ("usize", "isize"):
            return self.pointer, self.pointer
        if name in ("u64", "i64"):
            return 8, self.int64_align
        if name == "f64":
            return 8, self.float64_align
        size = {"u8": 1, "i8": 1, "bool": 1, "u16": 2, "i16": 2, "u32": 4, "i32": 4, "f32": 4}[name]
        return size, size


DATA_MODELS: dict[str, DataModel] = {
    "lp64": DataModel("lp64", "64-bit Linux/macOS/BSD (x86_64, aarch64, riscv64)", 8, 8, 8),
    "llp64": DataModel("llp64", "64-bit Windows (x86_64, aarch64)", 8, 8, 8),
    "ilp32": DataModel("ilp32", "32-bit targets with 8-byte aligned 64-bit scalars (arm, riscv32, wasm32, Windows x86)", 4, 8, 8),
    "ilp32-i386": DataModel("ilp32-i386", "32-bit x86 System V (Linux i386), 64-bit scalars 4-byte aligned", 4, 4, 4),
}

# Target triples (zig/LLVM spelling) and the data model each uses.
TARGETS: dict[str, str] = {
    "x86_64-linux-gnu": "lp64",
    "aarch64-linux-gnu": "lp64",
    "riscv64-linux-gnu": "lp64",
    "x86_64-macos": "lp64",
    "aarch64-macos": "lp64",
    "x86_64-windows-gnu": "llp64",
    "aarch64-windows-gnu": "llp64",
    "arm-linux-gnueabihf": "ilp32",
    "riscv32-linux-musl": "ilp32",
    "wasm32-wasi": "ilp32",
    "x86-windows-gnu": "ilp32",
    "x86-linux-gnu": "ilp32-i386",
}


@dataclass(frozen=True)
class FieldLayout:
    name: str
    offset: int
    size: int
    align: int
    padding_before: int


@dataclass(frozen=True)
class StructLayout:
    name: str
    size: int
    align: int
    fields: tuple[FieldLayout, ...]
    tail_padding: int

    def field(self, name: str) -> FieldLayout:
        return next(f for f in self.fields if f.name == name)


@dataclass(frozen=True)
class LayoutTable:
    """Every struct's layout under one data model, in schema order."""

    model: DataModel
    structs: tuple[StructLayout, ...]

    def __getitem__(self, name: str) -> StructLayout:
        for s in self.structs:
            if s.name == name:
                return s
        raise KeyError(name)

    def probe_values(self) -> list[int]:
        """The layout-probe table: per struct its size, its alignment, then each field offset."""
        values: list[int] = []
        for s in self.structs:
            values += [s.size, s.align, *(f.offset for f in s.fields)]
        return values

    def probe_labels(self) -> list[str]:
        """What each probe value means, for messages: `NrRequest.size`, `NrRequest.headers`."""
        labels: list[str] = []
        for s in self.structs:
            labels += [f"{s.name}.size", f"{s.name}.align", *(f"{s.name}.{f.name}" for f in s.fields)]
        return labels

    def to_json(self) -> dict:
        return {
            "data_model": self.model.name,
            "structs": [
                {"name": s.name, "size": s.size, "align": s.align, "tail_padding": s.tail_padding,
                 "fields": [{"name": f.name, "offset": f.offset, "size": f.size, "align": f.align,
                             "padding_before": f.padding_before} for f in s.fields]}
                for s in self.structs
            ],
        }


def data_model(name_or_target: str) -> DataModel:
    """A data model by its name (`lp64`) or by a target triple (`aarch64-linux-gnu`)."""
    key = name_or_target.strip().lower()
    if key in DATA_MODELS:
        return DATA_MODELS[key]
    key = _canonical_triple(key)
    if key in TARGETS:
        return DATA_MODELS[TARGETS[key]]
    known = ", ".join([*DATA_MODELS, *TARGETS])
    raise LayoutError(f"unknown target or data model '{name_or_target}' (expected one of {known})")


def _canonical_triple(triple: str) -> str:
    """GNU/Rust spellings in zig's: `i686-unknown-linux-gnu` -> `x86-linux-gnu`."""
    parts = [p for p in triple.split("-") if p not in ("unknown", "pc", "apple")]
    if parts and parts[0] in ("i386", "i486", "i586", "i686"):
        parts[0] = "x86"
    if parts[1:2] == ["darwin"]:
        parts[1] = "macos"
    return "-".join(parts)


def _align_up(value: int, align: int) -> int:
    return (value + align - 1) // align * align


class _Engine:
    def __init__(self, schema: Schema, model: DataModel) -> None:
        self.schema = schema
        self.model = model
        self.cache: dict[str, StructLayout] = {}

    def size_align(self, t: TypeRef) -> tuple[int, int]:
        if isinstance(t, Scalar):
            return self.model.scalar(t.name)
        if isinstance(t, (Pointer, FnPointer)):
            return self.model.pointer, self.model.pointer
        if isinstance(t, Array):
            size, align = self.size_align(t.element)
            return size * t.length, align
        if isinstance(t, Named):
            item = self.schema.item(t.name)
            if isinstance(item, Enum):
                return self.model.scalar(item.repr.name)
            if isinstance(item, Struct):
                layout = self.struct(item)
                return layout.size, layout.align
        if isinstance(t, Void):
            raise LayoutError("void has no size")
        raise LayoutError(f"type {t!r} has no layout")

    def struct(self, s: Struct) -> StructLayout:
        if s.name in self.cache:
            return self.cache[s.name]
        offset = 0
        align = 1
        fields: list[FieldLayout] = []
        for f in s.fields:
            size, falign = self.size_align(f.type)
            start = _align_up(offset, falign)
            fields.append(FieldLayout(f.name, start, size, falign, start - offset))
            offset = start + size
            align = max(align, falign)
        total = _align_up(offset, align)
        layout = StructLayout(s.name, total, align, tuple(fields), total - offset)
        self.cache[s.name] = layout
        return layout


def compute_layout(schema: Schema, model: str | DataModel = "lp64") -> LayoutTable:
    """The layout of every struct of the schema under a data model or target.

    A generation that is 64-bit only (`pointer_bits = [64]`) has no layout on a 32-bit
    model: asking for one is a LayoutError, never a table nobody can use.
    """
    dm = model if isinstance(model, DataModel) else data_model(model)
    check_model(schema, dm, model if isinstance(model, str) else dm.name)
    return schema.memo(f"layout:{dm.name}", lambda: _compute(schema, dm))


def _compute(schema: Schema, dm: DataModel) -> LayoutTable:
    engine = _Engine(schema, dm)
    return LayoutTable(dm, tuple(engine.struct(s) for s in schema.structs))


def supports(schema: Schema, dm: DataModel) -> bool:
    """Whether the schema's generation exists on targets with this data model's pointer width."""
    return dm.pointer * 8 in schema.pointer_bits


def check_model(schema: Schema, dm: DataModel, asked: str) -> None:
    """A one-line LayoutError when the schema does not exist on `asked`'s pointer width."""
    if supports(schema, dm):
        return
    bits = ", ".join(str(b) for b in schema.pointer_bits)
    models = ", ".join(name for name, m in DATA_MODELS.items() if supports(schema, m))
    raise LayoutError(f"target '{asked}': {schema.source} (ABI {schema.version}) is {bits}-bit only and this is a "
                      f"{dm.pointer * 8}-bit target (expected one of {models} or a 64-bit target triple)")


def data_models_for(schema: Schema) -> list[DataModel]:
    """The data models the schema's generation exists on, in DATA_MODELS order."""
    return [m for m in DATA_MODELS.values() if supports(schema, m)]


def distinct_layouts(schema: Schema) -> list[tuple[list[str], LayoutTable]]:
    """The schema's data models grouped by identical tables (LP64 and LLP64 agree for this ABI).

    Generators emit one block of asserts per group, selected at compile time; a
    64-bit-only generation has no 32-bit group at all.
    """
    return schema.memo("distinct_layouts", lambda: _group_models(schema))


def _group_models(schema: Schema) -> list[tuple[list[str], LayoutTable]]:
    groups: list[tuple[list[str], LayoutTable]] = []
    for dm in data_models_for(schema):
        table = compute_layout(schema, dm)
        for names, existing in groups:
            if existing.structs == table.structs:
                names.append(dm.name)
                break
        else:
            groups.append(([dm.name], table))
    return groups
