"""`nylon-ring abi diff`: listed here for `nylon-ring --help`; parsed once, in :func:`nylon_ring_sdk.entry.abi_diff`."""

from __future__ import annotations

import typer

from . import app


@app.command("abi", context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
             add_help_option=False)
def abi(ctx: typer.Context) -> None:
    """Compare two ABI schemas: `abi diff OLD NEW` (files, abi:1/abi:2, or REV:path in git)."""
    from ..entry import abi_diff

    raise typer.Exit(abi_diff(list(ctx.args)))
