"""adk's public API: load a deck, check a layout, read or write the result.

The command line, the KLayout plugin and users' own scripts all go through these
functions (docs/api.md)::

    import adk

    deck = adk.load_deck("focos_bridge")            # a shipped deck, or a path
    result = adk.check("package.gds", deck)         # a path, or a LoadedLayout
    for outcome in result.outcomes:
        print(outcome.rule.id, outcome.status, len(outcome.markers))
    adk.write_markers(result, "package.lyrdb")      # KLayout's marker browser reads it
"""

from __future__ import annotations

import os
from dataclasses import replace

from adk import checks
from adk.checks.base import Marker
from adk.kit.decks import resolve_deck
from adk.lang import builder
from adk.lang.model import Deck
from adk.layout.layermap import apply_layer_map
from adk.layout.reader import LoadedLayout, read_layout
from adk.report.markers import write_marker_database
from adk.run.engine import Parallel, Progress, run_deck
from adk.run.result import RuleOutcome, RunResult

PathLike = str | os.PathLike[str]


def load_deck(deck: PathLike, layer_map: PathLike | None = None) -> Deck:
    """Read and validate a deck: a file, or a shipped deck by name (``focos_bridge``).

    With ``layer_map`` (a YAML file), the deck's drawn layers take its layer/datatype
    numbers. Raises :class:`adk.errors.DeckError` listing every problem found."""
    loaded = builder.load_deck(resolve_deck(os.fspath(deck)), checks.specs())
    if layer_map is None:
        return loaded
    return replace(loaded, layers=apply_layer_map(loaded, os.fspath(layer_map)))


def load_deck_text(text: str, path: str = "<deck>") -> Deck:
    """Validate deck text that is not in a file (includes resolve from the working directory)."""
    return builder.load_text(text, checks.specs(), path)


def check(
    layout: PathLike | LoadedLayout,
    deck: PathLike | Deck,
    *,
    top: str | None = None,
    rules: list[str] | None = None,
    jobs: int = 1,
    tile_size: float | None = None,
    dask: str | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Check a layout (a GDS/OASIS file, plain or gzipped, or a layout read already)
    against a deck (a :class:`Deck`, a file or a shipped deck's name).

    ``top``: the top cell when the file has several; ``rules``: only these rule ids;
    ``jobs``, ``tile_size`` (µm) and ``dask`` (a scheduler address) split the run into
    tiles, with the same markers as a run in one piece; ``progress(done, total, label)``
    is called as rules or tiles finish. Raises :class:`adk.errors.AdkError` on bad input."""
    if not isinstance(deck, Deck):
        deck = load_deck(deck)
    loaded = layout if isinstance(layout, LoadedLayout) else read_layout(os.fspath(layout), top)
    return run_deck(deck, deck.layers, loaded, rules, progress, Parallel(jobs, tile_size, dask))


def write_markers(result: RunResult, path: PathLike) -> None:
    """Write a run's markers as a KLayout marker database (.lyrdb), atomically."""
    write_marker_database(result, os.fspath(path))


__all__ = [
    "Deck",
    "LoadedLayout",
    "Marker",
    "RuleOutcome",
    "RunResult",
    "check",
    "load_deck",
    "load_deck_text",
    "read_layout",
    "write_markers",
]
