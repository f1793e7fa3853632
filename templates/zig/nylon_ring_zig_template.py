"""Template helper: the `zig_fingerprint` filter used by cookiecutter.json.

Zig 0.15 requires `build.zig.zon` to carry a package fingerprint whose upper 32 bits
are the CRC-32 of the package name and whose lower 32 bits are a random id chosen
once when the package is created (neither 0 nor 0xffffffff). A template cannot
compute a CRC in Jinja, so this filter does it.
"""

from __future__ import annotations

import secrets
import zlib

from cookiecutter.utils import simple_filter


@simple_filter
def zig_fingerprint(name: str) -> str:
    """A fresh fingerprint for a new Zig package called `name`, as a hex literal."""
    checksum = zlib.crc32(name.encode("utf-8"))
    ident = 0
    while ident in (0, 0xFFFFFFFF):
        ident = secrets.randbits(32)
    return f"0x{(checksum << 32) | ident:016x}"
