"""Load and ABI checks, then init and shutdown: the plugin as a host first sees it.

Everything up to `lifecycle.init` reads the library without calling into it beyond
the entry symbol and the layout probe, one field at a time and in the order that
makes each read safe: `abi_version` and `struct_size` before anything behind
them, the vtable pointer before the slots. A plugin failing one of these gates
would be refused by a careful host, so nothing else runs against it.
"""

from __future__ import annotations

import ctypes
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..rules import GUIDE_TYPES, V1_EXT, V1_LAYOUT, V1_LOAD, V1_RULES, MUST, check, failed, passed, skipped
from ..context import Context
from ...errors import InitFailed, PluginLoadError, PluginNotFound, PluginOpenFailed
from ...host import loading, nylon_ring_abi
from ...host.loading import MAX_INFO_STRING
from ...host.nylon_ring_abi import current_data_model
from ...layout import compute_layout
from ...schema import load_default

_REQUIRED = ("init",)
_INFO_STRINGS = ("name", "version")


@dataclass
class _Library:
    """The opened plugin library and what has been read from it so far."""

    path: Path
    lib: ctypes.CDLL
    info_address: int = 0
    vtable: int = 0
    slots: dict[str, int] | None = None


#: Opened libraries are never closed: the plugin may have started threads.
_OPENED: list[Any] = []


def _library(ctx: Context) -> _Library:
    """dlopen once per process; a library that cannot be opened is a load error (exit code 2)."""
    if "library" not in ctx.cache:
        lib, resolved = loading.open_library(ctx.plugin)
        _OPENED.append(lib)
        ctx.cache["library"] = _Library(resolved, lib)
    return ctx.cache["library"]


def _abi() -> Any:
    return nylon_ring_abi


@check("load.symbol", MUST, "The library exports `nylon_ring_get_plugin_v1`.", cite=V1_LOAD, group="load", gate=True)
def symbol(ctx: Context) -> Any:
    ctx.step("dlopen")
    try:
        lib = _library(ctx)
    except (PluginNotFound, PluginOpenFailed) as exc:
        ctx.emit({"e": "load_error", "message": str(exc)})
        return failed(str(exc))
    name = _abi().ENTRY_SYMBOL
    if hasattr(lib.lib, name):
        return passed(f"`{name}` found")
    near = [n for n in (name[:-3], name[:-1] + "0", name + "_", "_" + name, "nylon_ring_get_plugin_v2")
            if hasattr(lib.lib, n)]
    hint = f" (it exports `{near[0]}` instead: built against other bindings?)" if near else ""
    return failed(f"`{name}` is not exported{hint}")


@check("load.info", MUST, "`nylon_ring_get_plugin_v1()` returns a non-NULL NrPluginInfo.", cite=V1_LOAD, group="load",
       gate=True, requires=("load.symbol",))
def info(ctx: Context) -> Any:
    lib = _library(ctx)
    fn = getattr(lib.lib, _abi().ENTRY_SYMBOL)
    fn.restype, fn.argtypes = ctypes.c_void_p, []
    ctx.step(f"{_abi().ENTRY_SYMBOL}()")
    lib.info_address = fn() or 0
    if not lib.info_address:
        return failed(f"{_abi().ENTRY_SYMBOL}() returned NULL")
    return passed(f"NrPluginInfo at {lib.info_address:#x}")


def _header(ctx: Context) -> tuple[int, int]:
    """(abi_version, struct_size): the two u32 that open NrPluginInfo in every data model."""
    values = (ctypes.c_uint32 * 2).from_address(_library(ctx).info_address)
    return values[0], values[1]


@check("abi.version", MUST, "NrPluginInfo.abi_version is 1 (NR_ABI_VERSION).", cite=V1_LOAD, group="load", gate=True,
       requires=("load.info",))
def abi_version(ctx: Context) -> Any:
    version = _header(ctx)[0]
    expected = _abi().NR_ABI_VERSION
    if version != expected:
        return failed(f"abi_version is {version}; this suite speaks ABI {expected}", abi_version=version)
    return passed(f"abi_version {version}", abi_version=version)


@check("abi.struct_size", MUST, "NrPluginInfo.struct_size is sizeof(NrPluginInfo) for the target (56 on 64-bit).",
       cite=V1_LOAD, group="load", gate=True, requires=("load.info",))
def struct_size(ctx: Context) -> Any:
    abi = _abi()
    size = _header(ctx)[1]
    expected = abi.LAYOUTS[abi.current_data_model()]["NrPluginInfo"][0]
    if size != expected:
        return failed(f"struct_size is {size}; sizeof(NrPluginInfo) is {expected} on {abi.current_data_model()}",
                      struct_size=size)
    return passed(f"struct_size {size}", struct_size=size)


def _read_string(value: Any, what: str) -> tuple[str | None, str | None]:
    """(text, problem) for one NrStr of NrPluginInfo."""
    if value.len == 0:
        return "", None
    if not value.ptr:
        return None, f"{what} is NULL with length {value.len}"
    if value.len > MAX_INFO_STRING:
        return None, f"{what} has an implausible length {value.len} (at most {MAX_INFO_STRING})"
    raw = ctypes.string_at(value.ptr, value.len)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"{what} is not valid UTF-8: {raw[:40]!r} ({exc.reason} at byte {exc.start})"


@check("abi.strings", MUST, "NrPluginInfo.name and .version are UTF-8 (pointer set when the length is not 0).",
       cite=GUIDE_TYPES, group="load", gate=True, requires=("abi.version", "abi.struct_size"))
def strings(ctx: Context) -> Any:
    info_struct = _abi().NrPluginInfo.from_address(_library(ctx).info_address)
    texts: dict[str, str] = {}
    problems: list[str] = []
    for what in _INFO_STRINGS:
        text, problem = _read_string(getattr(info_struct, what), what)
        if problem:
            problems.append(problem)
        else:
            texts[what] = text or ""
    if problems:
        return failed("; ".join(problems), **texts)
    ctx.emit({"e": "plugin", "name": texts["name"], "version": texts["version"]})
    return passed(f"{texts['name']!r} version {texts['version']!r}", **texts)


@check("abi.manifest_name", MUST, "The plugin's name is the one its manifest declares.", cite=V1_LOAD, group="load",
       requires=("abi.strings",))
def manifest_name(ctx: Context) -> Any:
    if not ctx.manifest.present:
        return skipped("no manifest")
    if ctx.manifest.name is None:
        return skipped("the manifest declares no [plugin] name")
    info_struct = _abi().NrPluginInfo.from_address(_library(ctx).info_address)
    name, _ = _read_string(info_struct.name, "name")
    if name != ctx.manifest.name:
        return failed(f"the plugin calls itself {name!r}; the manifest says {ctx.manifest.name!r}")
    return passed(f"{name!r}")


@check("abi.vtable", MUST, "NrPluginInfo.vtable is not NULL.", cite=V1_LOAD, group="load", gate=True,
       requires=("abi.version", "abi.struct_size"))
def vtable(ctx: Context) -> Any:
    lib = _library(ctx)
    info_struct = _abi().NrPluginInfo.from_address(lib.info_address)
    lib.vtable = ctypes.cast(info_struct.vtable, ctypes.c_void_p).value or 0
    if not lib.vtable:
        return failed("vtable is NULL")
    names = [name for name, _ in _abi().NrPluginVTable._fields_]
    raw = (ctypes.c_void_p * len(names)).from_address(lib.vtable)
    lib.slots = {name: raw[i] or 0 for i, name in enumerate(names)}
    return passed(f"vtable at {lib.vtable:#x}", slots={k: f"{v:#x}" if v else None for k, v in lib.slots.items()})


@check("abi.required_slots", MUST, "The vtable sets `init`, and `handle` or `handle_raw` (or both).", cite=V1_LOAD, group="load",
       gate=True, requires=("abi.vtable",))
def required_slots(ctx: Context) -> Any:
    slots = _library(ctx).slots or {}
    missing = [name for name in _REQUIRED if not slots.get(name)]
    if not slots.get("handle") and not slots.get("handle_raw"):
        missing.append("handle or handle_raw")
    if missing:
        return failed(f"NULL required slot(s): {', '.join(missing)}")
    empty = [name for name, address in slots.items() if not address]
    return passed("required slots set" + (f"; optional NULL slots: {', '.join(empty)}" if empty else ""))


@check("abi.slot_targets", MUST, "Every non-NULL vtable slot points into executable code of the plugin itself.",
       cite=V1_LAYOUT, group="load", gate=True, requires=("abi.vtable",))
def slot_targets(ctx: Context) -> Any:
    lib = _library(ctx)
    regions = _mappings()
    if regions is None:
        return _slot_targets_by_dladdr(lib)
    identity = _file_identity(lib.path)
    bad = []
    for name, address in (lib.slots or {}).items():
        region = next((r for r in regions if r.start <= address < r.end), None) if address else None
        if address and not (region and region.executable and region.belongs_to(lib.path, identity)):
            bad.append(f"`{name}` = {address:#x} points {_where(region, lib.path, identity)}")
    if bad:
        slots = len(lib.slots or {})
        return failed("; ".join(bad) + f" (a vtable built with fewer than the ABI's {slots} slots?)", bad_slots=bad)
    return passed("every slot points into the plugin's executable code")


@dataclass(frozen=True)
class _Region:
    start: int
    end: int
    perms: str
    device: str
    inode: str
    path: str

    @property
    def executable(self) -> bool:
        return "x" in self.perms

    def belongs_to(self, library: Path, identity: tuple[str, str] | None) -> bool:
        return self.path == str(library) or (identity is not None and (self.device, self.inode) == identity)


def _mappings() -> list[_Region] | None:
    """This process's memory map from /proc/self/maps, or None where there is none."""
    try:
        text = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    regions = []
    for line in text.splitlines():
        parts = line.split(None, 5)
        if len(parts) < 5:
            continue
        start, end = (int(x, 16) for x in parts[0].split("-"))
        regions.append(_Region(start, end, parts[1], parts[3], parts[4], parts[5].strip() if len(parts) > 5 else ""))
    return regions


def _file_identity(path: Path) -> tuple[str, str] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}", str(st.st_ino)


def _where(region: _Region | None, library: Path, identity: tuple[str, str] | None) -> str:
    if region is None:
        return "to unmapped memory"
    if region.belongs_to(library, identity):
        return f"into the plugin's own non-executable data ({region.perms})"
    owner = region.path or "anonymous memory"
    kind = "code" if region.executable else f"data, {region.perms}"
    return f"into {owner} ({kind}), not the plugin"


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def _slot_targets_by_dladdr(lib: _Library) -> Any:
    """Without /proc: dladdr says which file an address belongs to (not whether it is code)."""
    try:
        dladdr = ctypes.CDLL(None).dladdr
    except (OSError, AttributeError):
        return skipped("cannot map slot addresses on this system (no /proc/self/maps, no dladdr)")
    dladdr.argtypes, dladdr.restype = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)], ctypes.c_int
    bad = []
    for name, address in (lib.slots or {}).items():
        info_out = _DlInfo()
        if address and (not dladdr(address, ctypes.byref(info_out)) or not info_out.dli_fname
                        or Path(os.fsdecode(info_out.dli_fname)).resolve() != lib.path):
            owner = os.fsdecode(info_out.dli_fname) if info_out.dli_fname else "no loaded image"
            bad.append(f"`{name}` = {address:#x} points into {owner}, not the plugin")
    if bad:
        return failed("; ".join(bad), bad_slots=bad)
    return passed("every slot points into the plugin's image (dladdr; executability not checked)")


@check("abi.layout_probe", MUST,
       "When `nylon_ring_layout_probe_v1` is exported, its table equals the schema's layout for this target.",
       cite=V1_EXT, group="load", gate=True, requires=("load.info",))
def layout_probe(ctx: Context) -> Any:
    abi = _abi()
    lib = _library(ctx)
    if not hasattr(lib.lib, abi.LAYOUT_PROBE_SYMBOL):
        return skipped(f"the plugin does not export `{abi.LAYOUT_PROBE_SYMBOL}` (optional)")
    fn = getattr(lib.lib, abi.LAYOUT_PROBE_SYMBOL)
    fn.restype, fn.argtypes = ctypes.c_void_p, []
    ctx.step(f"{abi.LAYOUT_PROBE_SYMBOL}()")
    address = fn()
    if not address:
        return failed(f"{abi.LAYOUT_PROBE_SYMBOL}() returned NULL")
    probe = abi.NrLayoutProbe.from_address(address)
    expected, labels = _expected_layout()
    if probe.probe_version != abi.NR_LAYOUT_PROBE_VERSION:
        return failed(f"probe_version is {probe.probe_version} (expected {abi.NR_LAYOUT_PROBE_VERSION})")
    if probe.count != len(expected) or not probe.values:
        return failed(f"the table has {probe.count} values (expected {len(expected)} for this schema)")
    values = list((ctypes.c_uint32 * probe.count).from_address(probe.values))
    wrong = [f"{label} is {got} (schema: {want})" for label, got, want in zip(labels, values, expected) if got != want]
    if wrong:
        return failed("layout differs from the schema: " + "; ".join(wrong[:6])
                      + (f"; and {len(wrong) - 6} more" if len(wrong) > 6 else ""), differences=wrong)
    return passed(f"{len(values)} layout values match the schema ({abi.current_data_model()})")


def _expected_layout() -> tuple[list[int], list[str]]:
    """The layout engine's probe table and labels for this process's data model."""
    table = compute_layout(load_default(), current_data_model())
    return table.probe_values(), table.probe_labels()


@check("lifecycle.init", MUST, "`init` returns Ok (the reference host loads the plugin).", cite=V1_LOAD, group="load", gate=True,
       requires=("abi.required_slots", "abi.slot_targets", "abi.strings", "abi.layout_probe"))
def init(ctx: Context) -> Any:
    try:
        host = ctx.host
    except InitFailed as exc:
        return failed(str(exc).split(": ", 1)[-1])
    except PluginLoadError as exc:
        return failed(f"the reference host refused the plugin: {exc}")
    return passed(f"loaded {host.info.name!r} {host.info.version!r}; init returned Ok")


@check("lifecycle.shutdown_idle", MUST, "`shutdown` right after `init` (no call) returns and sends nothing.",
       cite=V1_RULES, group="load", requires=("lifecycle.init",))
def shutdown_idle(ctx: Context) -> Any:
    host = ctx.host
    mark = len(host.violations)
    ctx.step("shutdown (no call was made)")
    started = time.perf_counter()
    host.close()
    took = time.perf_counter() - started
    ctx.settle()
    sent = host.violations[mark:]
    if sent:
        return failed(f"{len(sent)} callback(s) with no call made: " + "; ".join(v.describe() for v in sent[:3]))
    return passed(f"shutdown returned in {took * 1000:.1f} ms; nothing was sent", shutdown_seconds=took)
