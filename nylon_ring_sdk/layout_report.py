"""What `nylon-ring layout` prints: a layout table, its JSON, or a header's differences."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import NylonRingError
from .layout import compute_layout, data_model
from .schema.model import Schema


def read_header(path: str | Path) -> str:
    """A header's text, or a one-line error naming the file (unreadable, not UTF-8)."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise NylonRingError(f"{path}: not UTF-8 text (byte offset {exc.start}: {exc.reason}; expected a C header in UTF-8)") from None
    except IsADirectoryError:
        raise NylonRingError(f"{path}: is a directory (expected a C header file)") from None
    except OSError as exc:
        raise NylonRingError(f"{path}: cannot read header ({exc.strerror or exc})") from None


def run_layout(schema: Schema, *, target: str = "lp64", as_json: bool = False, header: str | None = None,
               echo=print) -> int:
    """Print the layout (or compare `header` against it); returns the exit code."""
    model = data_model(target)
    if header is not None:
        from .cheader import compare_header  # lazy: pycparser costs ~20 ms, and only --header reads C

        text = read_header(header)
        problems = compare_header(schema, text, model, str(header), target=target)
        for line in problems:
            echo(line)
        if problems:
            return 1
        echo(f"{header}: every struct matches {schema.source} ({model.name})")
        return 0
    table = compute_layout(schema, target)
    if as_json:
        data = table.to_json()
        data["target"] = target
        data["abi"] = schema.version
        echo(json.dumps(data, indent=2))
        return 0
    for line in table_lines(table):
        echo(line)
    return 0


def table_lines(table) -> list[str]:
    """The human-readable table: per struct its size, alignment, fields and padding."""
    lines = [f"data model {table.model.name}: {table.model.description}"]
    for s in table.structs:
        lines.append(f"\n{s.name}  size {s.size}  align {s.align}")
        lines.append(f"  {'offset':>6}  {'size':>4}  {'align':>5}  {'pad':>3}  field")
        for f in s.fields:
            lines.append(f"  {f.offset:>6}  {f.size:>4}  {f.align:>5}  {f.padding_before:>3}  {f.name}")
        if s.tail_padding:
            lines.append(f"  {s.size - s.tail_padding:>6}  {s.tail_padding:>4}  {'':>5}  {s.tail_padding:>3}  (tail padding)")
    return lines
