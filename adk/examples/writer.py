"""Writes an example package (GDS or OASIS, optionally gzipped) and its planted violations."""

from __future__ import annotations

import json
import os
from dataclasses import asdict

import klayout.db as kdb

from adk.errors import AdkError
from adk.examples import PILLARS, generator
from adk.examples.planted import Planted

SUFFIXES = (".gds", ".gds.gz", ".oas", ".oas.gz", ".gds2")


def write_example(
    pillar: str, path: str, dirty: bool = False, annotate: bool = False
) -> str | None:
    """Write the example of ``pillar`` to ``path``; for a dirty one, also ``path``.planted.json.
    ``annotate`` adds self-test labels for the pillar's deck (see :mod:`adk.kit.decktest`).
    Returns the planted list's path, or None."""
    if pillar not in PILLARS:
        raise AdkError(f"no example for '{pillar}' (examples: {', '.join(PILLARS)})")
    if not path.lower().endswith(SUFFIXES):
        raise AdkError(f"{path}: the example file must end with .gds or .oas (optionally .gz)")
    layout, planted = generator(pillar).build(dirty)
    if annotate:
        _annotate(layout, pillar, planted, dirty)
    options = kdb.SaveLayoutOptions()
    options.format = "OASIS" if ".oas" in path.lower() else "GDS2"
    try:
        layout.write(path, options)
    except RuntimeError as exc:
        raise AdkError(f"{path}: cannot write layout: {str(exc).splitlines()[0]}") from None
    if not dirty:
        return None
    listing = planted_path(path)
    with open(listing, "w", encoding="utf-8") as handle:
        json.dump(
            {
                "pillar": pillar,
                "layout": os.path.basename(path),
                "planted": [asdict(p) for p in planted],
            },
            handle,
            indent=2,
        )
    return listing


def planted_path(layout_path: str) -> str:
    return layout_path + ".planted.json"


def _annotate(layout: kdb.Layout, pillar: str, planted: list[Planted], dirty: bool) -> None:
    from adk.api import load_deck
    from adk.kit.decks import shipped_decks
    from adk.kit.decktest import add_labels

    deck = load_deck(str(shipped_decks()[pillar]))
    if dirty:
        add_labels(layout, deck, [(p.rule, p.x, p.y) for p in planted], passing=False)
    else:
        add_labels(layout, deck, [], passing=True)
