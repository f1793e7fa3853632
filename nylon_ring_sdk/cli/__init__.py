"""The `nylon-ring` command: a thin typer layer over the library.

Each command group lives in its own module and registers on the app of
:mod:`.app`; importing this package imports every one of them, so a broken command
module is an import error, never a command that vanishes. Every
:class:`~nylon_ring_sdk.errors.NylonRingError` is printed as one line on stderr
with its exit code.
"""

from __future__ import annotations

import sys

import typer

from ..errors import NylonRingError
from . import abi, bench, conformance, gen, host, scaffold  # noqa: F401  (each registers its commands)
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point of the typer commands."""
    try:
        app(prog_name="nylon-ring")
    except NylonRingError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
