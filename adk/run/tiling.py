"""Checking a layout in tiles: the jobs, and what a worker does with one.

A job names everything a worker needs and nothing it cannot read itself: the
layout path and top cell, the deck path, the drawn layers' numbers (layer map
applied), the rules and the tile. Workers, local processes or Dask workers on
other machines, read the layout and the deck themselves, so the paths must be
reachable from every worker (a shared filesystem on a farm).

Each tiled rule reads the tile grown by its halo (the window). A marker belongs
to the tile that holds its anchor (a point of its geometry, see :func:`anchor`), so
markers on tile borders are kept once. A tile's drawn layers hold the shapes touching
the window and every shape connected to them, so merged shapes are whole. A
marker is trusted when everything it depends on (its ambit around it) lies
inside the window; when a marker near the tile is not, the window grows to cover
it and the rule runs again. So the markers are those of a run on the whole
layout, whatever the tiles.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, replace

import klayout.db as kdb

from adk import checks
from adk.checks.base import Marker, shape_from_key, shape_key
from adk.lang.model import Deck, DrawnLayer, Layer
from adk.layout.context import LayoutContext, WindowContext
from adk.layout.reader import LoadedLayout, read_layout
from adk.run.guard import guarded
from adk.run.plan import PlannedRule, plan

Bounds = tuple[float, float, float, float]  # left, bottom, right, top (µm; may be infinite)
Packed = tuple[tuple, float | None, str, tuple[str, ...]]
LayerNumbers = tuple[tuple[str, int, int], ...]  # drawn layer name, layer, datatype

# database units a trusted marker keeps from the window's border
_MARGIN = 2


@dataclass(frozen=True)
class Job:
    """One unit of work: ``rules`` on the tile ``core`` (dbu), or on the whole layout."""

    layout: str
    top: str
    deck: str
    layers: LayerNumbers
    rules: tuple[str, ...]
    deck_roots: tuple[str, ...] = ()  # folders the deck's includes may read beyond its own
    core: tuple[int, int, int, int] | None = None  # None: the whole layout, untiled
    owner: Bounds | None = None  # markers whose anchor lies here are the tile's
    label: str = ""


@dataclass(frozen=True)
class JobResult:
    rule: str
    markers: list[Packed]
    seconds: float
    error: str | None = None  # the error the rule raised here (adk.run.guard)


def drawn_numbers(layers: dict[str, Layer]) -> LayerNumbers:
    return tuple(
        (layer.name, layer.layer, layer.datatype)
        for layer in layers.values()
        if isinstance(layer, DrawnLayer)
    )


def pack(marker: Marker) -> Packed:
    return shape_key(marker.shape), marker.measured, marker.text, marker.nets


def unpack(packed: Packed) -> Marker:
    key, measured, text, nets = packed
    return Marker(shape_from_key(key), measured, text, nets=nets)


# ---------------------------------------------------------------- the grid
def grid(extent: kdb.Box, size: int) -> list[tuple[tuple[int, int, int, int], Bounds]]:
    """Tiles of ``size`` dbu over ``extent``: each core box and the bounds it owns (µm
    in the caller's units; the outer tiles own everything beyond the extent)."""
    columns = max(1, math.ceil(extent.width() / size))
    rows = max(1, math.ceil(extent.height() / size))
    xs = [extent.left + k * size for k in range(columns + 1)]
    ys = [extent.bottom + k * size for k in range(rows + 1)]
    tiles = []
    for j in range(rows):
        for i in range(columns):
            core = (xs[i], ys[j], xs[i + 1], ys[j + 1])
            owner = (
                xs[i] if i else -math.inf,
                ys[j] if j else -math.inf,
                xs[i + 1] if i < columns - 1 else math.inf,
                ys[j + 1] if j < rows - 1 else math.inf,
            )
            tiles.append((core, owner))
    return tiles


def owner_in_microns(owner: Bounds, dbu: float) -> Bounds:
    left, bottom, right, top = (value * dbu if math.isfinite(value) else value for value in owner)
    return left, bottom, right, top


# ---------------------------------------------------------------- the worker
_STATE: dict[tuple, tuple[LayoutContext, dict[str, PlannedRule]]] = {}
_DECKS: dict[tuple, tuple[Deck, dict[str, Layer]]] = {}  # decks handed over (adopt_deck)


def seed(job: Job, deck: Deck, layers: dict[str, Layer], loaded: LoadedLayout) -> None:
    """Let jobs run in this process use a layout and deck read already."""
    _STATE.clear()
    _STATE[_key(job)] = _state_of(deck, layers, loaded)


def adopt_deck(job: Job, deck: Deck, layers: dict[str, Layer]) -> None:
    """Let the jobs run in this process on ``job``'s deck use ``deck``, read already
    (``layers``: its layers, layer map applied), instead of reading it again."""
    _DECKS.clear()
    _DECKS[_deck_key(job)] = (deck, layers)


def prepare(job: Job) -> None:
    """Read the layout and the deck of ``job`` in this process, ready for its jobs."""
    _state(job)


def _deck_key(job: Job) -> tuple:
    return (job.deck, job.deck_roots, job.layers)


def _key(job: Job) -> tuple:
    return (job.layout, os.path.getmtime(job.layout), job.top, job.deck, job.deck_roots, job.layers)


def _state_of(
    deck: Deck, layers: dict[str, Layer], loaded: LoadedLayout
) -> tuple[LayoutContext, dict[str, PlannedRule]]:
    planned = {item.rule.id: item for item in plan(deck, layers)}
    return LayoutContext(loaded, layers, deck.units), planned


def _state(job: Job) -> tuple[LayoutContext, dict[str, PlannedRule]]:
    """The worker's layout and deck, read once per process for a run's jobs."""
    key = _key(job)
    if key not in _STATE:
        deck, layers = _DECKS.get(_deck_key(job)) or _read_deck(job)
        _STATE.clear()  # one layout at a time: a worker's memory holds one
        _STATE[key] = _state_of(deck, layers, read_layout(job.layout, job.top))
    return _STATE[key]


def _read_deck(job: Job) -> tuple[Deck, dict[str, Layer]]:
    from adk.lang import load_deck

    deck = load_deck(job.deck, checks.specs(), job.deck_roots)
    return deck, _renumbered(deck.layers, job.layers)


def _renumbered(layers: dict[str, Layer], numbers: LayerNumbers) -> dict[str, Layer]:
    """The deck's layers with the drawn ones at the job's numbers (its layer map applied)."""
    by_name = {name: (layer, datatype) for name, layer, datatype in numbers}
    return {
        name: replace(layer, layer=by_name[name][0], datatype=by_name[name][1])
        if isinstance(layer, DrawnLayer) and name in by_name
        else layer
        for name, layer in layers.items()
    }


def run_job(job: Job) -> list[JobResult]:
    """Run a job's rules; the markers of a tile are those it owns."""
    base, planned = _state(job)
    windows: dict[tuple, WindowContext] = {}  # rules with the same window share its layers
    results = []
    for rule_id in job.rules:
        started = time.perf_counter()
        markers, error = guarded(_job_markers, job, planned[rule_id], base, windows)
        seconds = time.perf_counter() - started
        results.append(JobResult(rule_id, [pack(m) for m in markers], seconds, error))
    return results


def _job_markers(
    job: Job, item: PlannedRule, base: LayoutContext, windows: dict[tuple, WindowContext]
) -> list[Marker]:
    """One rule's markers in a job: on the whole layout, or those of the job's tile."""
    if job.core is None:
        return checks.runner(item.rule.check.kind)(item.rule.check, base)
    assert job.owner is not None, "a tile's job names the bounds the tile owns"
    owner = owner_in_microns(job.owner, base.dbu)
    return _tile_markers(item, base, kdb.Box(*job.core), owner, windows)


def owned_markers(
    item: PlannedRule,
    base: LayoutContext,
    tile: tuple[tuple[int, int, int, int], Bounds],
    windows: dict[tuple, WindowContext],
) -> list[Marker]:
    """The markers of ``item`` that a tile of :func:`grid` owns, in this process;
    ``windows``: the windows read so far, which rules on the same window share."""
    core, owner = tile
    return _tile_markers(item, base, kdb.Box(*core), owner_in_microns(owner, base.dbu), windows)


def _tile_markers(
    item: PlannedRule,
    base: LayoutContext,
    core: kdb.Box,
    owner: Bounds,
    windows: dict[tuple, WindowContext],
) -> list[Marker]:
    """The markers the tile owns, from a window grown until every one is trusted."""
    dbu = base.dbu
    halo = math.ceil(item.halo / dbu) + _MARGIN
    window = core.enlarged(halo, halo)
    # with the window this large every shape is read and every layer is exact
    whole = base.loaded.top.bbox().enlarged(_MARGIN, _MARGIN)
    run = checks.runner(item.rule.check.kind)
    while True:
        key = (window.left, window.bottom, window.right, window.top)
        if key not in windows:
            windows[key] = WindowContext(base, window, core)
        markers = run(item.rule.check, windows[key])
        needed = _untrusted(markers, item, window, whole, owner, dbu)
        if needed is None or (window.contains(whole.p1) and window.contains(whole.p2)):
            return [m for m in markers if _owns(owner, m)]
        window += needed


def _untrusted(
    markers: list[Marker],
    item: PlannedRule,
    window: kdb.Box,
    whole: kdb.Box,
    owner: Bounds,
    dbu: float,
) -> kdb.Box | None:
    """The box (dbu) holding what the markers at the tile depend on, if the window
    does not hold it all; None when every such marker is trusted. Nothing lies
    outside ``whole``, so what a marker needs there is had already."""
    inner = window.enlarged(-_MARGIN, -_MARGIN)
    needed = kdb.Box()
    for marker in markers:
        box = marker.shape.bbox()
        if not _touches(owner, box):
            continue
        reach = checks.marker_reach(item.rule.check, marker)
        grown = (
            _outward(box.enlarged(reach, reach), dbu) if math.isfinite(reach) else whole
        ) & whole
        if not grown.empty() and not (inner.contains(grown.p1) and inner.contains(grown.p2)):
            needed += grown.enlarged(_MARGIN, _MARGIN)
    return None if needed.empty() else needed


def _outward(box: kdb.DBox, dbu: float) -> kdb.Box:
    """The smallest box on the grid holding ``box`` (µm)."""
    return kdb.Box(
        math.floor(box.left / dbu),
        math.floor(box.bottom / dbu),
        math.ceil(box.right / dbu),
        math.ceil(box.top / dbu),
    )


def anchor(marker: Marker) -> kdb.DPoint:
    """The point deciding which tile owns a marker: a point of its geometry, which lies
    on the shapes it comes from (a bounding box's centre may lie far from an L-shaped
    polygon, a midpoint far from both ends of a long edge); a box's centre."""
    shape = marker.shape
    if isinstance(shape, kdb.DEdgePair):
        return shape.first.p1
    if isinstance(shape, kdb.DEdge):
        return shape.p1
    if isinstance(shape, kdb.DPolygon):
        return next(shape.each_point_hull())
    return shape.center()


def _owns(owner: Bounds, marker: Marker) -> bool:
    point = anchor(marker)
    return owner[0] <= point.x < owner[2] and owner[1] <= point.y < owner[3]


def _touches(owner: Bounds, box: kdb.DBox) -> bool:
    return (
        box.left <= owner[2]
        and box.right >= owner[0]
        and box.bottom <= owner[3]
        and box.top >= owner[1]
    )
