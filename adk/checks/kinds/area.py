"""area: minimum and/or maximum area of each merged shape.

    rule PAD.A "pad area" : area(PAD) { area >= 100 um2  area <= 1 mm2 }

Shapes are merged first, so touching or overlapping shapes, also from
different cells, count as one shape; the area of a shape with a hole excludes
the hole. An area exactly at a limit passes.
Marker: the shape, with its area."""

from __future__ import annotations

import math

import klayout.db as kdb

from adk.checks.base import CheckContext, Marker, violation_text
from adk.checks.drc import drc_limits, drc_markers
from adk.checks.polygon import breaker, ordered, scaled
from adk.lang.model import Check, Constraint
from adk.lang.signature import MAX, MIN, CheckSpec, Prop
from adk.lang.units import Dim

SPEC = CheckSpec(
    "area", "area of each shape of a layer", ("layer",), (Prop("area", Dim.AREA, MIN + MAX),)
)


def ambit(check: Check) -> float:
    return 0.0  # a shape's area depends on the shape alone


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    constraints = check.constraint("area")
    unit_area = ctx.dbu * ctx.dbu
    markers = []
    broken = breaker(constraints, unit_area)
    for polygon in _candidates(ctx.region(check.layers[0]), constraints, unit_area).each():
        area = polygon.area2() / 2  # area() rounds half units down
        constraint = broken(area)
        if constraint is not None:
            text = violation_text("area", area * unit_area, constraint, ctx.length_unit)
            markers.append(Marker(polygon.to_dtype(ctx.dbu), area * unit_area, text))
    return ordered(markers)


def _candidates(
    region: kdb.Region, constraints: tuple[Constraint, ...], unit_area: float
) -> kdb.Region:
    """The shapes whose area is not safely inside every limit; the exact test follows."""
    lows = [scaled(c.limit.value, unit_area) for c in constraints if c.op in MIN]
    highs = [scaled(c.limit.value, unit_area) for c in constraints if c.op in MAX]
    low = math.floor(max(lows)) + 1 if lows else None
    high = math.ceil(min(highs)) - 1 if highs else None
    return region.with_area(low, high, True)


def lydrc(check: Check, layers: list[str]) -> str:
    return drc_markers(f"adk_area({layers[0]}, {drc_limits(check, 'area')})")
