"""Console-script entry point of `nylon-ring`.

The argparse commands of :mod:`nylon_ring_sdk.commands` (`gen-bindings`, `layout`,
`abi`) run without importing typer, for start-up time; every other command goes
through the typer app in :mod:`nylon_ring_sdk.cli`.
"""

from __future__ import annotations

import sys

from .commands import COMMANDS, run


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] and argv[0] in COMMANDS:
        sys.exit(run(argv[0], argv[1:]))
    from .cli import main as typer_main  # lazy: typer and every command module cost ~150 ms the fast path skips

    typer_main()
