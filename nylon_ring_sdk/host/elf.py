"""Just enough ELF reading to tell what built a plugin, before anything in it is called.

A plugin built against the crates.io `nylon-ring` 0.1.x crate exports the seed's entry
symbol with the seed's `abi_version`, but its tables have another shape. What the
library file itself says about it (the size of the static that holds the vtable, the
Rust symbols and source paths of the crate) is evidence a host can read without
running the plugin's code. Only 64-bit little-endian ELF files are read; anything else
gives no evidence (never an error).
"""

from __future__ import annotations

import mmap
import re
import struct
from dataclasses import dataclass
from pathlib import Path

_SHT_SYMTAB, _SHT_DYNSYM, _SHT_DYNAMIC = 2, 11, 6
_DT_NEEDED = 1
_DYN = struct.Struct("<qQ")
_PT_LOAD = 1
_SYM = struct.Struct("<IBBHQQ")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_PHDR = struct.Struct("<IIQQQQQQ")


@dataclass(frozen=True)
class Symbol:
    name: str
    value: int
    size: int


@dataclass(frozen=True)
class ElfImage:
    """The symbols of a shared library and the virtual address its first segment is linked at."""

    symbols: tuple[Symbol, ...]
    first_vaddr: int
    data: bytes | mmap.mmap

    def covering(self, vaddr: int) -> list[Symbol]:
        """Sized symbols whose extent holds the link-time address `vaddr`."""
        return [s for s in self.symbols if s.size and s.value <= vaddr < s.value + s.size]

    def mentions(self, pattern: bytes) -> list[str]:
        """Distinct matches of a regular expression anywhere in the file (strings, paths)."""
        return sorted({m.group(0).decode("latin-1") for m in re.finditer(pattern, self.data)})


def read(path: Path) -> ElfImage | None:
    """Parse `path`, or None when it is not a 64-bit little-endian ELF file."""
    try:
        with path.open("rb") as f:
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    if data[:6] != b"\x7fELF\x02\x01":
        return None
    try:
        return ElfImage(tuple(_symbols(data)), _first_vaddr(data), data)
    except (struct.error, IndexError, ValueError):
        return None


def _first_vaddr(data: mmap.mmap) -> int:
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, *_ = _PHDR.unpack_from(data, phoff + i * phentsize)
        if p_type == _PT_LOAD:
            return p_vaddr - p_offset
    return 0


def _symbols(data: mmap.mmap) -> list[Symbol]:
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [_SHDR.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
    found: list[Symbol] = []
    for sh in sections:
        sh_type, offset, size, link, entsize = sh[1], sh[4], sh[5], sh[6], sh[9]
        if sh_type not in (_SHT_SYMTAB, _SHT_DYNSYM) or not entsize:
            continue
        str_off = sections[link][4]
        for i in range(size // entsize):
            st_name, _, _, _, value, sym_size = _SYM.unpack_from(data, offset + i * entsize)
            end = data.find(b"\0", str_off + st_name)
            found.append(Symbol(data[str_off + st_name:end].decode("utf-8", "replace"), value, sym_size))
    return found


def needed(path: Path) -> list[str]:
    """The library names `path` asks the loader for (DT_NEEDED); empty when it is not 64-bit ELF."""
    image = read(path)
    if image is None:
        return []
    data = image.data
    try:
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = [_SHDR.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
        names: list[str] = []
        for sh in sections:
            if sh[1] != _SHT_DYNAMIC:
                continue
            str_off = sections[sh[6]][4]
            for i in range(sh[5] // _DYN.size):
                tag, value = _DYN.unpack_from(data, sh[4] + i * _DYN.size)
                if tag == _DT_NEEDED:
                    end = data.find(b"\0", str_off + value)
                    names.append(data[str_off + value:end].decode("utf-8", "replace"))
        return names
    except (struct.error, IndexError, ValueError):
        return []
