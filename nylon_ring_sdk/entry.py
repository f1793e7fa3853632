"""Console-script entry point of `nylon-ring`.

`gen-bindings` runs in pre-commit hooks and on every CI commit, so it takes a
short path that parses its few options with argparse and never imports typer,
cookiecutter or pycparser. Everything else (and `gen-bindings --help`) goes
through the typer app in :mod:`nylon_ring_sdk.cli`.
"""

from __future__ import annotations

import argparse
import sys


def _gen_bindings(argv: list[str]) -> int:
    from pathlib import Path

    from .errors import NylonRingError
    from .gen import sync_bindings

    parser = argparse.ArgumentParser(prog="nylon-ring gen-bindings", add_help=False)
    parser.add_argument("--lang", "-l", default="all")
    parser.add_argument("--out", "-o", default="bindings")
    parser.add_argument("--schema", default=None)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--force", action="store_true")
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        return -1  # let typer report the usage error in its usual words
    try:
        return sync_bindings(args.lang, Path(args.out), Path(args.schema) if args.schema else None,
                             check=args.check, force=args.force, echo=print)
    except NylonRingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["gen-bindings"] and not {"-h", "--help"} & set(argv):
        code = _gen_bindings(argv[1:])
        if code >= 0:
            sys.exit(code)
    from .cli import main as typer_main

    typer_main()
