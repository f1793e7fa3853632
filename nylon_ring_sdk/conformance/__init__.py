"""The conformance suite: does a plugin library behave inside a nylon-ring host?

A library first: :func:`run` takes a plugin path (and a manifest, found beside the
plugin when not given), runs every check of :func:`catalogue` in child processes
and returns a :class:`Report`; it never prints. ``nylon-ring conformance`` is the
command-line face of it.

Exit codes of ``nylon-ring conformance`` (see :attr:`Report.exit_code`):

- 0: no MUST check failed (warnings and skips allowed);
- 1: at least one MUST check failed;
- 2: usage or load error: bad arguments, no such plugin file, an invalid manifest,
  or a library the dynamic loader cannot open.
"""

from __future__ import annotations

from .rules import GROUPS, MUST, SHOULD, SUITE_VERSION, Check
from .catalogue import catalogue
from .manifest import MANIFEST_NAME, Entry, Manifest, find_manifest, load_manifest
from .report import EXIT_MUST_FAILED, EXIT_OK, EXIT_USAGE, SCHEMA_PATH, CheckResult, Report
from .runner import DEFAULT_TIMEOUT, DEFAULT_WATCH, default_jobs, run

__all__ = ["run", "catalogue", "Check", "CheckResult", "Report", "Manifest", "Entry", "load_manifest",
           "find_manifest", "MANIFEST_NAME", "MUST", "SHOULD", "SUITE_VERSION", "GROUPS", "SCHEMA_PATH",
           "DEFAULT_TIMEOUT", "DEFAULT_WATCH", "default_jobs", "EXIT_OK", "EXIT_MUST_FAILED", "EXIT_USAGE"]
