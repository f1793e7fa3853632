"""The one exception family of nylon-ring-sdk.

Every error a user can cause (a bad schema, a bad manifest, a plugin that will not
load, a project that cannot be scaffolded) derives from :class:`NylonRingError`. The
CLI catches that base class, prints the message on one line and exits 1, so each
message must stand on its own: it names the file, the key or line, and what was
expected.
"""

from __future__ import annotations


class NylonRingError(Exception):
    """Base class: anything the CLI reports as a one-line error with exit code 1."""


class SchemaError(NylonRingError):
    """Raised when a schema file cannot be read, parsed or validated.

    The message has the form ``FILE[:LINE[:COL]]: KEY.PATH: what is wrong (expected ...)``.
    """

    def __init__(self, file: str, key: str | None, message: str, line: int | None = None,
                 col: int | None = None) -> None:
        self.file = file
        self.key = key
        self.line = line
        self.col = col
        self.reason = message
        where = file
        if line is not None:
            where += f":{line}"
            if col is not None:
                where += f":{col}"
        text = f"{where}: {key}: {message}" if key else f"{where}: {message}"
        super().__init__(text)


class LayoutError(NylonRingError):
    """Raised when a layout cannot be computed (an unknown target or data model)."""


class GenerationError(NylonRingError):
    """Raised when bindings cannot be generated or written (unknown language, foreign file)."""


class DriftError(NylonRingError):
    """Raised by ``gen-bindings --check`` when generated files are missing or differ."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("bindings out of date: " + "; ".join(problems)
                         + " (run `nylon-ring gen-bindings` to regenerate)")


class ScaffoldError(NylonRingError):
    """Raised when ``nylon-ring new`` refuses a name or a target directory."""


class BuildError(NylonRingError):
    """Raised when ``nylon-ring build`` cannot find a toolchain or the build fails."""


class ToolchainMissing(BuildError):
    """Raised when a compiler or build tool a step needs is not installed."""


class ManifestError(NylonRingError):
    """Raised when a plugin's ``nylon-ring.toml`` conformance manifest is invalid."""


class HostError(NylonRingError):
    """Base of the reference host's errors; each names the plugin path."""
