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

from ..errors import (AbiVersionMismatch, CratesIo01Plugin, InvalidPluginName, InvalidPluginVersion, InvalidSlot,
                      MissingSlot, MissingSymbol, NullPluginInfo, NullVTable, PluginLoadError,
                      PluginNotFound, PluginOpenFailed, StructSizeMismatch)
from . import elf, nylon_ring_abi2
from .nylon_ring_abi import (ENTRY_SYMBOL, LAYOUTS, NR_ABI_VERSION, NrPluginInfo, NrPluginVTable,
                             current_data_model)
from .types import PluginInfo

#: The vtable slots in ABI order.
SLOT_NAMES: tuple[str, ...] = tuple(name for name, _ in NrPluginVTable._fields_)
#: ABI 2: the entry symbol, its vtable slots, and the smallest NrPluginInfo it accepts.
ENTRY_SYMBOL_V2 = "nylon_ring_get_plugin"
SLOT_NAMES_V2: tuple[str, ...] = tuple(name for name, _ in nylon_ring_abi2.NrPluginVTable._fields_)
MIN_INFO_SIZE_V2 = 56
ABI_VERSION_V2 = nylon_ring_abi2.NR_ABI_VERSION
#: The crates.io 0.1.x plugin vtable: ABI 2's first five slots.
CRATES_IO_01_SLOTS = 5
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


def generation(lib: ctypes.CDLL, path: str, abi: int | None = None) -> int:
    """Which ABI generation the library speaks, from its entry symbol.

    `nylon_ring_get_plugin` means ABI 2 (what released hosts load), `nylon_ring_get_plugin_v1`
    ABI 1; a library exporting both is taken as ABI 2 unless `abi` says otherwise.
    """
    has_v2, has_v1 = hasattr(lib, ENTRY_SYMBOL_V2), hasattr(lib, ENTRY_SYMBOL)
    if abi is not None:
        symbol = ENTRY_SYMBOL_V2 if abi == 2 else ENTRY_SYMBOL
        if not (has_v2 if abi == 2 else has_v1):
            raise MissingSymbol(path, f"does not export `{symbol}` (asked for ABI {abi})")
        return abi
    if has_v2:
        return 2
    if has_v1:
        return 1
    raise MissingSymbol(path, f"exports neither `{ENTRY_SYMBOL_V2}` (ABI 2) nor `{ENTRY_SYMBOL}` (ABI 1) "
                              "(is it built with the nylon-ring bindings?)")


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


def read_info_v2(path: str, address: int) -> tuple[int, PluginInfo]:
    """Validate an ABI 2 NrPluginInfo at address; returns (vtable address, PluginInfo).

    abi_version must be exactly 2 and struct_size at least 56 (larger is the sanctioned
    extension); init and handle are required (the released host requires them too), and
    resolve_entry and handle_by_id come as a pair.
    """
    abi_version, struct_size = (ctypes.c_uint32 * 2).from_address(address)
    if abi_version != ABI_VERSION_V2:
        raise AbiVersionMismatch(path, f"NrPluginInfo.abi_version is {abi_version}; ABI 2 "
                                       f"(`{ENTRY_SYMBOL_V2}`) requires exactly {ABI_VERSION_V2}")
    if struct_size < MIN_INFO_SIZE_V2:
        raise StructSizeMismatch(path, f"NrPluginInfo.struct_size is {struct_size}; ABI 2 requires at least "
                                       f"{MIN_INFO_SIZE_V2}")
    info = nylon_ring_abi2.NrPluginInfo.from_address(address)
    vtable = ctypes.cast(info.vtable, ctypes.c_void_p).value
    if not vtable:
        raise NullVTable(path, "NrPluginInfo.vtable is NULL")
    raw = (ctypes.c_void_p * len(SLOT_NAMES_V2)).from_address(vtable)
    slots = {name: raw[i] or 0 for i, name in enumerate(SLOT_NAMES_V2)}
    for required in ("init", "handle"):
        if not slots[required]:
            raise MissingSlot(path, f"vtable slot `{required}` is NULL (it is required)")
    if bool(slots["resolve_entry"]) != bool(slots["handle_by_id"]):
        given, missing = ("resolve_entry", "handle_by_id") if slots["resolve_entry"] else ("handle_by_id", "resolve_entry")
        raise MissingSlot(path, f"vtable slot `{given}` is set but `{missing}` is NULL "
                                "(ABI 2: both or neither)")
    name = _read_str(path, info.name, "name", InvalidPluginName)
    version = _read_str(path, info.version, "version", InvalidPluginVersion)
    return vtable, PluginInfo(name=name, version=version, abi_version=abi_version, struct_size=struct_size,
                              plugin_ctx=info.plugin_ctx or 0, slots=slots, abi=2)


def crates_io_01_verdict(path: str, library: Path, info_address: int) -> CratesIo01Plugin | None:
    """Whether an ABI-1-exporting library is really a crates.io `nylon-ring` 0.1.x plugin.

    Read before anything of it is called: the ELF size of the static holding the vtable
    (40 bytes = 5 slots; the seed's is 48), Cargo registry paths naming the crate's
    0.1 versions, Rust symbols of a crate `nylon_ring`, and whether the 6th word of the
    table is plugin code while the first five are. Returns the error to raise (with its
    evidence and confidence), or None when nothing points that way.
    """
    abi_version, _ = (ctypes.c_uint32 * 2).from_address(info_address)
    vtable = ctypes.cast(NrPluginInfo.from_address(info_address).vtable, ctypes.c_void_p).value
    if abi_version != NR_ABI_VERSION or not vtable:
        return None
    words = list((ctypes.c_void_p * len(SLOT_NAMES)).from_address(vtable))
    evidence: list[str] = []
    sizes = _vtable_symbol_sizes(library, vtable)
    if len(SLOT_NAMES) * 8 in sizes.values():
        return None  # the static is exactly the seed's 6-slot table
    five = [name for name, size in sizes.items() if size == CRATES_IO_01_SLOTS * 8]
    if five:
        evidence.append(f"the vtable is the {CRATES_IO_01_SLOTS * 8}-byte static `{five[0]}` "
                        f"({CRATES_IO_01_SLOTS} slots; the seed's ABI 1 table has {len(SLOT_NAMES)})")
    image = elf.read(library)
    versions = image.mentions(rb"nylon-ring-0\.1\.\d+") if image else []
    if versions:
        evidence.append(f"the library names the crate source {', '.join(versions[:3])}")
    ranges = code_ranges(library)
    slot6_foreign = ranges is not None and all(_in(ranges, w) for w in words[:CRATES_IO_01_SLOTS])         and not _in(ranges, words[CRATES_IO_01_SLOTS])
    if slot6_foreign:
        evidence.append("slots 1-5 point into the plugin's code but the 6th word after the table does not")
    crate_symbols = image is not None and any("10nylon_ring" in s.name for s in image.symbols)
    if crate_symbols and evidence:
        evidence.append("it holds Rust symbols of a crate named `nylon_ring`")
    confidence = "certain" if five else "high" if versions or (slot6_foreign and crate_symbols)         else "medium" if slot6_foreign else ""
    if not confidence:
        return None
    detail = (f"built with the crates.io `nylon-ring` 0.1.x crate, not the seed's ABI 1: it exports "
              f"`{ENTRY_SYMBOL}` with abi_version 1, but its vtable has {CRATES_IO_01_SLOTS} slots (init, handle, "
              f"shutdown, stream_data, stream_close) whose calls take no plugin_ctx and no request; it is not "
              f"called with ABI 1's signatures (confidence: {confidence}; evidence: {'; '.join(evidence)}). "
              f"Rebuild it with nylon-ring 0.2 (ABI 2)")
    return CratesIo01Plugin(path, detail, tuple(evidence), confidence)


def _in(ranges: list[tuple[int, int]], address: int | None) -> bool:
    return bool(address) and any(start <= address < end for start, end in ranges)


def _vtable_symbol_sizes(library: Path, vtable: int) -> dict[str, int]:
    """ELF symbols (name -> size) whose extent holds the vtable's address, via the library's load base."""
    image = elf.read(library)
    base = _load_base(vtable)
    if image is None or base is None:
        return {}
    return {s.name: s.size for s in image.covering(vtable - base + image.first_vaddr)}


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def _load_base(address: int) -> int | None:
    """Where the image holding `address` is mapped (dladdr's dli_fbase)."""
    try:
        dladdr = ctypes.CDLL(None).dladdr
    except (OSError, AttributeError):
        return None
    dladdr.argtypes, dladdr.restype = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)], ctypes.c_int
    found = _DlInfo()
    if not dladdr(address, ctypes.byref(found)) or not found.dli_fbase:
        return None
    return found.dli_fbase


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
                                    f"executable code (a vtable shorter than the ABI's {len(slots)} slots?)")
