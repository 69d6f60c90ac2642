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

from collections.abc import Sequence

import klayout.db as kdb
import numpy as np
from rtree import index

from adk.checks.base import Marker

# an edge pair's area is widened by one database unit, so that pairs of facing corners
# (no area) and pairs meeting at a corner group
_WIDEN = 1


def areas(markers: list[Marker], dbu: float) -> list[Marker]:
    """``markers`` with touching edge-pair markers joined into one marker per area."""
    pairs = [m for m in markers if isinstance(m.shape, kdb.DEdgePair)]
    others = [m for m in markers if not isinstance(m.shape, kdb.DEdgePair)]
    in_units = [_in_units(m, dbu) for m in pairs]
    joined = list(kdb.Region([pair.polygon(_WIDEN) for pair in in_units]).merged().each())
    return others + [
        _joined([pairs[k] for k in group], area, dbu)
        for area, group in zip(joined, _members(in_units, joined))
    ]


def _in_units(marker: Marker, dbu: float) -> kdb.EdgePair:
    assert isinstance(marker.shape, kdb.DEdgePair)
    return marker.shape.to_itype(dbu).normalized()


def _members(pairs: list[kdb.EdgePair], areas: Sequence[kdb.Polygon]) -> list[list[int]]:
    """For each of ``areas`` (the merged, widened ``pairs``), the indices of the pairs it
    holds: the one area holding the middle of a pair's first edge. Widening puts that
    point inside the pair's own area and so off the outline of every other."""
    members: list[list[int]] = [[] for _ in areas]
    if not pairs:
        return members
    boxes = index.Index(
        (k, (b.left, b.bottom, b.right, b.top), None)
        for k, b in enumerate(area.bbox() for area in areas)
    )
    firsts = np.array([(p.first.p1.x, p.first.p1.y, p.first.p2.x, p.first.p2.y) for p in pairs])
    middles = np.rint((firsts[:, :2] + firsts[:, 2:]) / 2)
    ids, counts = boxes.intersection_v(middles, middles)  # one query for all points
    for k, (last, count) in enumerate(zip(np.cumsum(counts), counts)):
        candidates = ids[last - count : last]
        if count > 1:
            middle = kdb.Point(*middles[k])
            candidates = [c for c in candidates if areas[c].inside(middle)]
        members[candidates[0]].append(k)
    return members


def _joined(members: list[Marker], area: kdb.Polygon, dbu: float) -> Marker:
    if len(members) == 1:
        return members[0]
    worst = min(members, key=lambda m: (m.measured, m.sort_key()))
    return Marker(area.to_dtype(dbu), worst.measured, f"{worst.text} ({len(members)} edge pairs)")
