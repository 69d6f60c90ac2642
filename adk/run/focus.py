"""The markers of one cell, checked in its context (docs/checking.md, "The markers of a
cell"): what a user who looks at a die, a bridge or a bump cell inside a package asks for.

A cell checked alone lacks what lies around it: a die's micro-bumps land on pads of the
substrate it sits on, so checked alone every bump misses its pad. Here the whole layout is
checked from its top cell, as a run of the package is, and the markers of the cell are
those that overlap or touch one of its placements, moved into the cell's coordinates. A
marker seen alike at several placements (a bump cell's own defect) is one marker there,
its text saying at how many of the cell's placements it is.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import klayout.db as kdb
import numpy as np

from adk.checks.base import Geometry, Marker
from adk.errors import AdkError
from adk.run.cells import Hierarchy, Placements
from adk.run.result import RuleOutcome, RunResult


def context_top(layout: kdb.Layout, cell: kdb.Cell) -> kdb.Cell:
    """The top cell whose run holds ``cell``: the first top cell (by name) placing it,
    directly or through other cells; the cell itself when it is a top cell."""
    if cell.is_top():
        return cell
    for top in sorted(layout.top_cells(), key=lambda c: c.name):
        if cell.cell_index() in top.called_cells():
            return top
    raise AdkError(f"cell '{cell.name}' is placed under no top cell")  # a recursive hierarchy


def markers_of_cell(
    result: RunResult, layout: kdb.Layout, top: kdb.Cell, cell: kdb.Cell
) -> RunResult:
    """``result`` (a flat run of ``top``) cut to the markers of ``cell``: those that
    overlap or touch one of its placements' boxes, in the cell's coordinates, one per
    distinct marker; the run's top cell is then ``cell``. A cell placed magnified or turned
    by other than 90 degrees is refused."""
    if cell.cell_index() == top.cell_index():
        return result
    hierarchy = Hierarchy(layout, top)
    if not next(c.exact for c in hierarchy.cells if c.index == cell.cell_index()):
        raise AdkError(
            f"cell '{cell.name}' is placed magnified or turned by other than 90 degrees: "
            "its markers cannot be shown in its own coordinates; check the top cell"
        )
    placements = hierarchy.placements(cell.cell_index())
    flat = result.flat()
    outcomes = [_outcome(outcome, placements, cell.bbox(), layout.dbu) for outcome in flat.outcomes]
    return replace(flat, outcomes=outcomes, top_cell=cell.name)


def _outcome(outcome: RuleOutcome, placements: Placements, box: kdb.Box, dbu: float) -> RuleOutcome:
    if not outcome.markers or not len(placements) or box.empty():
        return replace(outcome, markers=[])
    low, high = placements.boxes(box)
    lows, highs = low * dbu, high * dbu
    seen: dict[tuple, list[Marker]] = defaultdict(list)
    for marker in outcome.markers:
        for k in _overlapping(marker.shape.bbox(), lows, highs):
            moved = marker.shape.transformed(placements.trans(int(k), dbu).inverted())
            local = Marker(moved, marker.measured, marker.text, nets=marker.nets)
            seen[(marker.text, _identity(moved))].append(local)
    markers = [_counted(found, len(placements)) for found in seen.values()]
    return replace(outcome, markers=sorted(markers, key=Marker.sort_key))


def _overlapping(marker: kdb.DBox, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
    """The placements whose box the marker's box overlaps or touches: a space marker
    between the cell's outermost shape and a neighbour's starts on the cell's boundary."""
    return np.flatnonzero(
        (lows[:, 0] <= marker.right)
        & (marker.left <= highs[:, 0])
        & (lows[:, 1] <= marker.top)
        & (marker.bottom <= highs[:, 1])
    )


def _identity(shape: Geometry) -> tuple:
    """A geometry as numbers that do not depend on how a placement turned it: an edge's
    direction, a pair's order of edges and a polygon's first point left out; coordinates
    to a thousandth of a nanometre (moved back from two placements, the same marker
    differs in the last bits)."""

    def point(x: float, y: float) -> tuple[float, float]:
        return (round(x, 6) + 0.0, round(y, 6) + 0.0)  # + 0.0: no negative zero

    def edge(e: kdb.DEdge) -> tuple:
        return tuple(sorted((point(e.x1, e.y1), point(e.x2, e.y2))))

    if isinstance(shape, kdb.DEdgePair):
        return ("pair", *sorted((edge(shape.first), edge(shape.second))))
    if isinstance(shape, kdb.DEdge):
        return ("edge", edge(shape))
    if isinstance(shape, kdb.DBox):
        return ("box", point(shape.left, shape.bottom), point(shape.right, shape.top))
    return ("polygon", tuple(sorted(point(p.x, p.y) for p in shape.each_point_hull())))


def _counted(found: list[Marker], placements: int) -> Marker:
    first = found[0]
    if placements == 1:
        return first
    at = "all" if len(found) == placements else f"{len(found)} of"
    return replace(first, text=f"{first.text} (at {at} {placements} placements)")
