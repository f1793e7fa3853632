"""`nylon-ring gen-bindings` and `nylon-ring layout` in the typer app.

Both pass their arguments through to the argparse parsers in :mod:`nylon_ring_sdk.commands`
(which the console script also uses directly, for start-up time), so every option is
defined, documented and checked in one place.
"""

from __future__ import annotations

import typer

from ..commands import GEN_HELP, LAYOUT_HELP, run
from .app import app

_PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


def _run(command: str, ctx: typer.Context) -> None:
    code = run(command, list(ctx.args))
    if code:
        raise typer.Exit(code)


@app.command("gen-bindings", help=GEN_HELP + " Options: see `nylon-ring gen-bindings --help`.",
             context_settings=_PASS_THROUGH, add_help_option=False)
def gen_bindings(ctx: typer.Context) -> None:
    _run("gen-bindings", ctx)


@app.command("layout", help=LAYOUT_HELP + " Options: see `nylon-ring layout --help`.",
             context_settings=_PASS_THROUGH, add_help_option=False)
def layout(ctx: typer.Context) -> None:
    _run("layout", ctx)
