"""Markers joined into one per defect: ``markers areas``, the default of the kinds that
take ``markers``.

An edge-pair check finds one pair per pair of violating edges, as KLayout does: a round
bump 1 um too close to a line gives one pair per facing edge of its outline, up to about
sixteen, an undersized octagonal pad a dozen. :func:`areas` joins the edge pairs whose
areas touch or overlap into one marker: the merged area between their edges (grown by
one database unit, see ``_WIDEN``), carrying the smallest measured value of the group
and the text of the pair that measured it, followed by the number of pairs (``width 1.5
um < 2 um (4 edge pairs)``). A lone pair stays an edge pair. Markers that are not edge
pairs (the overlap polygons of a separation, the parts inside a keep-out zone) stay as
they are.

:func:`windows` joins failing density windows that overlap or touch likewise: their
union, with the worst density of the group and the number of windows.

Grouping runs on the markers of the whole layout, after tiles are joined, so it gives
the same markers whatever the tiling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import klayout.db as kdb
import numpy as np
from rtree import index

from adk.checks.base import Marker

# an edge pair's area is widened by one database unit, so that pairs of facing corners
# (no area) and pairs meeting at a corner group
_WIDEN = 1

# orders the markers of a group, the one it is named after first
Rank = Callable[[Marker], tuple]


def smallest_first(marker: Marker) -> tuple:
    """The smallest value first (a distance below a minimum); position breaks ties."""
    assert marker.measured is not None
    return (marker.measured, marker.sort_key())


def largest_first(marker: Marker) -> tuple:
    """The largest value first (a density above a maximum); position breaks ties."""
    assert marker.measured is not None
    return (-marker.measured, marker.sort_key())


def areas(markers: list[Marker], dbu: float) -> list[Marker]:
    """``markers`` with touching edge-pair markers joined into one marker per area."""
    pairs = [m for m in markers if isinstance(m.shape, kdb.DEdgePair)]
    others = [m for m in markers if not isinstance(m.shape, kdb.DEdgePair)]
    in_units = [_pair_in_units(m, dbu) for m in pairs]
    spans = [pair.polygon(_WIDEN) for pair in in_units]
    # widening puts the middle of a pair's first edge inside the pair's own area and so
    # off the outline of every other
    firsts = np.array(
        [(p.first.p1.x, p.first.p1.y, p.first.p2.x, p.first.p2.y) for p in in_units], dtype=float
    ).reshape(-1, 4)
    middles = np.rint((firsts[:, :2] + firsts[:, 2:]) / 2)
    return others + _joined(pairs, spans, middles, dbu, "edge pairs", smallest_first)


def windows(markers: list[Marker], dbu: float, rank: Rank) -> list[Marker]:
    """Window markers (boxes) that overlap or touch joined into one marker per union, named
    after the first of each group by ``rank``."""
    boxes = [_box_in_units(m, dbu) for m in markers]
    centres = np.array([(b.center().x, b.center().y) for b in boxes], dtype=float).reshape(-1, 2)
    return _joined(markers, [kdb.Polygon(b) for b in boxes], centres, dbu, "windows", rank)


def _pair_in_units(marker: Marker, dbu: float) -> kdb.EdgePair:
    assert isinstance(marker.shape, kdb.DEdgePair)
    return marker.shape.to_itype(dbu).normalized()


def _box_in_units(marker: Marker, dbu: float) -> kdb.Box:
    assert isinstance(marker.shape, kdb.DBox)
    return marker.shape.to_itype(dbu)


def _joined(
    markers: list[Marker],
    spans: list[kdb.Polygon],
    inner_points: np.ndarray,
    dbu: float,
    noun: str,
    rank: Rank,
) -> list[Marker]:
    """One marker per merged area of ``spans`` (the markers' areas in database units);
    ``inner_points`` holds a point inside each span, which tells the area it joined."""
    merged = list(kdb.Region(spans).merged().each())
    return [
        _group_marker([markers[k] for k in group], area, dbu, noun, rank)
        for area, group in zip(merged, _members(inner_points, merged))
    ]


def _members(points: np.ndarray, areas: Sequence[kdb.Polygon]) -> list[list[int]]:
    """For each of ``areas``, the indices of the ``points`` it holds (each point in one area:
    the areas are merged, so they neither overlap nor touch)."""
    members: list[list[int]] = [[] for _ in areas]
    if not len(points):
        return members
    boxes = index.Index(
        (k, (b.left, b.bottom, b.right, b.top), None)
        for k, b in enumerate(area.bbox() for area in areas)
    )
    ids, counts = boxes.intersection_v(points, points)  # one query for all points
    for k, (last, count) in enumerate(zip(np.cumsum(counts), counts)):
        candidates = ids[last - count : last]
        if count > 1:
            point = kdb.Point(*points[k])
            candidates = [c for c in candidates if areas[c].inside(point)]
        members[candidates[0]].append(k)
    return members


def _group_marker(
    members: list[Marker], area: kdb.Polygon, dbu: float, noun: str, rank: Rank
) -> Marker:
    if len(members) == 1:
        return members[0]
    worst = min(members, key=rank)
    return Marker(area.to_dtype(dbu), worst.measured, f"{worst.text} ({len(members)} {noun})")
