"""pytest plugin for nylon-ring plugin authors (registered under the ``pytest11`` entry point).

Full fixtures are defined below once the reference host is available.
"""

from __future__ import annotations
