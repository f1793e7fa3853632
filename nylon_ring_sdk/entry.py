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


def abi_diff(argv: list[str]) -> int:
    """`nylon-ring abi diff OLD NEW`: argparse only, so a CI gate starts in well under half a second."""
    from pathlib import Path

    from . import abidiff
    from .errors import NylonRingError

    parser = argparse.ArgumentParser(
        prog="nylon-ring abi diff",
        description="Compare two ABI schemas and report every change by rule id and severity. "
                    "Exit 0: compatible; 1: a breaking change not named by --allow; 2: usage error.")
    parser.add_argument("old", help="schema file, abi:1 / abi:2 (bundled generations), or REV:path in git")
    parser.add_argument("new", help="same forms as OLD")
    parser.add_argument("--allow", action="append", default=[], metavar="RULE[,RULE]",
                        help="rule ids whose breaking changes do not fail the run")
    parser.add_argument("--format", choices=("text", "json", "github"), default="text")
    parser.add_argument("--json", dest="format", action="store_const", const="json", help="same as --format json")
    parser.add_argument("--rules", action="store_true", help="list the rules and exit")
    if argv[:1] != ["diff"]:
        print("error: abi: unknown subcommand (expected `nylon-ring abi diff OLD NEW`)", file=sys.stderr)
        return 2
    rest = argv[1:]
    if "--rules" in rest:
        for rule in abidiff.load_rules().values():
            print(f"{rule.id:<34} {rule.severity:<18} {rule.why}")
        return 0
    try:
        args = parser.parse_args(rest)
    except SystemExit as exc:
        return 0 if exc.code == 0 else 2
    allow = {r.strip() for item in args.allow for r in item.split(",") if r.strip()}
    try:
        unknown = sorted(allow - set(abidiff.load_rules()))
        if unknown:
            raise abidiff.UsageError(f"--allow: unknown rule id {unknown[0]!r} (see `nylon-ring abi diff --rules`)")
        old, new = abidiff.load_side(args.old), abidiff.load_side(args.new)
    except NylonRingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    changes = abidiff.diff(old, new)
    if args.format == "json":
        import json

        print(json.dumps({"old": args.old, "new": args.new, "exit_code": abidiff.exit_code(changes, allow),
                          "changes": [c.to_json() for c in changes]}, indent=2))
    elif args.format == "github":
        new_file = Path(args.new)
        text = new_file.read_text(encoding="utf-8", errors="replace") if new_file.is_file() else None
        print(abidiff.render_github(changes, args.new, text))
    else:
        print(abidiff.render_text(changes, args.old, args.new, allow))
    return abidiff.exit_code(changes, allow)


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["abi"]:
        sys.exit(abi_diff(argv[1:]))
    if argv[:1] == ["gen-bindings"] and not {"-h", "--help"} & set(argv):
        code = _gen_bindings(argv[1:])
        if code >= 0:
            sys.exit(code)
    from .cli import main as typer_main

    typer_main()
