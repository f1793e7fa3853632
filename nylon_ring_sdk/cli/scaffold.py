"""`nylon-ring new` and `nylon-ring build`."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app, fail


@app.command("new")
def new(
    name: Annotated[Optional[str], typer.Argument(help="Project name, e.g. my-plugin.")] = None,
    lang: Annotated[str, typer.Option("--lang", "-l", help="rust, go, c, cpp or zig.")] = "c",
    dir: Annotated[Path, typer.Option("--dir", "-d", help="Folder to create the project in.")] = Path("."),
    entries: Annotated[Optional[str], typer.Option("--entries", help="Comma-separated extra entry names to stub out.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Write into an existing non-empty folder (template files replace their namesakes; other files are kept).")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the languages and what each needs installed.")] = False,
) -> None:
    """Scaffold a plugin project that builds and passes conformance out of the box."""
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
    project = new_project(lang, name, dir, force=force, entries=extra)
    typer.echo(f"created {project}")
    typer.echo(f"next: nylon-ring build {project} && nylon-ring conformance <library printed by build>")


@app.command("build")
def build(
    project: Annotated[Path, typer.Argument(help="Project folder (default: the current one).")] = Path("."),
    release: Annotated[bool, typer.Option("--release", help="Optimised build.")] = False,
    target: Annotated[Optional[str], typer.Option("--target", help="Cross-compile for a target triple, e.g. aarch64-linux-gnu.")] = None,
) -> None:
    """Run the project's own build and print the path of the built library."""
    from ..scaffold import build as run_build

    result = run_build(project, release=release, target=target)
    typer.echo(str(result.library))
