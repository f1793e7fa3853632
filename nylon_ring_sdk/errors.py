"""The one exception family of nylon-ring-sdk.

Every error a user can cause (a bad schema, a bad manifest, a plugin that will not
load, a project that cannot be scaffolded) derives from :class:`NylonRingError`. The
CLI catches that base class, prints the message on one line and exits 1, so each
message must stand on its own: it names the file, the key or line, and what was
expected.
"""

from __future__ import annotations


class NylonRingError(Exception):
    """Base class: anything the CLI reports as a one-line error, with exit code :attr:`exit_code`."""

    #: What the CLI exits with when this error ends a command (README: "Exit codes").
    exit_code = 1


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


class UsageError(NylonRingError):
    """Raised when a command-line option has a value the tool does not know (`--abi 3`)."""

    exit_code = 2


class LayoutError(NylonRingError):
    """Raised when a layout cannot be computed (an unknown target or data model)."""


class GenerationError(NylonRingError):
    """Raised when bindings cannot be generated or written (unknown language, foreign file)."""


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


# ---------------------------------------------------------------- reference host

class PluginLoadError(HostError):
    """Base of the errors :meth:`nylon_ring_sdk.host.Host.load` raises; the message starts with the plugin path."""

    def __init__(self, path: str, detail: str) -> None:
        self.path = str(path)
        self.detail = detail
        super().__init__(f"{path}: {detail}")


class PluginNotFound(PluginLoadError):
    """Raised when the plugin path does not name an existing file."""


class PluginOpenFailed(PluginLoadError):
    """Raised when the dynamic loader refuses the file (not a shared library, wrong
    architecture, unresolved dependency)."""


class MissingSymbol(PluginLoadError):
    """Raised when the library exports neither ``nylon_ring_get_plugin`` (ABI 2) nor
    ``nylon_ring_get_plugin_v1`` (ABI 1), or not the one of a generation asked for."""


class NullPluginInfo(PluginLoadError):
    """Raised when ``nylon_ring_get_plugin_v1()`` returns NULL."""


class AbiVersionMismatch(PluginLoadError):
    """Raised when ``NrPluginInfo.abi_version`` is not the ABI version the host speaks."""


class StructSizeMismatch(PluginLoadError):
    """Raised when ``NrPluginInfo.struct_size`` is not ``sizeof(NrPluginInfo)`` of this
    platform (ABI 1), or smaller than 56 (ABI 2, where larger is an allowed extension)."""


class NullVTable(PluginLoadError):
    """Raised when ``NrPluginInfo.vtable`` is NULL."""


class MissingSlot(PluginLoadError):
    """Raised when a required vtable slot is NULL: ``init``, both ``handle`` and
    ``handle_raw`` at load time, or the slot a particular call needs (``handle`` for
    ``call``, ``stream_data`` for a bidi ``send``...)."""


class InvalidSlot(PluginLoadError):
    """Raised when a non-NULL vtable slot does not point into the plugin's own
    executable code, typically a vtable built against an older, shorter layout."""


class CratesIo01Plugin(PluginLoadError):
    """Raised when a library exporting ``nylon_ring_get_plugin_v1`` was built with the
    crates.io ``nylon-ring`` 0.1.x crate: ``abi_version`` 1 like the seed's ABI 1, but a
    5-slot vtable whose calls take no ``plugin_ctx`` and no request. Calling it as ABI 1
    would pass the wrong arguments, so the host refuses it before calling anything.
    ``evidence`` lists what the verdict rests on, ``confidence`` how sure it is."""

    def __init__(self, path: str, detail: str, evidence: tuple[str, ...] = (), confidence: str = "") -> None:
        super().__init__(path, detail)
        self.evidence = evidence
        self.confidence = confidence


class InvalidPluginName(PluginLoadError):
    """Raised when ``NrPluginInfo.name`` is not valid UTF-8 (or NULL with a length)."""


class InvalidPluginVersion(PluginLoadError):
    """Raised when ``NrPluginInfo.version`` is not valid UTF-8 (or NULL with a length)."""


class InitFailed(PluginLoadError):
    """Raised when the plugin's ``init`` returns anything but Ok."""


class CallTimeout(HostError):
    """Raised when a call, stream frame or bidi frame does not arrive within its timeout;
    the message names the plugin, the entry and the sid (also in ``.entry``, ``.sid``)."""

    def __init__(self, message: str, entry: object = None, sid: int | None = None) -> None:
        self.entry = entry
        self.sid = sid
        super().__init__(message)


class HostClosed(HostError):
    """Raised when a host is used after ``close()`` (or shut down while a call waited)."""


class ShimBuildError(HostError):
    """Raised when the reference host's native helper cannot be compiled."""


class BenchError(NylonRingError):
    """Raised by ``nylon-ring bench`` when the harness cannot be built or run, or when the
    plugin misbehaved under load (wrong sid, a second or missing answer, a wrong status or
    payload length): the run then yields an error, never a number."""


class ConformanceError(NylonRingError):
    """Raised when ``nylon-ring conformance`` is asked for something it cannot do: a plugin
    file that does not exist, a ``-k`` pattern that selects no check, a bad ``--timeout``
    or ``--jobs``. The CLI reports it (and ManifestError) with exit code 2."""
