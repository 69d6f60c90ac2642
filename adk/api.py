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
from collections.abc import Iterable
from dataclasses import replace

import klayout.db as kdb

from adk import checks
from adk.checks.base import Marker
from adk.errors import AdkError
from adk.kit.decks import resolve_deck
from adk.lang import builder
from adk.lang.model import Deck
from adk.layout.layermap import apply_layer_map
from adk.layout.reader import LoadedLayout, read_layout
from adk.report.baseline import load_baseline
from adk.report.markers import write_marker_database
from adk.report.options import DEFAULT_TOLERANCE, FORMATS, ReportSpec
from adk.report.outputs import write_reports
from adk.report.review import Review, review_run
from adk.report.reviewed_markers import write_reviewed_markers
from adk.report.waivers import load_waivers
from adk.run.engine import Parallel, Progress, run_deck
from adk.run.focus import context_top, markers_of_cell
from adk.run.result import RuleOutcome, RunResult
from adk.run.stepwise import TileProgress

PathLike = str | os.PathLike[str]


def load_deck(
    deck: PathLike, layer_map: PathLike | None = None, *, deck_roots: Iterable[PathLike] = ()
) -> Deck:
    """Read and validate a deck: a file, or a shipped deck by name (``focos_bridge``).

    With ``layer_map`` (a YAML file), the deck's drawn layers take its layer/datatype
    numbers. Includes may read files under the deck's folder, the shipped decks' folder
    and the folders of ``deck_roots``, nothing else. Raises :class:`adk.errors.DeckError`
    listing every problem found."""
    roots = [os.fspath(root) for root in deck_roots]
    loaded = builder.load_deck(resolve_deck(os.fspath(deck)), checks.specs(), roots)
    if layer_map is None:
        return loaded
    return replace(loaded, layers=apply_layer_map(loaded, os.fspath(layer_map)))


def load_deck_text(text: str, path: str = "<deck>", *, deck_roots: Iterable[PathLike] = ()) -> Deck:
    """Validate deck text that is not in a file. Includes resolve from the folder of
    ``path`` (the working directory for ``<deck>``) and may read files under it, the
    shipped decks' folder and the folders of ``deck_roots``."""
    roots = [os.fspath(root) for root in deck_roots]
    return builder.load_text(text, checks.specs(), path, roots)


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
    flat_markers: bool = False,
    tile_progress: TileProgress | None = None,
    cell: str | None = None,
) -> RunResult:
    """Check a layout (a GDS/OASIS file, plain or gzipped, or a layout read already)
    against a deck (a :class:`Deck`, a file or a shipped deck's name).

    ``top``: the top cell when the file has several; ``rules``: only these rule ids;
    ``jobs``, ``tile_size`` (µm) and ``dask`` (a scheduler address) split the run into
    tiles, with the same markers as a run in one piece; ``progress(done, total, label)``
    is called as rules or tiles finish. A marker found alike at every placement of a cell
    is filed in that cell, with its placements (docs/checking.md); ``flat_markers`` files
    every marker in the top cell, one per placement. With ``tile_progress`` (and no tiles
    asked for), rules run one after another, local ones on tiles in this process, and
    ``tile_progress(step)`` (an :class:`adk.run.stepwise.Step`) is called as each rule
    starts and each of its tiles ends. With ``cell``, the markers of that cell: the layout
    checked from the top cell placing it, the markers overlapping the cell's placements
    moved into its coordinates (docs/checking.md, "The markers of a cell"). Raises
    :class:`adk.errors.AdkError` on bad input."""
    if not isinstance(deck, Deck):
        deck = load_deck(deck)
    if not isinstance(layout, LoadedLayout):
        layout = read_layout(os.fspath(layout), top or cell)
    parallel = Parallel(jobs, tile_size, dask)
    focus, loaded = _focus(layout, cell)
    result = run_deck(
        deck,
        deck.layers,
        loaded,
        rules,
        progress,
        parallel,
        flat_markers or focus is not None,
        tile_progress,
    )
    return result if focus is None else markers_of_cell(result, loaded.layout, loaded.top, focus)


def _focus(loaded: LoadedLayout, cell: str | None) -> tuple[kdb.Cell | None, LoadedLayout]:
    """The cell whose markers are asked for (None: the whole top cell's) and the layout
    to check for it, from the top cell placing it."""
    if cell is None:
        return None, loaded
    focus = loaded.layout.cell(cell)
    if focus is None:
        raise AdkError(f"{loaded.path}: no cell named '{cell}'")
    within = focus.cell_index() in loaded.top.called_cells()  # the top read, if it places it
    context = loaded.top if within else context_top(loaded.layout, focus)
    if context.cell_index() == focus.cell_index():
        return None, LoadedLayout(loaded.path, loaded.layout, focus)
    return focus, LoadedLayout(loaded.path, loaded.layout, context)


def write_markers(result: RunResult, path: PathLike) -> None:
    """Write a run's markers as a KLayout marker database (.lyrdb), atomically."""
    write_marker_database(result, os.fspath(path))


def review(
    result: RunResult,
    *,
    waivers: PathLike | None = None,
    baseline: PathLike | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    fail_on: str = "any",
    strict: bool = False,
) -> Review:
    """What a waiver file (YAML) and a baseline (an earlier ``.lyrdb`` or JSON report) say
    about a run's markers: waived or not, new or existing, and which fail the run
    (``review.counted(result).violations(strict)``). docs/reports.md has the formats."""
    return review_run(
        result,
        load_waivers(os.fspath(waivers), tolerance) if waivers is not None else None,
        load_baseline(os.fspath(baseline)) if baseline is not None else None,
        waivers_path=os.fspath(waivers) if waivers is not None else None,
        tolerance=tolerance,
        fail_on=fail_on,
        strict=strict,
    )


def write_report(
    result: RunResult, path: PathLike, format: str, review: Review | None = None
) -> None:
    """Write a report, atomically: ``lyrdb`` (the marker database), ``sarif``, ``junit``,
    ``json`` or ``text``. With ``review``, waived and new markers are marked, and the
    report's warnings list the stale and expired waivers."""
    review = review or Review()
    reported = review.with_warnings(result)
    if format == "lyrdb":
        write_reviewed_markers(reported, os.fspath(path), review)
    elif format in FORMATS:
        write_reports([ReportSpec(format, os.fspath(path))], reported, review)
    else:
        raise ValueError(f"unknown report format {format!r}; known: lyrdb, {', '.join(FORMATS)}")


__all__ = [
    "Deck",
    "LoadedLayout",
    "Marker",
    "Review",
    "RuleOutcome",
    "RunResult",
    "check",
    "load_deck",
    "load_deck_text",
    "read_layout",
    "review",
    "write_markers",
    "write_report",
]
