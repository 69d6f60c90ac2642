"""The rule decks shipped with adk (``rules/`` in the source tree, ``adk.rules`` installed)."""

from __future__ import annotations

import os
from pathlib import Path

from adk.resources import data_folder


def shipped_folder() -> Path:
    """The folder holding the shipped decks."""
    return data_folder("rules")


def shipped_decks() -> dict[str, Path]:
    """Pillar deck name -> path (``common`` is included by the others, not a deck of its own)."""
    return {
        path.stem: path for path in sorted(shipped_folder().glob("*.adk")) if path.stem != "common"
    }


def resolve_deck(name_or_path: str) -> str:
    """A deck file as given, or the shipped deck of that name (``focos_bridge``)."""
    if os.path.exists(name_or_path) or os.sep in name_or_path or name_or_path.endswith(".adk"):
        return name_or_path
    shipped = shipped_decks().get(name_or_path)
    return str(shipped) if shipped is not None else name_or_path
