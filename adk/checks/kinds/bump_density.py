"""bump_density: bumps per area inside each shape of a region layer, or in windows over it.

    rule UB.DEN "micro-bumps per mm2 in each bump field" : bump_density(UBUMP, within BUMP_FIELD) >= 400 /mm2
    rule UB.DEN.W "micro-bumps per mm2 in 1 mm windows of each die" : bump_density(UBUMP, window 1 mm, step 500 um, within DIE) >= 400 /mm2

A bump belongs to a region when its centre (the centre of its bounding box)
lies inside it or on its boundary. The region layer is merged first; the
area of a shape with holes excludes the holes. A density exactly at the limit
passes; a region shape with no bumps has density 0.
Without ``window``, marker: the region shape, with its count and density.

With ``window`` (and optionally ``step``, by default the window side), each
merged shape of the ``within`` layer gets a grid of square windows laid out
as the ``density`` kind lays them over its extent: the first window at the
shape's lower-left corner, windows every ``step`` to the right and upwards,
the last column and row aligned to the shape's far edges, a window cut to a
side shorter than it. In each window, density = bumps with their centre in
window ∩ shape (boundaries included, so a bump on the line between two
windows counts in both) / area(window ∩ shape); a window with no area of the
shape is skipped. A step longer than the window is refused, as are a window
or step below the database unit and more than 10 million windows in all.
Markers, by default (``markers areas``): failing windows that overlap or
touch and fail on the same side of the limits are joined into one marker, their
union, with the text of the worst window and the number of windows
(``density 300 /mm2 < 400 /mm2 (3 bumps in 10000 um2) (4 windows)``); a lone
window stays a box with its count. With ``markers windows``: each failing
window (a box), with its count and density."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import product

import klayout.db as kdb
import numpy as np

from adk.checks import windows
from adk.checks.base import (
    Check,
    CheckContext,
    Marker,
    length_param,
    required_layer,
    violation_text,
)
from adk.lang.model import ParamValue
from adk.lang.signature import LAYER, LENGTH, MAX, MIN, CheckSpec, Param, Prop
from adk.lang.units import Dim, Quantity
from adk.layout.bumps import breaks, inside

SPEC = CheckSpec(
    "bump_density",
    "bump count per area inside each region shape, or in windows over it",
    ("bumps",),
    (Prop("density", Dim.PER_AREA, MIN + MAX),),
    (
        Param("within", LAYER, required=True, doc="the region layer"),
        Param("window", LENGTH, doc="window side: count in windows over each region shape"),
        Param("step", LENGTH, doc="window step; defaults to the window side"),
        windows.MARKERS,
    ),
    polygon=False,
    validate=lambda params, _constraints: (
        _needs_window(params) or windows.step_within_window(params)
    ),
)

NOT_EXPORTED = "bumps counted by their centres per region area have no DRC equivalent"


def _needs_window(params: Mapping[str, ParamValue]) -> str | None:
    if "window" not in params and ("step" in params or "markers" in params):
        return "bump_density takes 'step' and 'markers' only with 'window LENGTH'"
    return None


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    points = ctx.bumps(check.layers[0])
    region = ctx.region(required_layer(check, "within"))
    window = length_param(check, "window")
    if window is None:
        markers = [_shape_marker(check, ctx, points, polygon) for polygon in region.each()]
    else:
        size, step = windows.in_units(window, length_param(check, "step") or window, ctx.dbu)
        grids = [(polygon, _grid(polygon, size, step)) for polygon in region.each()]
        total = 0
        for _polygon, grid in grids:
            total = windows.refuse_too_many(grid.columns, grid.rows, total)
        markers = [
            _marker(check, ctx, box.to_dtype(ctx.dbu), count, area)
            for polygon, grid in grids
            for box, count, area in _windows(points, polygon, grid, ctx.dbu)
        ]
    return sorted((m for m in markers if m is not None), key=Marker.sort_key)


def joined(check: Check, markers: list[Marker], dbu: float) -> list[Marker]:
    """Failing windows joined (:func:`windows.joined`); the markers of the form without
    windows, whole region shapes, stay as they are."""
    if check.param("window") is None:
        return markers
    return windows.joined(markers, dbu, lambda value: breaks(check.constraints, value))


def _shape_marker(
    check: Check, ctx: CheckContext, points: np.ndarray, polygon: kdb.Polygon
) -> Marker | None:
    area = polygon.area() * ctx.dbu**2
    if area <= 0:
        return None
    count = len(inside(points, polygon, ctx.dbu))
    return _marker(check, ctx, polygon.to_dtype(ctx.dbu), count, area)


def _marker(
    check: Check, ctx: CheckContext, shape: kdb.DPolygon | kdb.DBox, count: int, area: float
) -> Marker | None:
    """A marker for ``count`` bumps in ``area`` µm² when that density breaks a limit."""
    density = count / area
    constraint = breaks(check.constraints, density)
    if constraint is None:
        return None
    noun = "bump" if count == 1 else "bumps"
    suffix = f" ({count} {noun} in {Quantity(area, Dim.AREA).format(ctx.length_unit)})"
    return Marker(
        shape, density, violation_text("density", density, constraint, ctx.length_unit, suffix)
    )


@dataclass(frozen=True)
class Grid:
    """The windows over one region shape: their size and their runs along each axis."""

    width: int
    height: int
    columns: list[windows.Run]
    rows: list[windows.Run]


def _grid(polygon: kdb.Polygon, size: int, step: int) -> Grid:
    box = polygon.bbox()
    width, columns = windows.runs(box.left, box.right, size, step)
    height, rows = windows.runs(box.bottom, box.top, size, step)
    return Grid(width, height, columns, rows)


def _windows(
    points: np.ndarray, polygon: kdb.Polygon, grid: Grid, dbu: float
) -> Iterator[tuple[kdb.Box, int, float]]:
    """Each window over ``polygon`` with some of its area: the window, the bumps whose
    centre lies in window ∩ polygon, and that area in µm²."""
    shape = kdb.Region(polygon)
    local = points[inside(points, polygon, dbu)] / dbu  # centres in the shape, in dbu
    size = kdb.Vector(grid.width, grid.height)
    for column, row in product(grid.columns, grid.rows):
        areas = shape.rasterize(
            kdb.Point(column[0], row[0]), kdb.Vector(column[1], row[1]), size, column[2], row[2]
        )
        counts = _counts(local, column, row, grid.width, grid.height)
        for iy, line in enumerate(areas):
            for ix, area in enumerate(line):
                if area > 0:
                    corner = kdb.Point(column[0] + ix * column[1], row[0] + iy * row[1])
                    window = kdb.Box(corner, corner + size)
                    yield window, int(counts[ix, iy]), round(area, 3) * dbu**2


def _counts(
    local: np.ndarray, column: windows.Run, row: windows.Run, width: int, height: int
) -> np.ndarray:
    """Bumps (centres in dbu) per window of a run of columns by a run of rows, boundaries
    included: a centre on the line two windows share counts in both."""
    counts = np.zeros((column[2], row[2]), dtype=np.int64)
    xs = _covering(local[:, 0], column, width)
    ys = _covering(local[:, 1], row, height)
    for kx, x_in in xs:
        for ky, y_in in ys:
            hit = x_in & y_in
            np.add.at(counts, (kx[hit], ky[hit]), 1)
    return counts


def _covering(
    values: np.ndarray, run: windows.Run, size: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The windows of ``run`` that hold each value: two candidates per value (its window
    and the one before, which holds it only on their shared boundary), each with a mask
    of the values it does hold. Windows of a run never overlap (stride >= size)."""
    start, stride, count = run
    first = np.clip(np.floor((values - start) / stride), 0, count - 1).astype(np.int64)
    candidates = []
    for k in (first, first - 1):
        low = start + k * stride
        holds = (k >= 0) & (values >= low - _ON_EDGE) & (values <= low + size + _ON_EDGE)
        candidates.append((np.maximum(k, 0), holds))
    return candidates


# centres closer than this to a window's side (database units) are on it
_ON_EDGE = 1e-6
