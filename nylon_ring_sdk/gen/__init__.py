"""Code generation: one module per target language, shared rendering and writing.

A language module exposes ``generate(schema) -> list[GeneratedFile]``. It builds a
view model in Python (names, types, numbers) and renders small jinja2 templates
from ``gen/templates/<lang>/`` that only loop and print.
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

import jinja2

from ..cache import cache_dir
from ..errors import GenerationError
from ..schema import GENERATIONS, load_default, load_schema
from ..schema.model import Schema

LANGUAGES: tuple[str, ...] = ("c", "cpp", "rust", "go", "zig", "python")
BANNER_MARK = "do not edit"
TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class GeneratedFile:
    """One output file: a path relative to the language's output folder, and its text."""

    path: str
    content: str


def fingerprint(schema: Schema) -> str:
    """A hash of what the schema means, not how it is spelled.

    Comments and whitespace in abi.toml do not change it, so reformatting the schema
    does not make every binding drift.
    """
    return schema.memo("fingerprint", lambda: _fingerprint(schema))


def _fingerprint(schema: Schema) -> str:
    model = {
        "name": schema.name, "version": schema.version, "doc": schema.doc,
        "pointer_bits": list(schema.pointer_bits),
        "constants": [asdict(c) for c in schema.constants],
        "enums": [asdict(e) for e in schema.enums],
        "structs": [asdict(s) for s in schema.structs],
        "functions": [asdict(f) for f in schema.functions],
        "exports": [asdict(e) for e in schema.exports],
    }
    text = json.dumps(model, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def banner_lines(schema: Schema) -> list[str]:
    """The banner every generated file opens with (comment syntax added by the template)."""
    # An absolute path would make output depend on where the checkout lives.
    source = Path(schema.source).name if Path(schema.source).is_absolute() else schema.source
    return [
        f"Generated from {source} (schema sha256 {fingerprint(schema)[:16]}) by nylon-ring-sdk; {BANNER_MARK}.",
        f"Regenerate with: nylon-ring gen-bindings {regenerate_option(schema, source)}",
    ]


def regenerate_option(schema: Schema, source: str) -> str:
    """`--abi N` for a bundled generation, else `--schema <file>`: what rebuilds this file."""
    bundled = {f"schema/{name}": abi for abi, name in GENERATIONS.items()}
    if source in bundled:
        return f"--abi {bundled[source]}"
    return f"--schema {source}"


_ENV = None


def environment():
    """The one jinja2 environment: strict, whitespace-tidy, newline-preserving."""
    global _ENV
    if _ENV is None:
        _ENV = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
            bytecode_cache=_bytecode_cache(),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            autoescape=False,
        )
    return _ENV


def _bytecode_cache():
    """Compiled templates cached on disk: compiling them is most of gen-bindings' run time.

    jinja2 keys each entry by the template's source checksum, so an edited template
    is recompiled. Without a writable cache folder, templates compile every run.
    """
    try:
        folder = cache_dir() / "jinja"
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def parse_languages(spec: str | Iterable[str] | None) -> list[str]:
    """`c,rust` or `all` -> a list in canonical order; unknown names are an error."""
    if spec is None:
        return list(LANGUAGES)
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    chosen: set[str] = set()
    for item in (i.strip().lower() for i in items):
        if not item:
            continue
        if item == "all":
            chosen.update(LANGUAGES)
        elif item in LANGUAGES:
            chosen.add(item)
        else:
            raise GenerationError(f"--lang: unknown language '{item}' (expected a comma-separated list of {', '.join(LANGUAGES)} or all)")
    if not chosen:
        raise GenerationError(f"--lang: no language given (expected {', '.join(LANGUAGES)} or all)")
    return [lang for lang in LANGUAGES if lang in chosen]


def generate(schema: Schema, lang: str) -> list[GeneratedFile]:
    """Generate one language's files."""
    if lang not in LANGUAGES:
        raise GenerationError(f"unknown language '{lang}' (expected one of {', '.join(LANGUAGES)})")
    module = importlib.import_module(f"{__name__}.{lang}")
    return module.generate(schema)


def plan(schema: Schema, langs: list[str], out: Path) -> dict[Path, str]:
    """Where every file of the chosen languages goes.

    One language writes straight into `out`; several write into `out/<lang>/`.
    """
    files: dict[Path, str] = {}
    for lang in langs:
        base = out if len(langs) == 1 else out / lang
        for f in generate(schema, lang):
            files[base / f.path] = f.content
    return files


def is_generated(path: Path) -> bool:
    """Whether an existing file carries our banner (and so may be overwritten)."""
    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            head = fh.read(512)
    except OSError:
        return False
    return BANNER_MARK in head and "nylon-ring" in head


def write_atomic(path: Path, content: str) -> None:
    """Write via a temporary file in the same folder and rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_files(files: dict[Path, str], *, force: bool = False) -> list[Path]:
    """Write what changed; refuse to replace a file that is not ours unless forced.

    Returns the paths written. Every refusal is checked before anything is written,
    so a refused run leaves the tree untouched.
    """
    for path in files:
        if path.exists() and not force and not is_generated(path):
            raise GenerationError(f"{path}: exists and was not generated by nylon-ring (no banner); pass --force to overwrite it")
        if path.exists() and path.is_dir():
            raise GenerationError(f"{path}: is a directory (expected a file path)")
    written: list[Path] = []
    for path, content in files.items():
        if path.exists() and path.read_text(encoding="utf-8", errors="replace") == content:
            continue
        try:
            write_atomic(path, content)
        except OSError as exc:
            raise GenerationError(f"{path}: cannot write ({exc.strerror or exc}; expected a writable folder)") from None
        written.append(path)
    return written


def check_files(files: dict[Path, str]) -> list[str]:
    """Each planned file that is missing or differs, as `path: missing|differs`."""
    problems: list[str] = []
    for path, content in files.items():
        if not path.exists():
            problems.append(f"{path}: missing")
        elif path.read_text(encoding="utf-8", errors="replace") != content:
            problems.append(f"{path}: differs")
    return problems


def sync_bindings(lang: str, out: Path, schema: Schema | Path | None = None, *, check: bool = False,
                  force: bool = False, echo=print, options: str = "") -> int:
    """What `nylon-ring gen-bindings` does; returns the exit code.

    `schema` is a loaded schema, a schema file, or None for the default generation.
    With `check`, writes nothing and reports each missing or differing file; the hint
    repeats `options` (the command's own --lang/--out/--abi) so it can be pasted.
    """
    langs = parse_languages(lang)
    check_destination(out)
    with without_cycle_collector():
        if schema is None:
            schema = load_default(2)
        elif not isinstance(schema, Schema):
            schema = load_schema(schema)
        files = plan(schema, langs, out)
    if check:
        problems = check_files(files)
        for problem in problems:
            echo(problem)
        if problems:
            rerun = f"nylon-ring gen-bindings {options}".rstrip()
            print(f"error: {len(problems)} of {len(files)} generated file(s) out of date; "
                  f"run `{rerun}` (without --check)", file=sys.stderr)
            return 1
        echo(f"{len(files)} file(s) up to date")
        return 0
    written = write_files(files, force=force)
    for path in written:
        echo(f"wrote {path}")
    echo(f"{len(written)} written, {len(files) - len(written)} unchanged")
    return 0


@contextmanager
def without_cycle_collector():
    """Loading and generating allocate millions of small acyclic objects (dataclasses,
    dicts, strings) that reference counting frees; the cyclic collector would rescan the
    growing heap over and over, which makes large schemas superlinear. It is paused for
    the run and restored afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_destination(out: Path) -> None:
    """`--out` must be a folder (or not exist yet): a regular file there is a one-line error."""
    if out.exists() and not out.is_dir():
        raise GenerationError(f"--out {out}: is a file (expected a folder to write the bindings into)")
    parent = next((p for p in (out, *out.parents) if p.exists()), None)
    if parent is not None and not parent.is_dir():
        raise GenerationError(f"--out {out}: {parent} is a file (expected a folder)")
