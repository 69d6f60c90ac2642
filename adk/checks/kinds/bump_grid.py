"""bump_grid: every bump centre lies on a placement grid.

    rule UB.GRID "micro-bump centres on the 1 um grid" : bump_grid(UBUMP, grid 1 um)

A bump's centre is the centre of its bounding box as placed in the top cell
(bump arrays are read as arrays, never flattened). It is on the grid when both
its coordinates are whole multiples of ``grid``, to a millionth of a database
unit: the grid runs through the origin of the top cell, the same in x and y. In
an assembled package that is the package's origin, so a part placed off the grid,
or magnified, puts its bumps off it even where they lie on the grid in the part's
own layout. ``grid`` must be a whole number of the layout's database units. A bump
whose bounding box is an odd number of units wide has its centre half a unit off
the database grid, and so off every grid.
Marker: a point at each centre off the grid, with its distance to the nearest
grid point: ``bump centre 0.25 um off the 1 um grid``."""

from __future__ import annotations

import numpy as np

from adk.checks.base import Check, CheckContext, Marker, required_length
from adk.checks.kinds.pitch import edge_markers
from adk.checks.polygon import scaled
from adk.errors import AdkError
from adk.lang.signature import LENGTH, CheckSpec, Param
from adk.lang.units import Dim, Quantity

SPEC = CheckSpec(
    "bump_grid",
    "bump centres on a grid",
    ("bumps",),
    (),
    (Param("grid", LENGTH, required=True, doc="the grid step, the same in x and y"),),
    constraint_required=False,
    polygon=False,
)

NOT_EXPORTED = "bump centres (bounding-box centres of placed cells) have no DRC equivalent"

# a centre this close to a grid line (database units) is on it: coordinates computed
# through magnified placements carry floating-point noise
_ON_GRID = 1e-6


def ambit(check: Check) -> float:
    return 0.0  # a centre is on the grid or not by itself


def grid_units(check: Check, dbu: float) -> int:
    """The grid in database units; an error when it is not a whole number of them."""
    grid = required_length(check, "grid")
    units = scaled(grid, dbu)
    if units != round(units):
        raise AdkError(
            f"bump_grid: grid {grid:g} um is not a whole number of the layout's database "
            f"unit {dbu:g} um"
        )
    return round(units)


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    grid = grid_units(check, ctx.dbu)
    points = ctx.bumps(check.layers[0])
    units = points / ctx.dbu
    off = units - np.round(units / grid) * grid
    off[np.abs(off) <= _ON_GRID] = 0.0
    rows = np.flatnonzero((off != 0).any(axis=1))
    if not len(rows):
        return []
    distances = np.round(np.hypot(off[rows, 0], off[rows, 1]) * ctx.dbu, 9)
    values, text_index = np.unique(distances, return_inverse=True)
    step = Quantity(grid * ctx.dbu, Dim.LENGTH).format(ctx.length_unit)
    texts = [
        f"bump centre {Quantity(v, Dim.LENGTH).format(ctx.length_unit)} off the {step} grid"
        for v in values.tolist()
    ]
    placed = points[rows]
    return edge_markers(placed, placed, distances, texts, text_index.reshape(-1))
