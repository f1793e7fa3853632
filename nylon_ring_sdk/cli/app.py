"""The typer app every command module registers on, and its one-line error handling.

A leaf of the CLI: command modules import :data:`app` from here and
:mod:`nylon_ring_sdk.cli` imports the command modules, so nothing imports in a circle.
"""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from .. import __version__
from ..errors import NylonRingError


#: click's UsageError, whichever click typer runs on (recent typer vendors its own copy; older ones use click).
_CLICK_USAGE_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


def _usage_line(exc: Exception) -> "typer.Exit":
    """A click usage error as the one line every other error is: README's form, exit code 2."""
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "nylon-ring"
    message = exc.format_message().rstrip(".")  # type: ignore[attr-defined]
    typer.echo(f"error: {command}: {message} (see `{command} --help`)", err=True)
    return typer.Exit(2)


def _is_help(exc: Exception) -> bool:
    """click 8.2+ reports a bare command with no_args_is_help as a usage error that prints the help."""
    return type(exc).__name__ == "NoArgsIsHelpError"


class _Group(TyperGroup):
    """Turns library errors and usage errors into one line on stderr and their exit code, for every command."""

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except _CLICK_USAGE_ERROR as exc:
            if _is_help(exc):
                raise
            raise _usage_line(exc) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except NylonRingError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except _CLICK_USAGE_ERROR as exc:
            if _is_help(exc):
                raise
            raise _usage_line(exc) from None


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
