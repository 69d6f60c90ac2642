"""distance: distance from each shape of one layer to the nearest shape of another.

    rule CPO.EIC.PIC "EIC at most 2 mm from its PIC" : distance(EIC, PIC) <= 2 mm
    rule FOSIP.PAS "passives at least 200 um from dies" : distance(PASSIVE, DIE) >= 200 um

Both layers are merged first. The distance is Euclidean, between the closest
points of the two outlines; shapes that overlap, touch or contain one another
are at distance 0. With the same layer twice, each shape is measured to the
nearest other shape. A shape with no shape on the other layer at all passes a
minimum and breaks a maximum. A distance exactly at the limit passes.
Marker: the edge from the shape's closest point to its nearest partner's, with
the distance; the shape itself when it overlaps its partner or has none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import klayout.db as kdb
import numpy as np
from rtree import index

from adk.checks.base import Check, CheckContext, Marker, violation_text
from adk.lang.signature import MAX, MIN, CheckSpec, Prop
from adk.lang.units import Dim
from adk.layout.bumps import breaks

# point-to-edge distances computed at once
_CHUNK = 1 << 20
# distances (dbu) this close are equal
_TIE = 1e-6

SPEC = CheckSpec(
    "distance",
    "nearest distance between shapes of two layers",
    ("a", "b"),
    (Prop("distance", Dim.LENGTH, MIN + MAX, positive=False),),
    polygon=False,
)

NOT_EXPORTED = "KLayout's checks find shapes closer than a limit, not each shape's nearest partner"


@dataclass(frozen=True)
class Closest:
    """The distance between two polygons (dbu) and the closest points, ``a`` on the first."""

    distance: float
    a: tuple[float, float] | None  # None when the polygons overlap or touch
    b: tuple[float, float] | None
    partner: int  # index of the polygon found


def _vertices(polygon: kdb.Polygon) -> list[np.ndarray]:
    """The hull and the holes as rings of points (dbu)."""
    rings = [list(polygon.each_point_hull())]
    rings += [list(polygon.each_point_hole(h)) for h in range(polygon.holes())]
    return [np.array([(p.x, p.y) for p in ring], dtype=float) for ring in rings]


def _edges(rings: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.hstack([ring, np.roll(ring, -1, axis=0)]) for ring in rings])


def _to_segments(points: np.ndarray, edges: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Smallest distance from ``points`` to ``edges`` with every (point, foot) pair at it."""
    start, end = edges[None, :, :2], edges[None, :, 2:]
    direction = end - start
    length2 = np.maximum((direction**2).sum(axis=-1), 1e-300)
    best = np.inf
    near: list[np.ndarray] = []
    feet: list[np.ndarray] = []
    step = max(1, _CHUNK // len(edges))
    for first in range(0, len(points), step):
        chunk = points[first : first + step, None, :]
        t = np.clip(((chunk - start) * direction).sum(axis=-1) / length2, 0.0, 1.0)
        foot = start + t[..., None] * direction
        dist = np.hypot(*(chunk - foot).transpose(2, 0, 1))
        low = float(dist.min())
        if low < best - _TIE:
            best, near, feet = low, [], []
        if low <= best + _TIE:
            i, j = np.nonzero(dist <= best + _TIE)
            near.append(chunk[i, 0])
            feet.append(foot[i, j])
    return best, np.concatenate(near), np.concatenate(feet)


def polygon_distance(a: kdb.Polygon, b: kdb.Polygon) -> tuple[float, tuple | None, tuple | None]:
    """Euclidean distance between two polygons (dbu) and the closest points; 0 when they
    overlap, touch or one contains the other (then both points are None).

    Where facing sides are parallel the closest points are the middle of the stretch
    over which they face each other."""
    if a.touches(b):
        return 0.0, None, None
    ring_a, ring_b = _vertices(a), _vertices(b)
    d1, on_a1, on_b1 = _to_segments(np.concatenate(ring_a), _edges(ring_b))
    d2, on_b2, on_a2 = _to_segments(np.concatenate(ring_b), _edges(ring_a))
    distance = min(d1, d2)
    sides = [
        (on_a, on_b)
        for d, on_a, on_b in ((d1, on_a1, on_b1), (d2, on_a2, on_b2))
        if d <= distance + _TIE
    ]
    on_a = np.concatenate([side[0] for side in sides])
    on_b = np.concatenate([side[1] for side in sides])
    middle_a = (on_a.min(axis=0) + on_a.max(axis=0)) / 2
    middle_b = (on_b.min(axis=0) + on_b.max(axis=0)) / 2
    if abs(np.hypot(*(middle_b - middle_a)) - distance) <= _TIE:
        return distance, tuple(middle_a.tolist()), tuple(middle_b.tolist())
    return distance, tuple(on_a[0].tolist()), tuple(on_b[0].tolist())


class Nearest:
    """Finds, for a polygon, the nearest of a fixed set of polygons (all in dbu)."""

    def __init__(self, polygons: Sequence[kdb.Polygon]):
        self.polygons = polygons
        boxes = ((i, _bounds(p.bbox()), None) for i, p in enumerate(polygons))
        self.tree = index.Index(boxes) if polygons else None

    def meeting(self, box: kdb.Box) -> list[int]:
        """The polygons whose bounding box meets ``box``."""
        return [] if self.tree is None else list(self.tree.intersection(_bounds(box)))

    def find(self, polygon: kdb.Polygon, skip: int | None = None) -> Closest | None:
        """The nearest polygon other than number ``skip``, or None when there is none."""
        if self.tree is None:
            return None
        box = polygon.bbox()
        seeds = [i for i in self.tree.nearest(_bounds(box), 2) if i != skip][:1]
        if not seeds:
            return None
        best = self._measure(polygon, seeds[0])
        # any polygon nearer than the seed has its bounding box within that distance
        reach = int(np.ceil(best.distance))
        for i in self.meeting(box.enlarged(reach, reach)):
            if i != skip and i != best.partner:
                found = self._measure(polygon, i)
                if (found.distance, found.partner) < (best.distance, best.partner):
                    best = found
        return best

    def _measure(self, polygon: kdb.Polygon, i: int) -> Closest:
        distance, a, b = polygon_distance(polygon, self.polygons[i])
        return Closest(distance, a, b, i)


def _bounds(box: kdb.Box) -> tuple[int, int, int, int]:
    return (box.left, box.bottom, box.right, box.top)


def edge_marker(closest: Closest, polygon: kdb.Polygon, dbu: float) -> kdb.DEdge | kdb.DPolygon:
    """The edge between the closest points in µm, or the polygon when they overlap."""
    if closest.a is None or closest.b is None:
        return polygon.to_dtype(dbu)
    (x1, y1), (x2, y2) = closest.a, closest.b
    return kdb.DEdge(x1 * dbu, y1 * dbu, x2 * dbu, y2 * dbu)


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    same = check.layers[0] == check.layers[1]
    shapes = list(ctx.region(check.layers[0]).each())
    nearest = Nearest(shapes if same else list(ctx.region(check.layers[1]).each()))
    markers = []
    for number, polygon in enumerate(shapes):
        closest = nearest.find(polygon, number if same else None)
        if closest is None:
            constraint = breaks(check.constraints, float("inf"))
            if constraint is not None:
                markers.append(
                    Marker(polygon.to_dtype(ctx.dbu), None, "distance: no shape on the other layer")
                )
            continue
        distance = closest.distance * ctx.dbu
        constraint = breaks(check.constraints, distance)
        if constraint is not None:
            markers.append(
                Marker(
                    edge_marker(closest, polygon, ctx.dbu),
                    distance,
                    violation_text("distance", distance, constraint, ctx.length_unit),
                )
            )
    return sorted(markers, key=Marker.sort_key)
