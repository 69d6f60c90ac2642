"""Bump extraction from the layout hierarchy, without flattening arrays into polygons.

A bump array of a million elements is one instance in the layout. Instead of
producing a million polygons, the cell tree is walked top-down keeping, per
cell, every placement of it in the top cell as rows of an affine transform
``(m00, m01, m10, m11, tx, ty)`` in database units; array elements are expanded
arithmetically. A shape's centre is the centre of the bounding box of the shape
as placed, which does not depend on how the hierarchy is built.

Coordinates returned are in µm, sorted by x then y.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import klayout.db as kdb
import numpy as np

from adk.lang.model import Constraint

IDENTITY = np.array([[1.0, 0.0, 0.0, 1.0, 0.0, 0.0]])

# shapes that have an outline: boxes, polygons, paths
_OUTLINED = kdb.Shapes.SRegions

# transformed points held in memory at once when placing outlines at arbitrary angles
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Outline:
    """One distinct bump outline and every placement of it in the top cell.

    ``polygon`` is in database units, moved so that its bounding box starts at
    the origin; ``placements`` (M, 6) map it into the top cell, in database units.
    """

    polygon: kdb.Polygon
    placements: np.ndarray

    def hull(self) -> np.ndarray:
        """The hull points of the polygon, (K, 2) float, database units."""
        return _hull(self.polygon)

    def magnifications(self) -> np.ndarray:
        """The scale factor of each placement (rounded: equal factors compare equal)."""
        m = self.placements
        return np.round(np.sqrt(np.abs(m[:, 0] * m[:, 3] - m[:, 1] * m[:, 2])), 9)

    def placed(self, rows: np.ndarray, dbu: float) -> list[kdb.DPolygon]:
        """The outline at each of the placements ``rows``, in µm: placed in database units,
        its vertices snapped to the grid as KLayout snaps them when it flattens a placement,
        then converted once, so that they lie on the grid like every other marker's."""
        placed = on_grid(transform(self.placements[rows], self.hull())).astype(np.int64)
        return [
            kdb.Polygon([kdb.Point(x, y) for x, y in points]).to_dtype(dbu)
            for points in placed.tolist()
        ]


# ---------------------------------------------------------------- transforms
def matrix(trans: kdb.ICplxTrans) -> np.ndarray:
    """``trans`` as a row ``(m00, m01, m10, m11, tx, ty)``: mirror at x, rotate, magnify, shift."""
    angle = math.radians(trans.angle)
    cos, sin = math.cos(angle), math.sin(angle)
    if trans.is_ortho():
        cos, sin = round(cos), round(sin)  # keep 90° placements exact
    flip = -1.0 if trans.is_mirror() else 1.0
    mag = trans.mag
    disp = trans.disp
    return np.array(
        [mag * cos, -mag * sin * flip, mag * sin, mag * cos * flip, disp.x, disp.y], dtype=float
    )


def compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """Every ``outer[k] ∘ inner[m]`` as (K*M, 6), k-major."""
    if np.array_equal(outer, IDENTITY):
        return inner
    o = [outer[:, None, k] for k in range(6)]
    i = [inner[None, :, k] for k in range(6)]
    out = np.empty((len(outer), len(inner), 6))
    out[..., 0] = o[0] * i[0] + o[1] * i[2]
    out[..., 1] = o[0] * i[1] + o[1] * i[3]
    out[..., 2] = o[2] * i[0] + o[3] * i[2]
    out[..., 3] = o[2] * i[1] + o[3] * i[3]
    out[..., 4] = o[0] * i[4] + o[1] * i[5] + o[4]
    out[..., 5] = o[2] * i[4] + o[3] * i[5] + o[5]
    return out.reshape(-1, 6)


def transform(placements: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``points`` (P, 2) under each placement: (K, P, 2)."""
    x, y = points[:, 0], points[:, 1]
    m = placements[:, :, None]
    return np.stack(
        [m[:, 0] * x + m[:, 1] * y + m[:, 4], m[:, 2] * x + m[:, 3] * y + m[:, 5]], axis=-1
    )


def on_grid(values: np.ndarray) -> np.ndarray:
    """``values`` (database units) rounded to whole units as KLayout rounds coordinates:
    halves away from zero."""
    return np.sign(values) * np.floor(np.abs(values) + 0.5)


def _is_manhattan(placements: np.ndarray) -> np.ndarray:
    """Placements by multiples of 90°, under which a bounding box maps to a bounding box."""
    m = placements
    return ((m[:, 1] == 0) & (m[:, 2] == 0)) | ((m[:, 0] == 0) & (m[:, 3] == 0))


def _elements(inst: kdb.CellInstArray) -> np.ndarray:
    """The transforms of the elements of an instance (array), (M, 6), parent coordinates."""
    if inst.is_regular_array():
        base = matrix(inst.cplx_trans)
        i, j = (
            axis.ravel()
            for axis in np.meshgrid(np.arange(inst.na), np.arange(inst.nb), indexing="ij")
        )
        rows = np.repeat(base[None, :], len(i), axis=0)
        rows[:, 4] += i * inst.a.x + j * inst.b.x
        rows[:, 5] += i * inst.a.y + j * inst.b.y
        return rows
    return np.array([matrix(t) for t in inst.each_cplx_trans()], dtype=float).reshape(-1, 6)


# ---------------------------------------------------------------- hierarchy walk
def placements(layout: kdb.Layout, top: kdb.Cell, layer_index: int) -> dict[int, list[np.ndarray]]:
    """Every placement in ``top`` of each cell holding shapes on the layer, in parts (one
    per cell that places it), each (K, 6) in dbu: a million bumps are 48 MB of
    placements, which the caller need not hold at once.

    Subtrees with nothing on the layer are not visited.
    """
    pending: dict[int, list[np.ndarray]] = {top.cell_index(): [IDENTITY]}
    result: dict[int, list[np.ndarray]] = {}
    relevant: dict[int, bool] = {}
    for index in layout.each_cell_top_down():
        parts = pending.pop(index, None)
        if parts is None:
            continue
        cell = layout.cell(index)
        if not cell.shapes(layer_index).is_empty():
            result[index] = parts
        children: dict[int, list[np.ndarray]] = {}
        for inst in cell.each_inst():
            child = inst.cell_index
            if child not in relevant:
                relevant[child] = not layout.cell(child).bbox(layer_index).empty()
            if relevant[child]:
                children.setdefault(child, []).append(_elements(inst.cell_inst))
        placed = np.concatenate(parts) if children else IDENTITY
        for child, elements in children.items():
            pending.setdefault(child, []).append(compose(placed, np.concatenate(elements)))
    return result


def _shapes(cell: kdb.Cell, layer_index: int) -> list[kdb.Shape]:
    return list(cell.shapes(layer_index).each(_OUTLINED))


def _hull(polygon: kdb.Polygon) -> np.ndarray:
    return np.array([(p.x, p.y) for p in polygon.each_point_hull()], dtype=float)


def _symmetric(shape: kdb.Shape) -> bool:
    """Whether the outline is point-symmetric about its bounding-box centre.

    Then the bounding box of the outline under any affine placement is centred
    on the placed centre, and the hull need not be transformed.
    """
    if shape.is_box():
        return True
    box = shape.bbox()
    hull = {(p.x, p.y) for p in shape.polygon.each_point_hull()}
    sx, sy = box.left + box.right, box.bottom + box.top
    return {(sx - x, sy - y) for x, y in hull} == hull


def _placed_centres(cell_placements: np.ndarray, shapes: list[kdb.Shape]) -> np.ndarray:
    """Bounding-box centres of ``shapes`` under every placement, (K*S, 2) dbu."""
    straight = _is_manhattan(cell_placements)
    tilted = cell_placements[~straight]
    exact = np.array([not len(tilted) or _symmetric(s) for s in shapes])
    boxes = np.array(
        [(b.left, b.bottom, b.right, b.top) for b in (s.bbox() for s in shapes)], dtype=float
    )
    local = (boxes[:, :2] + boxes[:, 2:]) / 2
    parts = [transform(cell_placements, local[exact]).reshape(-1, 2)]
    if len(tilted):
        parts.append(transform(cell_placements[straight], local[~exact]).reshape(-1, 2))
        for shape in (s for s, e in zip(shapes, exact) if not e):
            hull = _hull(shape.polygon)
            step = max(1, _CHUNK // len(hull))
            for start in range(0, len(tilted), step):
                points = transform(tilted[start : start + step], hull)
                parts.append((points.min(axis=1) + points.max(axis=1)) / 2)
    return np.concatenate(parts)


def _sorted(points: np.ndarray) -> np.ndarray:
    return points[np.lexsort((points[:, 1], points[:, 0]))]


def centres(layout: kdb.Layout, top: kdb.Cell, layer_index: int) -> np.ndarray:
    """Bounding-box centres of every box, polygon and path on the layer under ``top``.

    (N, 2) float µm, sorted by x then y; each shape counts once per placement.
    """
    parts = [np.empty((0, 2))]
    for index, cell_parts in placements(layout, top, layer_index).items():
        shapes = _shapes(layout.cell(index), layer_index)
        if shapes:
            parts += [_placed_centres(cell_placements, shapes) for cell_placements in cell_parts]
    points = np.concatenate(parts)
    del parts
    points *= layout.dbu
    return _sorted(points)


def region_centres(region: kdb.Region, dbu: float) -> np.ndarray:
    """Bounding-box centres of the polygons of a flat region: (N, 2) float µm, sorted."""
    boxes = np.array(
        [(b.left, b.bottom, b.right, b.top) for b in (polygon.bbox() for polygon in region.each())],
        dtype=float,
    ).reshape(-1, 4)
    return _sorted((boxes[:, :2] + boxes[:, 2:]) / 2 * dbu)


# ---------------------------------------------------------------- outlines
def _grouped(cells: list[tuple[list[kdb.Polygon], np.ndarray]]) -> list[Outline]:
    """Equal outlines merged across cells: each polygon is moved to the origin and its
    offset folded into the placements of its cell (given as (polygons, placements) pairs)."""
    groups: dict[kdb.Polygon, list[np.ndarray]] = {}
    for polygons, placed in cells:
        offsets: dict[kdb.Polygon, list[tuple[int, int]]] = {}
        for polygon in polygons:
            corner = polygon.bbox().p1
            offsets.setdefault(polygon.moved(-corner.x, -corner.y), []).append((corner.x, corner.y))
        for key, corners in offsets.items():
            moves = np.zeros((len(corners), 6))
            moves[:, [0, 3]] = 1.0
            moves[:, 4:] = corners
            groups.setdefault(key, []).append(compose(placed, moves))
    return [Outline(polygon, np.concatenate(parts)) for polygon, parts in groups.items()]


def outlines(layout: kdb.Layout, top: kdb.Cell, layer_index: int) -> list[Outline]:
    """The distinct outlines on the layer under ``top``, each with all its placements."""
    return _grouped(
        [
            (
                [shape.polygon for shape in _shapes(layout.cell(index), layer_index)],
                np.concatenate(parts),
            )
            for index, parts in placements(layout, top, layer_index).items()
        ]
    )


def region_outlines(region: kdb.Region) -> list[Outline]:
    """The distinct outlines of the polygons of a flat region."""
    return _grouped([(list(region.each()), IDENTITY)])


# ---------------------------------------------------------------- measurements
# measured values this close (relative) to a limit are at the limit: 400 /mm2 is 400 * 1e-6
# /um2 and a density of 25 bumps in 62500 um2 differs from it in the last bit
_NOISE = 1e-9


def snapped(constraints: tuple[Constraint, ...], values: np.ndarray) -> np.ndarray:
    """``values`` with those within floating-point noise of a limit set to the limit."""
    result = np.asarray(values, dtype=float)
    for constraint in constraints:
        limit = constraint.limit.value
        result = np.where(np.isclose(result, limit, rtol=_NOISE, atol=0.0), limit, result)
    return result


def passes(
    constraints: tuple[Constraint, ...], values: np.ndarray, tolerance: float = 0.0
) -> np.ndarray:
    """Whether each of ``values`` satisfies every constraint (a value at a bound passes)."""
    values = snapped(constraints, values)
    ok = np.ones(len(values), dtype=bool)
    for constraint in constraints:
        # holds() is typed for one value; its comparisons apply to each element of an array
        ok &= constraint.holds(cast(float, values), tolerance)
    return ok


def breaks(
    constraints: tuple[Constraint, ...], value: float, tolerance: float = 0.0
) -> Constraint | None:
    """The first constraint ``value`` breaks, or None; a value at a bound passes."""
    value = float(snapped(constraints, np.asarray(value)))
    return next((c for c in constraints if not c.holds(value, tolerance)), None)


# points closer than this to an edge (database units) are on it
_ON_EDGE = 1e-6


def _polygon_edges(polygon: kdb.Polygon) -> np.ndarray:
    """All edges, hull and holes, as (E, 4) rows x1 y1 x2 y2 in dbu."""
    rings = [_hull(polygon)]
    rings += [
        np.array([(p.x, p.y) for p in polygon.each_point_hole(h)], dtype=float)
        for h in range(polygon.holes())
    ]
    return np.concatenate([np.hstack([ring, np.roll(ring, -1, axis=0)]) for ring in rings])


def _in_edges(points: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Even-odd containment of ``points`` (dbu) with the boundary counted as inside."""
    x1, y1, x2, y2 = (edges[:, k][None, :] for k in range(4))
    px, py = points[:, :1], points[:, 1:]
    dx, dy = x2 - x1, y2 - y1
    cross = dx * (py - y1) - dy * (px - x1)
    length = np.hypot(dx, dy)
    on_edge = (
        (np.abs(cross) <= _ON_EDGE * length)
        & (np.minimum(x1, x2) - _ON_EDGE <= px)
        & (px <= np.maximum(x1, x2) + _ON_EDGE)
        & (np.minimum(y1, y2) - _ON_EDGE <= py)
        & (py <= np.maximum(y1, y2) + _ON_EDGE)
    )
    crossing = ((y1 > py) != (y2 > py)) & ((cross > 0) == (dy > 0))
    return on_edge.any(axis=1) | (crossing.sum(axis=1) % 2 == 1)


def inside(points: np.ndarray, polygon: kdb.Polygon, dbu: float) -> np.ndarray:
    """Indices of ``points`` (µm, sorted by x) inside ``polygon`` (dbu) or on its boundary."""
    box = polygon.bbox()
    start = int(np.searchsorted(points[:, 0], (box.left - _ON_EDGE) * dbu, side="left"))
    stop = int(np.searchsorted(points[:, 0], (box.right + _ON_EDGE) * dbu, side="right"))
    local = points[start:stop] / dbu
    x, y = local[:, 0], local[:, 1]
    near = np.flatnonzero(
        (x >= box.left - _ON_EDGE)
        & (x <= box.right + _ON_EDGE)
        & (y >= box.bottom - _ON_EDGE)
        & (y <= box.top + _ON_EDGE)
    )
    if polygon.is_box() or not len(near):
        return near + start
    edges = _polygon_edges(polygon)
    step = max(1, _CHUNK // len(edges))
    hits = [
        chunk[_in_edges(local[chunk], edges)]
        for chunk in (near[k : k + step] for k in range(0, len(near), step))
    ]
    return np.concatenate(hits) + start
