"""Opening a plugin library and validating its ``NrPluginInfo``.

Each rule the host checks on load has its own exception class (see
:mod:`nylon_ring_sdk.errors`), so a caller (the conformance suite, a test) can tell
exactly which rule a plugin broke. Checks run in the order a careful host must run
them: nothing is read through a pointer before the pointer and the sizes that guard
it were checked.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

from ..errors import (AbiVersionMismatch, InvalidPluginName, InvalidPluginVersion, InvalidSlot,
                      MissingSlot, MissingSymbol, NullPluginInfo, NullVTable, PluginLoadError,
                      PluginNotFound, PluginOpenFailed, StructSizeMismatch)
from .nylon_ring_abi import (ENTRY_SYMBOL, LAYOUTS, NR_ABI_VERSION, NrPluginInfo, NrPluginVTable,
                             current_data_model)
from .types import PluginInfo

#: The vtable slots in ABI order.
SLOT_NAMES: tuple[str, ...] = tuple(name for name, _ in NrPluginVTable._fields_)
#: A name or version longer than this is treated as garbage rather than read.
MAX_INFO_STRING = 4096


def expected_info_size() -> int:
    """sizeof(NrPluginInfo) on this platform, from the layout engine's table."""
    return LAYOUTS[current_data_model()]["NrPluginInfo"][0]


def open_library(path: str | os.PathLike) -> tuple[ctypes.CDLL, Path]:
    """dlopen the plugin (RTLD_NOW | RTLD_LOCAL); the caller must never drop the handle."""
    resolved = Path(path).expanduser().resolve()
    if not resolved.is_file():
        raise PluginNotFound(str(path), "no such file")
    try:
        lib = ctypes.CDLL(str(resolved), mode=os.RTLD_NOW | os.RTLD_LOCAL)
    except OSError as exc:
        raise PluginOpenFailed(str(path), f"cannot load library: {exc}") from None
    return lib, resolved


def entry_point(lib: ctypes.CDLL, path: str, symbol: str = ENTRY_SYMBOL) -> int:
    """Call the entry symbol; the address of the NrPluginInfo it returns (never 0)."""
    try:
        fn = getattr(lib, symbol)
    except AttributeError:
        raise MissingSymbol(path, f"does not export `{symbol}` (is it built with the nylon-ring bindings?)") from None
    fn.restype = ctypes.c_void_p
    fn.argtypes = []
    address = fn()
    if not address:
        raise NullPluginInfo(path, f"`{symbol}()` returned NULL (expected a pointer to a static NrPluginInfo)")
    return address


def _read_str(path: str, nr_str, what: str, error: type[PluginLoadError]) -> str:
    length = nr_str.len
    if length == 0:
        return ""
    if not nr_str.ptr:
        raise error(path, f"NrPluginInfo.{what} is NULL with length {length}")
    if length > MAX_INFO_STRING:
        raise error(path, f"NrPluginInfo.{what} has an implausible length {length} (at most {MAX_INFO_STRING})")
    raw = ctypes.string_at(nr_str.ptr, length)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(path, f"NrPluginInfo.{what} is not valid UTF-8 ({raw[:40]!r}: {exc.reason} at byte {exc.start})") from None


def _check_header(path: str, address: int) -> None:
    """abi_version and struct_size come first: they say whether the rest may be read."""
    abi_version, struct_size = (ctypes.c_uint32 * 2).from_address(address)
    if abi_version != NR_ABI_VERSION:
        raise AbiVersionMismatch(path, f"NrPluginInfo.abi_version is {abi_version}; this host speaks ABI {NR_ABI_VERSION}")
    expected = expected_info_size()
    if struct_size != expected:
        raise StructSizeMismatch(path, f"NrPluginInfo.struct_size is {struct_size}; "
                                       f"expected sizeof(NrPluginInfo) = {expected} on {current_data_model()}")


def _read_slots(path: str, info: NrPluginInfo) -> tuple[int, dict[str, int]]:
    vtable = ctypes.cast(info.vtable, ctypes.c_void_p).value
    if not vtable:
        raise NullVTable(path, "NrPluginInfo.vtable is NULL")
    raw = (ctypes.c_void_p * len(SLOT_NAMES)).from_address(vtable)
    slots = {name: raw[i] or 0 for i, name in enumerate(SLOT_NAMES)}
    if not slots["init"]:
        raise MissingSlot(path, "vtable slot `init` is NULL (it is required)")
    if not slots["handle"] and not slots["handle_raw"]:
        raise MissingSlot(path, "vtable slots `handle` and `handle_raw` are both NULL (at least one is required)")
    return vtable, slots


def read_info(path: str, address: int) -> tuple[int, PluginInfo]:
    """Validate the NrPluginInfo at address; returns (vtable address, PluginInfo)."""
    _check_header(path, address)
    info = NrPluginInfo.from_address(address)
    vtable, slots = _read_slots(path, info)
    name = _read_str(path, info.name, "name", InvalidPluginName)
    version = _read_str(path, info.version, "version", InvalidPluginVersion)
    return vtable, PluginInfo(name=name, version=version, abi_version=info.abi_version,
                              struct_size=info.struct_size, plugin_ctx=info.plugin_ctx or 0, slots=slots)


def code_ranges(library: Path) -> list[tuple[int, int]] | None:
    """Executable mappings of `library` in this process, or None where /proc is absent.

    A mapping belongs to the library when its path is the library's, or (for a file
    reached through another name) when its device and inode are.
    """
    try:
        maps = Path("/proc/self/maps").read_text()
        st = library.stat()
    except OSError:
        return None
    identity = (f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}", str(st.st_ino))
    ranges = []
    for line in maps.splitlines():
        parts = line.split(None, 5)
        if len(parts) < 6 or "x" not in parts[1]:
            continue
        if parts[5].strip() != str(library) and (parts[3], parts[4]) != identity:
            continue
        start, end = (int(x, 16) for x in parts[0].split("-"))
        ranges.append((start, end))
    return ranges


def check_slots(path: str, library: Path, slots: dict[str, int]) -> None:
    """Every non-NULL slot must point into the plugin's own executable code.

    A plugin built against an older, shorter vtable leaves whatever follows its
    table in the slots past its end; calling such a slot jumps into data.
    """
    ranges = code_ranges(library)
    if ranges is None:
        return
    for name, address in slots.items():
        if address and not any(start <= address < end for start, end in ranges):
            raise InvalidSlot(path, f"vtable slot `{name}` = {address:#x} does not point into the plugin's "
                                    f"executable code (a vtable shorter than the ABI's {len(SLOT_NAMES)} slots?)")
