"""The typer app every command module registers on, and its one-line error handling.

A leaf of the CLI: command modules import :data:`app` from here and
:mod:`nylon_ring_sdk.cli` imports the command modules, so nothing imports in a circle.
"""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from .. import __version__
from ..errors import NylonRingError


class _Group(TyperGroup):
    """Turns library errors into one line on stderr and their exit code, for every command."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NylonRingError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=_Group,
    name="nylon-ring",
    help="Bindings, scaffolding, a reference host and a conformance suite for nylon-ring plugins.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def fail(message: str, code: int = 1) -> "typer.Exit":
    """Print a one-line error and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nylon-ring {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Bindings, scaffolding, a reference host and a conformance suite for nylon-ring plugins."""
