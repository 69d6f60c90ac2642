"""bump_size: every bump has the given outline and diameter, within a tolerance.

    rule UB.SZ "micro-bump is a 25 um octagon" : bump_size(UBUMP, shape octagon, tolerance 0.5 um) == 25 um

``shape`` is ``octagon`` (eight vertices turning by 45° each), ``circle`` (a
polygon of 16 or more vertices on a circle) or ``any`` (the default); other
outlines are called rectangles or polygons.

The diameter is the width across the bump: for a circle, the diameter of the
circle through its vertices; for any other outline, the width across it
perpendicular to each side of its convex hull (across the flats of an
octagon). When these widths differ, as for an elongated octagon, each must
meet the constraint. Sizes scale with the magnification of the cell placement.
Diameters are measured on the outline in its cell, times the magnification,
and given to the nearest database unit, like the distances of the polygon
kinds; the value shown is the value compared. Across horizontal or vertical
flats a width is a distance between grid lines, exact (at magnification 1);
across 45° flats it is a multiple of √2/2 units, and a circle's diameter comes
from vertices snapped to the grid: these are rounded, within half a unit of
the width drawn. So a 20 um octagon drawn on a 1 nm grid, 19999.8 nm across
its 45° flats, is 20 um, and one drawn 20.001 um across, 20001.2 nm across its
45° flats, is 20.001 um.
Diameters are compared within ``tolerance`` plus 2 database units (times the
magnification), the error of snapping diagonal and curved sides to the grid.
Shapes are taken as drawn, each distinct outline measured once; a derived
layer's merged polygons are measured one by one.
Marker: the bump as placed, its vertices snapped to the grid as KLayout snaps
them when it flattens the placement, with its shape and diameter."""

from __future__ import annotations

import numpy as np

from adk.checks.base import Check, CheckContext, Marker, length_param, violation_text
from adk.lang.signature import ANY, LENGTH, WORD, CheckSpec, Param, Prop
from adk.lang.units import Dim, Quantity
from adk.layout.bumps import Outline, breaks, on_grid

SPEC = CheckSpec(
    "bump_size",
    "bump outline and diameter",
    ("bumps",),
    (Prop("size", Dim.LENGTH, ANY),),
    (
        Param("shape", WORD, choices=("octagon", "circle", "any"), doc="expected outline"),
        Param(
            "tolerance",
            LENGTH,
            zero_allowed=True,
            doc="allowed deviation of the diameter; default 0",
        ),
    ),
    polygon=False,
)

NOT_EXPORTED = "outline shapes and diameters across the convex hull have no DRC equivalent"

# grid snapping moves a vertex by up to half a database unit in x and y
_GRID_ALLOWANCE = 2.0
# an octagon's sides turn by 45°, within this (degrees) to allow for grid snapping
_TURN_TOLERANCE = 1.0


def convex_hull(points: np.ndarray) -> np.ndarray:
    """The convex hull of ``points`` (K, 2), counter-clockwise, without collinear points."""
    ordered = sorted(set(map(tuple, points)))
    if len(ordered) < 3:
        return np.array(ordered, dtype=float)

    def chain(seq: list) -> list:
        out: list = []
        for p in seq:
            while (
                len(out) >= 2
                and (
                    (out[-1][0] - out[-2][0]) * (p[1] - out[-2][1])
                    - (out[-1][1] - out[-2][1]) * (p[0] - out[-2][0])
                )
                <= 0
            ):
                out.pop()
            out.append(p)
        return out[:-1]

    return np.array(chain(ordered) + chain(ordered[::-1]), dtype=float)


def classify(points: np.ndarray) -> tuple[str, float, float]:
    """The kind of an outline and its smallest and largest diameter, in the units of ``points``."""
    hull = convex_hull(points)
    if len(hull) < 3:
        return "polygon", 0.0, 0.0
    centre = (hull.min(axis=0) + hull.max(axis=0)) / 2
    radii = np.hypot(*(hull - centre).T)
    if len(hull) >= 16 and np.ptp(radii) <= max(_GRID_ALLOWANCE, 0.01 * radii.mean()):
        diameter = float(radii.min() + radii.max())
        return "circle", diameter, diameter
    sides = np.roll(hull, -1, axis=0) - hull
    normals = np.column_stack([-sides[:, 1], sides[:, 0]]) / np.hypot(*sides.T)[:, None]
    projected = hull @ normals.T
    widths = projected.max(axis=0) - projected.min(axis=0)
    convex = len(hull) == len(points)
    directions = np.degrees(np.arctan2(sides[:, 1], sides[:, 0]))
    turns = (np.roll(directions, -1) - directions) % 360
    if convex and len(hull) == 8 and np.all(np.abs(turns - 45) <= _TURN_TOLERANCE):
        kind = "octagon"
    elif convex and len(hull) == 4 and np.all(np.abs(turns - 90) <= _TURN_TOLERANCE):
        kind = "rectangle"
    else:
        kind = "polygon"
    return kind, float(widths.min()), float(widths.max())


def placed_width(width: float, mag: float, dbu: float) -> float:
    """A width of an outline (database units of its cell) placed with magnification
    ``mag``, in µm, to the nearest database unit: without the float noise of the product."""
    return round(float(on_grid(np.asarray(width * mag))) * dbu, 9)


def _markers(
    outline: Outline, check: Check, ctx: CheckContext, expected: str, tolerance: float
) -> list[Marker]:
    kind, low, high = classify(outline.hull())
    mags = outline.magnifications()
    markers = []
    for mag in np.unique(mags):
        allowed = tolerance + _GRID_ALLOWANCE * ctx.dbu * mag
        sizes = (placed_width(low, mag, ctx.dbu), placed_width(high, mag, ctx.dbu))
        broken = [
            (size, c)
            for size in sizes
            if (c := breaks(check.constraints, size, allowed)) is not None
        ]
        if expected in ("any", kind) and not broken:
            continue
        parts = [] if expected in ("any", kind) else [f"shape {kind}, expected {expected}"]
        if broken:
            size, constraint = broken[0]
            parts.append(violation_text("size", size, constraint, ctx.length_unit, f" ({kind})"))
        else:
            size = sizes[0]
            parts.append(f"size {Quantity(size, Dim.LENGTH).format(ctx.length_unit)}")
        text = ", ".join(parts)
        markers += [
            Marker(shape, size, text)
            for shape in outline.placed(np.flatnonzero(mags == mag), ctx.dbu)
        ]
    return markers


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    expected = str(check.param("shape", "any"))
    tolerance = length_param(check, "tolerance") or 0.0
    markers = []
    for outline in ctx.bump_outlines(check.layers[0]):
        markers += _markers(outline, check, ctx, expected, tolerance)
    return sorted(markers, key=Marker.sort_key)
