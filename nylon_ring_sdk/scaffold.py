"""`nylon-ring new` and `nylon-ring build`: plugin projects from per-language templates.

A template is a cookiecutter folder `templates/<lang>/` with a `nylon-ring-template.toml`
saying what the project needs installed, where its generated bindings live and how it
builds. `new_project` renders the template into a scratch folder, writes freshly
generated bindings into it, and only then moves it into place, so a failed or refused
run leaves the user's files as they were.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
# `build` lives in its own module; these names stay importable from here.
from .build import BuildResult, build, build_project, detect_language  # noqa: F401
from .errors import ScaffoldError
from .gen import generate, write_atomic
from .naming import keywords
from .schema import load_default, parse_abi

NAME_RE = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
MAX_NAME = 64
LANG_ORDER = ("c", "cpp", "rust", "go", "zig")
ENTRY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class TemplateSpec:
    """What `templates/<lang>/nylon-ring-template.toml` declares."""

    lang: str
    path: Path
    description: str
    requires: tuple[str, ...]
    bindings: dict[str, str] = field(default_factory=dict)
    # ABI generation -> files of the rendered project that belong to that generation only;
    # `new --abi N` deletes the other generations' files, so a project holds one SDK layer.
    generation_files: dict[int, tuple[str, ...]] = field(default_factory=dict)
    generations: tuple[int, ...] = (1,)


def templates_root() -> Path:
    """Templates shipped in the wheel, or the repository's `templates/` in a checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "_data" / "templates"
    return packaged if packaged.is_dir() else here.parent / "templates"


def load_template(lang: str) -> TemplateSpec:
    root = templates_root()
    folder = root / lang
    spec_path = folder / "nylon-ring-template.toml"
    if not spec_path.is_file():
        known = ", ".join(available_languages()) or "none"
        raise ScaffoldError(f"--lang: no template for '{lang}' (expected one of {known})")
    try:
        data = tomllib.loads(spec_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScaffoldError(f"{spec_path}: {exc}") from None
    gens = data.get("generations", {"1": {}})
    return TemplateSpec(
        lang=lang,
        path=folder,
        description=str(data.get("description", "")),
        requires=tuple(data.get("requires", ())),
        bindings=dict(data.get("bindings", {})),
        generation_files={int(g): tuple(t.get("files", ())) for g, t in gens.items()},
        generations=tuple(sorted(int(g) for g in gens)),
    )


def available_languages() -> list[str]:
    root = templates_root()
    found = [p.name for p in root.iterdir() if (p / "nylon-ring-template.toml").is_file()] if root.is_dir() else []
    return sorted(found, key=lambda n: LANG_ORDER.index(n) if n in LANG_ORDER else len(LANG_ORDER))


def validate_name(name: str) -> str:
    """A project name safe as a folder, crate, Go module, library and C identifier stem."""
    if not name:
        raise ScaffoldError("NAME: empty (expected a name such as my-plugin)")
    if "/" in name or "\\" in name or ".." in name or "{" in name or "}" in name or "%" in name:
        raise ScaffoldError(f"NAME: {name!r} contains a path separator, '..' or template syntax (expected a plain name such as my-plugin)")
    if len(name) > MAX_NAME:
        raise ScaffoldError(f"NAME: {name!r} is {len(name)} characters (expected at most {MAX_NAME})")
    if not NAME_RE.match(name):
        raise ScaffoldError(f"NAME: {name!r} is not a valid plugin name (expected lowercase letters, digits and single '-' or '_' between them, starting with a letter, e.g. my-plugin)")
    ident = name.replace("-", "_")
    for lang in ("rust", "go", "zig", "c", "python"):
        if ident in keywords(lang):
            raise ScaffoldError(f"NAME: {name!r} is a reserved word in {lang} (expected a name that is not a keyword in any target language)")
    if ident in ("std", "core", "alloc", "test", "main", "sdk", "nylonring", "nylon_ring"):
        raise ScaffoldError(f"NAME: {name!r} collides with a library or package the project uses (choose another name)")
    return name


def validate_entries(entries: list[str]) -> list[str]:
    reserved = {"hello", "echo", "echo_async", "echo_owned", "echo_lease", "count", "chat", "state", "panic", "panic_async"}
    seen: list[str] = []
    for entry in entries:
        if not ENTRY_RE.match(entry):
            raise ScaffoldError(f"--entries: {entry!r} is not a valid entry name (expected lowercase letters, digits and '_', starting with a letter)")
        if entry in reserved:
            raise ScaffoldError(f"--entries: {entry!r} is already an example entry of every template (choose another name)")
        if entry in seen:
            raise ScaffoldError(f"--entries: {entry!r} given twice")
        if any(entry in keywords(lang) for lang in ("rust", "go", "zig", "c", "python")):
            raise ScaffoldError(f"--entries: {entry!r} is a reserved word in a target language")
        seen.append(entry)
    return seen


def _non_empty(path: Path) -> bool:
    return path.exists() and (not path.is_dir() or any(path.iterdir()))


def new_project(lang: str, name: str, dest_parent: str | Path = ".", *, force: bool = False,
                entries: list[str] | None = None, abi: int | str | None = None) -> Path:
    """Scaffold `dest_parent/name` from the `lang` template for ABI generation `abi`.

    An existing non-empty target is refused unless `force`; with `force`, the
    template's files replace their namesakes and every other file is kept.
    """
    validate_name(name)
    spec = load_template(lang)
    generation = parse_abi(abi)
    if generation not in spec.generations:
        have = ", ".join(str(g) for g in spec.generations)
        raise ScaffoldError(f"--abi: the {lang} template has no ABI {generation} layer (expected one of {have})")
    extra = validate_entries(entries or [])
    parent = Path(dest_parent).resolve()
    target = parent / name
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target}: exists and is not a directory")
    if _non_empty(target) and not force:
        raise ScaffoldError(f"{target}: exists and is not empty; pass --force to write the template's files into it (other files are kept)")
    scratch = _scratch_in(parent, name)
    try:
        rendered = _render(spec, name, extra, scratch, generation)
        _prune_generations(spec, rendered, generation)
        _write_bindings(spec, rendered, generation)
        _place(rendered, target)
    except OSError as exc:
        raise ScaffoldError(f"{exc.filename or target}: cannot write ({exc.strerror or exc}; expected a writable folder)") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _scratch_in(parent: Path, name: str) -> Path:
    """A scratch folder inside `parent` (created with its parents): renaming from it into place is atomic."""
    for folder in (parent, *parent.parents):
        if folder.exists():
            if not folder.is_dir():
                where = "is a file" if folder == parent else f"{folder} is a file"
                raise ScaffoldError(f"--dir {parent}: {where} (expected a folder)")
            break
    try:
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{name}.", dir=str(parent)))
    except OSError as exc:
        raise ScaffoldError(f"--dir {parent}: cannot create a project here ({exc.strerror or exc}; "
                            "expected a writable folder)") from None


def _render(spec: TemplateSpec, name: str, entries: list[str], scratch: Path, abi: int) -> Path:
    # lazy: cookiecutter.main imports requests (~200 ms CPU); only `new` renders, `committed --check` does not
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.main import cookiecutter

    context = {"project_name": name, "extra_entries": ",".join(entries), "sdk_version": __version__}
    if len(spec.generations) > 1:
        context["abi"] = str(abi)
    try:
        out = cookiecutter(str(spec.path), no_input=True, extra_context=context,
                           output_dir=str(scratch), overwrite_if_exists=False, accept_hooks=True)
    except CookiecutterException as exc:
        raise ScaffoldError(f"templates/{spec.lang}: rendering failed: {exc}") from None
    return Path(out)


def _prune_generations(spec: TemplateSpec, project: Path, abi: int) -> None:
    """Delete the files that belong to the generations the project was not made for."""
    keep = set(spec.generation_files.get(abi, ()))
    for gen, files in spec.generation_files.items():
        for rel in files:
            path = project / rel
            if gen != abi and rel not in keep and path.exists():
                shutil.rmtree(path) if path.is_dir() else path.unlink()


def binding_files(spec: TemplateSpec, project: Path, abi: int = 1) -> dict[Path, str]:
    """Where a project keeps its generated bindings, and what they must contain.

    A template's `bindings` value is a file path when the generator writes exactly that
    one file, and a folder otherwise.
    """
    schema = load_default(abi)
    files: dict[Path, str] = {}
    for lang, rel in spec.bindings.items():
        generated = generate(schema, lang)
        dest = project / rel
        if len(generated) == 1 and dest.suffix and dest.name == generated[0].path:
            files[dest] = generated[0].content
        else:
            files.update({dest / f.path: f.content for f in generated})
    return files


def template_project_dir(spec: TemplateSpec) -> Path:
    """The template's unrendered project folder (`{{cookiecutter.project_name}}`)."""
    return next(p for p in spec.path.iterdir() if p.name.startswith("{{"))


def _write_bindings(spec: TemplateSpec, project: Path, abi: int) -> None:
    """Overwrite the template's copy of the bindings with a fresh generation."""
    for path, content in binding_files(spec, project, abi).items():
        write_atomic(path, content)


def _place(rendered: Path, target: Path) -> None:
    if not target.exists():
        os.replace(rendered, target)
        return
    for src in sorted(rendered.rglob("*")):
        rel = src.relative_to(rendered)
        dst = target / rel
        if src.is_dir():
            dst.mkdir(parents=True, exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)

