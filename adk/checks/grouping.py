"""Markers grouped into violation areas: ``markers areas`` on a rule.

An edge-pair check reports one marker per pair of violating edges, as KLayout
does: a round bump 1 um too close to a line gives one pair per facing edge of
its outline, up to about sixteen. With ``markers areas`` the edge pairs whose
areas touch or overlap become one marker: the merged area between their edges,
carrying the smallest measured value of the group and the text of the pair that
measured it, followed by the number of pairs. Markers that are not edge pairs
(the overlap polygons of a separation, the parts inside a keep-out zone) stay
as they are.

Grouping runs on the markers of the whole layout, after tiles are joined, so it
gives the same areas whatever the tiling.
"""
from __future__ import annotations

import klayout.db as kdb
from rtree import index

from .base import Marker

# an edge pair's area is widened by one database unit, so that pairs of facing corners
# (no area) and pairs meeting at a corner group
_WIDEN = 1


def areas(markers: list[Marker], dbu: float) -> list[Marker]:
    """``markers`` with touching edge-pair markers joined into one marker per area."""
    pairs = [m for m in markers if isinstance(m.shape, kdb.DEdgePair)]
    others = [m for m in markers if not isinstance(m.shape, kdb.DEdgePair)]
    widened = [m.shape.to_itype(dbu).normalized().polygon(_WIDEN) for m in pairs]
    joined = list(kdb.Region(widened).merged().each())
    return others + [_joined([pairs[k] for k in group], area, dbu)
                     for area, group in zip(joined, _members(widened, joined))]


def _members(polygons: list[kdb.Polygon], areas: list[kdb.Polygon]) -> list[list[int]]:
    """For each of ``areas`` (the merged ``polygons``), the indices of the polygons it holds."""
    boxes = index.Index()
    for k, area in enumerate(areas):
        box = area.bbox()
        boxes.insert(k, (box.left, box.bottom, box.right, box.top))
    members: list[list[int]] = [[] for _ in areas]
    for k, polygon in enumerate(polygons):
        box = polygon.bbox()
        candidates = list(boxes.intersection((box.left, box.bottom, box.right, box.top)))
        # a polygon lies in its own area: it shares no area with any other
        owner = max(candidates, key=lambda c: (kdb.Region(polygon) & kdb.Region(areas[c])).area())
        members[owner].append(k)
    return members


def _joined(members: list[Marker], area: kdb.Polygon, dbu: float) -> Marker:
    if len(members) == 1:
        return members[0]
    worst = min(members, key=lambda m: (m.measured, m.sort_key()))
    return Marker(area.to_dtype(dbu), worst.measured, f"{worst.text} ({len(members)} edge pairs)")
