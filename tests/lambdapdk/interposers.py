"""Generated lambdapdk interposers written to files, and adk's markers on them."""

from __future__ import annotations

from pathlib import Path

import klayout.db as kdb

from adk.api import load_deck
from adk.kit.decks import shipped_decks
from adk.lang.model import Deck
from adk.layout.reader import read_layout
from adk.report.markers import write_marker_database
from adk.run.engine import run_deck
from benchmarks.lambdapdk.interposer import Interposer, annotate, build

UNITS = 4  # via stacks along each side of the array: every clean case, few shapes


def deck_of(stackup: str) -> Deck:
    return load_deck(str(shipped_decks()[f"lambdapdk_{stackup}"]))


def category_of(deck: Deck) -> dict[str, str]:
    """Rule id -> the category its markers are reported under."""
    return {rule.id: rule.reported_under for rule in deck.rules}


def written(
    stackup: str, path: Path, labels: bool = False, pins_fill: bool = True
) -> tuple[Interposer, Path]:
    """The interposer of ``stackup`` with its planted sites, written to ``path``."""
    interposer = build(stackup, UNITS, pins_fill=pins_fill)
    if labels:
        annotate(interposer)
    interposer.layout.write(str(path))
    return interposer, path


def adk_report(deck: Deck, layout: Path, report: Path) -> Path:
    """The marker database ``adk check`` writes for ``deck`` on ``layout``."""
    write_marker_database(run_deck(deck, deck.layers, read_layout(str(layout))), str(report))
    return report


def renumbered(path: Path, to: Path, shift: int) -> None:
    """The layout at ``path`` with every layer but the outline moved up by ``shift``: a
    layout drawn for another layer map."""
    layout = kdb.Layout()
    layout.read(str(path))
    for index in layout.layer_indexes():
        info = layout.get_info(index)
        if info.layer not in (0, 255):
            layout.set_info(index, kdb.LayerInfo(info.layer + shift, info.datatype))
    layout.write(str(to))
