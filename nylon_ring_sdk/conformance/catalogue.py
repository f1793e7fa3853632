"""The check catalogue: the registered checks of each ABI generation, in report order.

Importing :mod:`.checks` registers every check (through :func:`.rules.check`);
this module only collects and orders them, so the check modules never import it.
"""

from __future__ import annotations

from . import checks  # noqa: F401  (registers every check)
from .rules import AREAS, CATALOGUE, CATALOGUE_V2, Check

__all__ = ["catalogue"]


def catalogue(abi: int = 1) -> dict[str, Check]:
    """Every check of a generation, in report order: by area, then as defined."""
    table, ordered_ids = (CATALOGUE_V2, _ORDERED_V2) if abi == 2 else (CATALOGUE, _ORDERED)
    if list(table) != ordered_ids:
        ordered = sorted(table.values(), key=lambda c: (AREAS.index(c.area), c.seq))
        items = [(c.id, c) for c in ordered]
        table.clear()
        table.update(items)
        ordered_ids[:] = list(table)
    return table


_ORDERED: list[str] = []
_ORDERED_V2: list[str] = []
