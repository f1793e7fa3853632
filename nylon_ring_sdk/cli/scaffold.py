"""`nylon-ring new` and `nylon-ring build`."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Optional

import typer

from .app import app, fail


@app.command("new")
def new(
    name: Annotated[Optional[str], typer.Argument(help="Project name, e.g. my-plugin.")] = None,
    lang: Annotated[str, typer.Option("--lang", "-l", help="rust, go, c, cpp or zig.")] = "c",
    dir: Annotated[Path, typer.Option("--dir", "-d", help="Folder to create the project in.")] = Path("."),
    entries: Annotated[Optional[str], typer.Option("--entries", help="Comma-separated extra entry names to stub out.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Write into an existing non-empty folder (template files replace their namesakes; other files are kept).")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the languages and what each needs installed.")] = False,
    abi: Annotated[Optional[str], typer.Option("--abi", help="ABI generation: 2 (released hosts, the default) or 1 (the original).")] = None,
) -> None:
    """Scaffold a plugin project that builds and passes conformance out of the box."""
    # lazy: scaffold, build, toolchain and gen cost every command ~75 ms CPU; this one alone needs them
    from ..scaffold import available_languages, load_template, new_project

    if list_:
        for code in available_languages():
            spec = load_template(code)
            needs = ", ".join(f"{tool} ({'found' if shutil.which(tool) or tool == 'zig' else 'missing'})" for tool in spec.requires)
            typer.echo(f"{code:<5} {spec.description}\n      needs: {needs or 'nothing beyond nylon-ring-sdk'}")
        return
    if not name:
        raise fail("NAME: missing (expected `nylon-ring new --lang LANG NAME`)")
    extra = [e.strip() for e in entries.split(",") if e.strip()] if entries else []
    project = new_project(lang, name, dir, force=force, entries=extra, abi=abi)
    typer.echo(f"created {project}")
    typer.echo(f"next: nylon-ring build {project} && nylon-ring conformance <library printed by build>")


@app.command("build")
def build(
    project: Annotated[Path, typer.Argument(help="Project folder (default: the current one).")] = Path("."),
    release: Annotated[bool, typer.Option("--release", help="Optimised build.")] = False,
    target: Annotated[Optional[str], typer.Option("--target", help="Cross-compile for a target triple, e.g. aarch64-linux-gnu.")] = None,
) -> None:
    """Run the project's own build and print the path of the built library."""
    # lazy: scaffold, build, toolchain and gen cost every command ~75 ms CPU; this one alone needs them
    from ..build import build as run_build

    result = run_build(project, release=release, target=target)
    typer.echo(str(result.library))


@app.command("quickstart")
def quickstart(
    lang: Annotated[str, typer.Option("--lang", "-l", help="Language of the example plugin.")] = "c",
    dir: Annotated[Path, typer.Option("--dir", "-d", help="Folder to create the example in.")] = Path("nylon-ring-quickstart"),
    name: Annotated[str, typer.Option("--name", help="Project name.")] = "hello-plugin",
) -> None:
    """Scaffold a plugin, build it (C and C++ with zig cc) and run the conformance suite on it.

    An existing project at DIR/NAME is rebuilt and checked as it is, never overwritten.
    """
    # lazy: conformance, scaffold and build cost every command ~175 ms CPU; quickstart alone needs them
    from ..build import build as run_build
    from ..conformance import run
    from ..scaffold import new_project

    project = dir.resolve() / name
    if project.is_dir() and any(project.iterdir()):
        typer.echo(f"1/3 using the existing project {project}")
    else:
        new_project(lang, name, dir)
        typer.echo(f"1/3 scaffolded a {lang} plugin in {project}")
    result = run_build(project, zig_cc=lang in ("c", "cpp"))
    how = " with zig cc" if lang in ("c", "cpp") else ""
    typer.echo(f"2/3 built {result.library}{how}")
    typer.echo(f"3/3 nylon-ring conformance {result.library}")
    report = run(result.library)
    typer.echo(report.render())
    if report.exit_code == 0:
        typer.echo(f"next: edit {project}, then `nylon-ring build {project}` and "
                   f"`nylon-ring conformance {result.library}`")
    raise typer.Exit(report.exit_code)
