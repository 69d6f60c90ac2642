"""ongrid: every vertex of a layer's shapes lies on a grid.

    rule M1.GRID "metal 1 vertices on the 5 nm grid" : ongrid(M1, grid 5 nm)

A vertex is on the grid when both its coordinates, in the top cell, are whole
multiples of ``grid``: the grid runs through the origin of the top cell, the
same in x and y. Shapes are merged first, so the vertices checked are those of
the merged outlines: where two shapes overlap, the points where their edges
cross are vertices too (two 45° edges drawn on the grid can cross half a grid
step off it), and a vertex inside another shape, or in the middle of a
straight edge, is no vertex. Shapes in cells are checked where they land in the
top cell, so a cell placed off the grid puts its vertices off it. KLayout's
``Region.grid_check`` decides, as ``layer.ongrid(grid)`` does in its DRC
language. ``grid`` must be a whole number of the layout's database units; a
grid of one database unit holds every vertex.
Marker: each vertex off the grid, once (a merged outline touching itself there
holds it twice), as KLayout marks it: an edge pair whose two edges are that
point (``vertex off the 0.005 um grid``). The text names no
coordinates: the marker is where the vertex is, and the same layout placed
elsewhere on the grid, rotated or mirrored gives the same texts."""

from __future__ import annotations

import klayout.db as kdb

from adk.checks.base import CheckContext, Marker, required_length
from adk.checks.drc import drc_markers
from adk.checks.polygon import ordered, scaled
from adk.errors import AdkError
from adk.lang.model import Check
from adk.lang.signature import LENGTH, CheckSpec, Param
from adk.lang.units import Dim, Quantity

SPEC = CheckSpec(
    "ongrid",
    "vertices of the shapes of a layer on a grid",
    ("layer",),
    (),
    (Param("grid", LENGTH, required=True, doc="the grid step, the same in x and y"),),
    constraint_required=False,
)


def ambit(check: Check) -> float:
    return 0.0  # a vertex depends on the merged shape it belongs to alone


def grid_units(check: Check, dbu: float) -> int:
    """The grid in database units; an error when it is not a whole number of them."""
    grid = required_length(check, "grid")
    units = scaled(grid, dbu)
    if units != round(units):
        raise AdkError(
            f"ongrid: grid {grid:g} um is not a whole number of the layout's database "
            f"unit {dbu:g} um"
        )
    return round(units)


def marker_text(check: Check, unit: str) -> str:
    grid = Quantity(required_length(check, "grid"), Dim.LENGTH)
    return f"vertex off the {grid.format(unit)} grid"


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    units = grid_units(check, ctx.dbu)
    if units == 1:
        return []  # every vertex lies on the database grid
    text = marker_text(check, ctx.length_unit)
    vertices = ctx.region(check.layers[0]).grid_check(units, units)
    # a merged outline touching itself at a vertex holds it twice
    points = {(pair.first.x1, pair.first.y1) for pair in vertices.each()}
    return ordered([_vertex_marker(x, y, text, ctx.dbu) for x, y in points])


def _vertex_marker(x: int, y: int, text: str, dbu: float) -> Marker:
    point = kdb.Edge(x, y, x, y)
    return Marker(kdb.EdgePair(point, point).to_dtype(dbu), None, text)


def lydrc(check: Check, layers: list[str]) -> str:
    return drc_markers(f"adk_off_grid({layers[0]}, {required_length(check, 'grid')!r})")
