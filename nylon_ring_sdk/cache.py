"""The per-user cache folder and the content keys its entries are named by.

A leaf module: code generation (compiled templates) and the toolchain (compiled
helpers) both keep things here, and neither has to import the other to find it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def cache_dir() -> Path:
    """`$NYLON_RING_CACHE`, else `$XDG_CACHE_HOME/nylon-ring` (default `~/.cache/nylon-ring`); created."""
    explicit = os.environ.get("NYLON_RING_CACHE")
    if explicit:
        path = Path(explicit)
    else:
        path = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nylon-ring"
    path.mkdir(parents=True, exist_ok=True)
    return path


def content_key(*parts: str | bytes) -> str:
    """A short hash of every input that changes a cached entry."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0\0")
    return digest.hexdigest()[:20]
