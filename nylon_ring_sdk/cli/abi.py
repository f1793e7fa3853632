"""`nylon-ring abi diff` in the typer app: its one parser is :func:`nylon_ring_sdk.commands.abi_parser`."""

from __future__ import annotations

import typer

from ..commands import ABI_HELP, run
from .app import app

_PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


@app.command("abi", help=ABI_HELP + " Options: see `nylon-ring abi --help`.",
             context_settings=_PASS_THROUGH, add_help_option=False)
def abi(ctx: typer.Context) -> None:
    code = run("abi", list(ctx.args))
    if code:
        raise typer.Exit(code)
