"""Example package layouts, generated, for the decks in ``rules/``."""
from __future__ import annotations

from importlib import import_module

PILLARS = ("focos_bridge",)


def generator(pillar: str):
    """The module that builds the example package of ``pillar``."""
    return import_module(f"{__name__}.{pillar}")
