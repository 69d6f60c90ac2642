"""bump_count: the two sides of an interface have as many bumps: die bumps and the pads they land on.

    rule HBM.COUNT "as many HBM bumps as interposer pads under the HBM" : bump_count(HBM_BUMP, IP_PAD, within HBM_DIE) == 0
    rule C4.COUNT "at most 4 spare substrate pads" : bump_count(C4, SUB_PAD) <= 4

Each shape of the two layers is its bounding box's centre (bump arrays are
read as arrays, never flattened). With ``within R`` (merged first) the centres
inside each shape of R, or on its boundary, are counted, and each shape of R
is an interface of its own; without it, every centre of the layout. The
measured ``difference`` is the number of one side less the other's, as a
positive number: ``== 0`` asks for equal counts, ``<= 4`` allows four more on
either side. A shape of R with no bump on either side has a difference of 0.
A difference exactly at the limit passes.
Marker: the shape of R (without ``within``, the bounding box of every centre of
both layers), with the difference and both counts: ``difference 8 > 0 (HBM_BUMP
120, IP_PAD 128)``."""

from __future__ import annotations

import klayout.db as kdb
import numpy as np

from adk.checks.base import Check, CheckContext, Geometry, Marker, layer_param, violation_text
from adk.checks.polygon import ordered
from adk.checks.within import inside_region
from adk.lang.model import layer_label
from adk.lang.signature import LAYER, MAX, CheckSpec, Param, Prop
from adk.lang.units import Dim
from adk.layout.bumps import breaks

SPEC = CheckSpec(
    "bump_count",
    "as many bumps on one layer as on another, per interface",
    ("a", "b"),
    (Prop("difference", Dim.NUMBER, ("==",) + MAX, positive=False),),
    (Param("within", LAYER, doc="count inside each shape of this layer, an interface each"),),
    polygon=False,
)

NOT_EXPORTED = "bump centres counted inside each region have no DRC equivalent"


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    sides = [ctx.bumps(layer) for layer in check.layers]
    names = [layer_label(layer, ctx.length_unit) for layer in check.layers]
    region = layer_param(check, "within")
    areas: list[tuple[Geometry, list[int]]]
    if region is None:
        box = _extent(sides)
        areas = [] if box is None else [(box, [len(points) for points in sides])]
    else:
        areas = [
            (
                polygon.to_dtype(ctx.dbu),
                [len(inside_region(p, kdb.Region(polygon), ctx.dbu)) for p in sides],
            )
            for polygon in ctx.region(region).each()
        ]
    markers = []
    for shape, (first, second) in areas:
        difference = abs(first - second)
        constraint = breaks(check.constraints, difference)
        if constraint is not None:
            counts = f" ({names[0]} {first:,}, {names[1]} {second:,})"
            text = violation_text("difference", difference, constraint, ctx.length_unit, counts)
            markers.append(Marker(shape, float(difference), text))
    return ordered(markers)


def _extent(sides: list[np.ndarray]) -> kdb.DBox | None:
    """The bounding box of every centre of both layers; None when both are empty."""
    points = np.concatenate(sides)
    if not len(points):
        return None
    (left, bottom), (right, top) = points.min(axis=0), points.max(axis=0)
    return kdb.DBox(float(left), float(bottom), float(right), float(top))
