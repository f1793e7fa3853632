"""The `nylon-ring` command: a thin typer layer over the library.

Each command group lives in its own module and imports the library lazily inside
the command, so `nylon-ring gen-bindings` never pays for cookiecutter, pycparser
or the reference host. Every :class:`~nylon_ring_sdk.errors.NylonRingError` is
printed as one line on stderr with exit code 1.
"""

from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup


class _Group(TyperGroup):
    """Turns library errors into one line on stderr and exit code 1, for every command."""

    def invoke(self, ctx):
        from ..errors import NylonRingError

        try:
            return super().invoke(ctx)
        except NylonRingError as exc:
            from ..entry import exit_code_of

            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exit_code_of(exc)) from None


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
        from .. import __version__

        typer.echo(f"nylon-ring {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Bindings, scaffolding, a reference host and a conformance suite for nylon-ring plugins."""


def _register() -> None:
    """Import every command module; a broken one is an import error, never a command that vanishes."""
    from . import abi, bench, conformance, gen, host, scaffold  # noqa: F401


_register()


def main() -> None:
    """Console-script entry point."""
    from ..errors import NylonRingError

    try:
        app()
    except NylonRingError as exc:
        from ..entry import exit_code_of

        typer.echo(f"error: {exc}", err=True)
        sys.exit(exit_code_of(exc))
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
