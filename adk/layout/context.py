"""The layout as checks see it: layer expressions evaluated once and cached.

Checks see merged polygons, as their semantics ask. Every region handed to them is
merged already and marked as needing no merge (``merged_semantics = False``):
KLayout's space check on a region with merged semantics takes two to five times as
long. A drawn layer whose shapes neither overlap nor touch is handed over as drawn.
Drawn layers are merged the way their shapes run (:mod:`adk.layout.merging`): KLayout's
merge of vertical buses is several times slower than of the same buses horizontal.
Checks between two layers switch to merged mode for their run
(:func:`adk.checks._polygon.merged_mode`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

import klayout.db as kdb
import numpy as np

from adk.lang.model import (
    BoolOp,
    DerivedLayer,
    DrawnLayer,
    Layer,
    LayerExpr,
    LayerRef,
    Select,
    Sizing,
)
from adk.layout import bumps as bump_extraction
from adk.layout import merging
from adk.layout import texts as text_extraction
from adk.layout.reader import LoadedLayout


def merged(region: kdb.Region) -> kdb.Region:
    """The merged polygons of ``region``, marked as needing no further merge."""
    result = region.merged()
    result.merged_semantics = False
    return result


def settled(
    raw: kdb.Region, shapes: kdb.RecursiveShapeIterator | None = None, threads: int = 1
) -> kdb.Region:
    """The merged shapes of a drawn layer ``raw``, marked as needing no merge; ``raw``
    itself when merging changes nothing (no shape overlaps or touches another or
    itself: the count, the area and the perimeter stay). ``shapes``: what ``raw``
    reads from the layout; ``threads``: what the test whether merging changes a large
    layer may use (:func:`adk.layout.merging.settled`)."""
    return merging.settled(raw, shapes, threads)


def selected(op: str, left: kdb.Region, right: kdb.Region) -> kdb.Region:
    """The polygons of ``left`` that ``op`` (``inside``, ``not_interacting``...) selects
    by ``right``; both merged."""
    if op in ("inside", "not_inside"):
        if right.is_box():
            return _by_box(op == "inside", left, right.bbox())
        if merging.is_manhattan(left) and merging.is_manhattan(right):
            return _by_parts_outside(op == "inside", left, right)
    select: dict[str, Callable[[kdb.Region], kdb.Region]] = {
        "inside": left.inside,
        "outside": left.outside,
        "interacting": left.interacting,
        "not_inside": left.not_inside,
        "not_outside": left.not_outside,
        "not_interacting": left.not_interacting,
    }
    return select[op](right)


def _by_box(inside: bool, left: kdb.Region, box: kdb.Box) -> kdb.Region:
    """The polygons of ``left`` inside ``box`` (or, not ``inside``, the others). A polygon
    (of some area, as merged polygons are) lies in the box unless part of its area lies
    beyond, in one of four strips around the box: only the polygons near those are
    tested, where KLayout's ``inside`` tests every polygon the box holds (a million
    shapes in an outline less its margin)."""
    strips = merging.as_drawn(kdb.Region())  # apart: each strip's own bounding box
    for strip in _around(box, left.bbox().enlarged(1, 1)):
        strips.insert(strip)
    return left.not_overlapping(strips) if inside else left.overlapping(strips)


def _by_parts_outside(inside: bool, left: kdb.Region, right: kdb.Region) -> kdb.Region:
    """The polygons of ``left`` inside ``right`` (or, not ``inside``, the others), both
    Manhattan: a polygon lies inside unless part of its area lies outside, and the parts
    of ``left`` outside ``right`` (exact on Manhattan shapes) each lie in one polygon of
    ``left``. A boolean and a few tests cost less than KLayout's ``inside``, which tests
    each polygon against those of ``right`` it meets."""
    if not left.bbox().overlaps(right.bbox()):
        # none inside; and the difference would be ``left`` itself, in which KLayout's
        # ``overlapping`` does not count a polygon's overlap with itself
        return kdb.Region() if inside else left.dup()
    outside = merging.as_drawn(left - right)
    return left.not_overlapping(outside) if inside else left.overlapping(outside)


def _around(box: kdb.Box, extent: kdb.Box) -> list[kdb.Box]:
    """Boxes covering ``extent`` less ``box``, beside and above and below it."""
    left, right = max(box.left, extent.left), min(box.right, extent.right)
    bottom, top = max(box.bottom, extent.bottom), min(box.top, extent.top)
    if left >= right or bottom >= top:  # no area in common
        return [extent]
    strips = [
        kdb.Box(extent.left, extent.bottom, left, extent.top),
        kdb.Box(right, extent.bottom, extent.right, extent.top),
        kdb.Box(left, extent.bottom, right, bottom),
        kdb.Box(left, top, right, extent.top),
    ]
    return [strip for strip in strips if strip.width() > 0 and strip.height() > 0]


class LayoutContext:
    """Implements :class:`adk.checks.base.CheckContext` over a loaded layout.

    ``layers`` maps every deck layer name to its declaration (layer map applied).
    Drawn layers absent from the layout read as empty; the planner reports them.
    ``seconds`` accumulates the time spent reading shapes and bumps, per layer.
    """

    focus: kdb.Box | None = None  # the whole layout; a window's tile in WindowContext
    # threads KLayout may use where a layer is read or checked: one, unless this process
    # has the cores to itself (a run in one process sets them)
    threads = 1

    def __init__(self, loaded: LoadedLayout, layers: dict[str, Layer], length_unit: str = "um"):
        self.loaded = loaded
        self.layers = layers
        self.dbu = loaded.dbu
        self.length_unit = length_unit
        self.seconds: dict[str, float] = defaultdict(float)
        self._regions: dict[LayerExpr, kdb.Region] = {}
        self._near: dict[tuple, kdb.Region] = {}
        self._bumps: dict[LayerExpr, np.ndarray] = {}
        self._outlines: dict[LayerExpr, list[bump_extraction.Outline]] = {}
        self._texts: dict[LayerExpr, tuple[np.ndarray, list[str]]] = {}

    def to_dbu(self, microns: float) -> int:
        return round(microns / self.dbu)

    def drawn_index(self, name: str) -> int | None:
        layer = self.layers[name]
        assert isinstance(layer, DrawnLayer), f"{name} is not a drawn layer"
        return self.loaded.layer_index(layer.layer, layer.datatype)

    def _drawn_name(self, expr: LayerExpr) -> str | None:
        """The drawn layer ``expr`` reads as it is; None for a derived layer or an operation."""
        if isinstance(expr, LayerRef) and isinstance(self.layers[expr.name], DrawnLayer):
            return expr.name
        return None

    # ------------------------------------------------------------ polygons
    def region(self, expr: LayerExpr) -> kdb.Region:
        cached = self._regions.get(expr)
        if cached is None:
            cached = self._evaluate(expr)
            self._regions[expr] = cached
        return cached

    def evaluated(self, expr: LayerExpr) -> kdb.Region | None:
        """The region of ``expr`` if it has been evaluated already, else None."""
        return self._regions.get(expr)

    def region_near(self, expr: LayerExpr, near: kdb.Region, distance: int) -> kdb.Region:
        """The merged polygons of a drawn layer that come within ``distance`` (dbu) of
        ``near``: exact there, read without flattening the rest of the layer (a million
        bumps around a few keep-out zones). Other expressions: :meth:`region`."""
        name = self._drawn_name(expr)
        if name is None:
            return self.region(expr)
        key = (expr, near.data_id(), distance)
        if key not in self._near:
            self._near[key] = self._read(name, near.sized(distance + 1))
        return self._near[key]

    def _evaluate(self, expr: LayerExpr) -> kdb.Region:
        if isinstance(expr, LayerRef):
            layer = self.layers[expr.name]
            if isinstance(layer, DerivedLayer):
                return self.region(layer.expr)
            return self._read(expr.name)
        union = self._drawn_union(expr)
        if union is not None:
            return self._read_union(union)
        if isinstance(expr, BoolOp):
            left, right = self.region(expr.left), self.region(expr.right)
            result = {
                "and": left.__and__,
                "or": left.__add__,
                "not": left.__sub__,
                "xor": left.__xor__,
            }[expr.op](right)
            return merged(result)
        if isinstance(expr, Sizing):
            distance = self.to_dbu(expr.distance)
            sized = self.region(expr.layer).sized(distance if expr.op == "grow" else -distance)
            return merged(sized)
        if isinstance(expr, Select):
            # a selection of merged polygons is merged
            return merging.as_drawn(
                selected(expr.op, self.region(expr.left), self.region(expr.right))
            )
        raise TypeError(f"not a layer expression: {expr!r}")

    def _drawn_union(self, expr: LayerExpr) -> list[str] | None:
        """The drawn layers an ``or`` of drawn layers joins (derived layers followed), or
        None for any other expression: such a union (drawn, pin and fill datatypes) is read
        as one region and merged once, not merged part by part and then again."""
        if not (isinstance(expr, BoolOp) and expr.op == "or"):
            return None
        names: list[str] = []
        for side in (expr.left, expr.right):
            layer = self.layers[side.name] if isinstance(side, LayerRef) else None
            if isinstance(layer, DerivedLayer):
                side = layer.expr
            name = self._drawn_name(side)
            parts = [name] if name is not None else self._drawn_union(side)
            if parts is None:
                return None
            names += parts
        return names

    def _read_union(self, names: list[str]) -> kdb.Region:
        """The merged union of drawn layers, read as one region; the time is the union's."""
        started = time.perf_counter()
        raw = kdb.Region()
        indices = {self.drawn_index(name) for name in names}
        for index in sorted(index for index in indices if index is not None):
            raw.insert(self.loaded.top.begin_shapes_rec(index))
        region = settled(raw, threads=self.threads)
        self.seconds[" or ".join(names)] += time.perf_counter() - started
        return region

    def _read(self, name: str, near: kdb.Region | None = None) -> kdb.Region:
        """A drawn layer's shapes, flat and merged; with ``near``, only the shapes
        touching it, and those that touch them, and so on: merging a shape with some of
        the shapes it touches would give other polygons (and other snapped vertices)."""
        started = time.perf_counter()
        index = self.drawn_index(name)
        if index is None:
            return kdb.Region()
        if near is None:
            shapes = self.loaded.top.begin_shapes_rec(index)
            region = settled(kdb.Region(shapes), shapes, self.threads)
        else:
            region = settled(self._connected(index, near), threads=self.threads)
        self.seconds[name] += time.perf_counter() - started
        return region

    def _connected(self, index: int, near: kdb.Region) -> kdb.Region:
        """The shapes touching ``near`` and every shape connected to them by touching."""
        found = self._touching(index, near)
        frontier = merging.as_drawn(found.interacting(near.edges()))  # what reaches out of near
        while not frontier.is_empty():
            fresh = merging.as_drawn(self._touching(index, frontier).not_in(found))
            frontier = merging.as_drawn(fresh.interacting(frontier))
            found += frontier
        return found

    def _touching(self, index: int, area: kdb.Region) -> kdb.Region:
        shapes = kdb.RecursiveShapeIterator(self.loaded.layout, self.loaded.top, index, area, False)
        # copied out at once: operations on a region that still reads through the iterator
        # visit every shape in the area's bounding box (a million bumps for a few zones)
        return merging.as_drawn(kdb.Region(shapes).flatten())

    # ------------------------------------------------------------ bumps
    def bumps(self, expr: LayerExpr) -> np.ndarray:
        cached = self._bumps.get(expr)
        if cached is None:
            started = time.perf_counter()
            cached = self._extract_bumps(expr)
            self._bumps[expr] = cached
            name = self._drawn_name(expr)
            if name is not None:
                self.seconds[name] += time.perf_counter() - started
        return cached

    def _extract_bumps(self, expr: LayerExpr) -> np.ndarray:
        name = self._drawn_name(expr)
        if name is None:
            return bump_extraction.region_centres(self.region(expr), self.dbu)
        index = self.drawn_index(name)
        if index is None:
            return np.empty((0, 2))
        return bump_extraction.centres(self.loaded.layout, self.loaded.top, index)

    def bump_outlines(self, expr: LayerExpr) -> list[bump_extraction.Outline]:
        """The distinct bump outlines of a layer with their placements; a derived layer's
        merged polygons otherwise."""
        cached = self._outlines.get(expr)
        if cached is None:
            cached = self._extract_outlines(expr)
            self._outlines[expr] = cached
        return cached

    def _extract_outlines(self, expr: LayerExpr) -> list[bump_extraction.Outline]:
        name = self._drawn_name(expr)
        if name is None:
            return bump_extraction.region_outlines(self.region(expr))
        index = self.drawn_index(name)
        if index is None:
            return []
        return bump_extraction.outlines(self.loaded.layout, self.loaded.top, index)

    # ------------------------------------------------------------ texts
    def texts(self, expr: LayerExpr) -> tuple[np.ndarray, list[str]]:
        """The texts of a drawn layer, read once; a derived layer has none."""
        name = self._drawn_name(expr)
        index = None if name is None else self.drawn_index(name)
        if index is None:
            return np.empty((0, 2)), []
        if expr not in self._texts:
            self._texts[expr] = text_extraction.texts(self.loaded.layout, self.loaded.top, index)
        return self._texts[expr]


class WindowContext(LayoutContext):
    """The layout seen through a window (a tile and its halo), for rules that run on tiles.

    Drawn layers hold the shapes touching the window and every shape connected to
    them by touching, merged: the polygons near the window are those of the whole layout.
    Bump centres come from ``base``, which keeps them for every window. ``focus`` is
    the tile."""

    def __init__(self, base: LayoutContext, window: kdb.Box, focus: kdb.Box):
        super().__init__(base.loaded, base.layers, base.length_unit)
        self.base = base
        self.window = window
        self.focus = focus
        self.seconds = base.seconds

    def _drawn_union(self, expr: LayerExpr) -> list[str] | None:
        """None: through a window each drawn layer is read by what touches the window
        (:meth:`_read`), part by part."""
        return None

    def _read(self, name: str, near: kdb.Region | None = None) -> kdb.Region:
        window = kdb.Region(self.window)
        return super()._read(name, window if near is None else near & window)

    def bumps(self, expr: LayerExpr) -> np.ndarray:
        points = self.base.bumps(expr)
        box = self.window.to_dtype(self.dbu)
        start = np.searchsorted(points[:, 0], box.left, side="left")
        stop = np.searchsorted(points[:, 0], box.right, side="right")
        part = points[start:stop]
        return part[(part[:, 1] >= box.bottom) & (part[:, 1] <= box.top)]
