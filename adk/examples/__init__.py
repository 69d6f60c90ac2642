"""Example package layouts, generated, one module per pillar, each matching ``rules/PILLAR.adk``.

A pillar module defines ``build(dirty: bool) -> (klayout.db.Layout, list[Planted])``.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module
from types import ModuleType

_HELPERS = {"geometry", "writer", "planted", "assembly"}  # assembly: adk.examples.assembly

PILLARS = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in _HELPERS))


def generator(pillar: str) -> ModuleType:
    """The module that builds the example package of ``pillar``."""
    return import_module(f"{__name__}.{pillar}")
