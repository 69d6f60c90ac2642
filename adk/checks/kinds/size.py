"""size: every shape of a layer is a rectangle of the given sides.

    rule V1.SZ "via 1 is a 200 nm square" : size(VIA1) == 0.2 um
    rule V2.SZ "via 2 is 0.2 x 0.4 um" : size(VIA2) { width == 0.2 um  length == 0.4 um }
    rule PAD.SZ "pads 50 to 80 um, any aspect" : size(PAD) { size >= 50 um  size <= 80 um }

``size`` bounds both sides of the rectangle, ``width`` its shorter side and
``length`` its longer one, so a 0.2 x 0.4 um rectangle drawn upright or lying
down is the same size: the check does not tell x from y. Sides are whole numbers
of database units and are compared exactly, without slack: ``== 0.2 um`` passes
only at 200 nm on a 1 nm grid, and a limit between two grid steps is never met.
Shapes are merged first, so two vias that overlap are one shape that is no
rectangle, and two that abut are one rectangle of their joint size. A rectangle
is an outline of four vertices with sides along x and y; one at another angle is
not one.
Marker: each shape that is no rectangle (``size: not a rectangle``), and each
rectangle with a side that breaks a constraint: the first constraint broken,
the side named, then both sides, shorter first: ``length 0.4 um != 0.2 um (0.2
um x 0.4 um)``."""

from __future__ import annotations

import math

import klayout.db as kdb

from adk.checks.base import CheckContext, Marker, violation_text
from adk.checks.drc import drc_markers
from adk.checks.polygon import breaker, ordered, scaled
from adk.lang.model import Check, Constraint
from adk.lang.signature import ANY, CheckSpec, Prop
from adk.lang.units import Dim, Quantity

SPEC = CheckSpec(
    "size",
    "rectangles of the given sides",
    ("layer",),
    (
        Prop("size", Dim.LENGTH, ANY, doc="both sides"),
        Prop("width", Dim.LENGTH, ANY, doc="the shorter side"),
        Prop("length", Dim.LENGTH, ANY, doc="the longer side"),
    ),
)

NOT_A_RECTANGLE = "size: not a rectangle"


def ambit(check: Check) -> float:
    return 0.0  # a shape's size depends on the shape alone


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    markers = []
    for polygon in candidates(ctx.region(check.layers[0]), check.constraints, ctx.dbu).each():
        marker = _marker(polygon, check.constraints, ctx)
        if marker is not None:
            markers.append(marker)
    return ordered(markers)


Sides = tuple[int | None, int | None]  # side lengths (dbu) from .. to, either end open


def candidates(region: kdb.Region, constraints: tuple[Constraint, ...], dbu: float) -> kdb.Region:
    """The shapes that may break a constraint: all but the rectangles whose sides
    KLayout's filters find within the sides allowed (a million vias, a few markers);
    the exact test of each follows."""
    allowed = _allowed_sides(constraints, dbu)
    if allowed is None:
        return region
    widths, lengths = (_filter_range(sides) for sides in allowed)
    rectangles = region.rectangles()
    width_fits = rectangles.with_bbox_min(*widths, False)
    others = region.non_rectangles() + rectangles.with_bbox_min(*widths, True)
    return others + width_fits.with_bbox_max(*lengths, True)


def _filter_range(sides: Sides) -> Sides:
    """``sides`` as KLayout's bounding box filters take them: the upper end excluded."""
    low, high = sides
    return low, None if high is None else high + 1


def _allowed_sides(constraints: tuple[Constraint, ...], dbu: float) -> tuple[Sides, Sides] | None:
    """The shorter and the longer sides passing every constraint, or None when some
    ends cannot be told (a limit between two grid steps for ``==``: no side passes) or
    do not agree with the exact test at the ends."""
    allowed: dict[str, Sides] = {"width": (None, None), "length": (None, None)}
    for constraint in constraints:
        sides = _passing(constraint, dbu)
        if sides is None or not _ends_agree(constraint, sides, dbu):
            return None
        for side in ("width", "length") if constraint.prop == "size" else (constraint.prop,):
            allowed[side] = _narrowed(allowed[side], sides)
    return allowed["width"], allowed["length"]


def _passing(constraint: Constraint, dbu: float) -> Sides | None:
    """The side lengths ``constraint`` passes."""
    limit = scaled(constraint.limit.value, dbu)
    if constraint.op == ">=":
        return math.ceil(limit), None
    if constraint.op == ">":
        return math.floor(limit) + 1, None
    if constraint.op == "<=":
        return None, math.floor(limit)
    if constraint.op == "<":
        return None, math.ceil(limit) - 1
    if constraint.op == "==" and limit == round(limit):
        return round(limit), round(limit)
    return None


def _ends_agree(constraint: Constraint, sides: Sides, dbu: float) -> bool:
    """Whether the exact test passes each end of ``sides`` and fails just beyond it."""
    broken = breaker((constraint,), dbu)
    low, high = sides
    low_agrees = low is None or (broken(low) is None and broken(low - 1) is not None)
    high_agrees = high is None or (broken(high) is None and broken(high + 1) is not None)
    return low_agrees and high_agrees


def _narrowed(first: Sides, second: Sides) -> Sides:
    """The sides both pass."""
    lows = [end for end in (first[0], second[0]) if end is not None]
    highs = [end for end in (first[1], second[1]) if end is not None]
    return (max(lows) if lows else None, min(highs) if highs else None)


def _marker(
    polygon: kdb.Polygon, constraints: tuple[Constraint, ...], ctx: CheckContext
) -> Marker | None:
    shape = polygon.to_dtype(ctx.dbu)
    if not polygon.is_box():
        return Marker(shape, None, NOT_A_RECTANGLE)
    box = polygon.bbox()
    width, length = sorted((box.width(), box.height()))
    broken = _broken_side(width, length, constraints, ctx.dbu)
    if broken is None:
        return None
    side, units, constraint = broken
    measured = round(units * ctx.dbu, 9)
    unit = ctx.length_unit
    sides = " x ".join(
        Quantity(round(v * ctx.dbu, 9), Dim.LENGTH).format(unit) for v in (width, length)
    )
    text = violation_text(side, measured, constraint, unit, f" ({sides})")
    return Marker(shape, measured, text)


def _broken_side(
    width: int, length: int, constraints: tuple[Constraint, ...], dbu: float
) -> tuple[str, int, Constraint] | None:
    """The first constraint a side breaks, in the deck's order, with the side's name and
    length (dbu); ``size`` bounds the shorter side first."""
    sides: dict[str, list[tuple[str, int]]] = {"width": [("width", width)]}
    sides["length"] = [("length", length)]
    sides["size"] = sides["width"] + sides["length"]
    for constraint in constraints:
        broken = breaker((constraint,), dbu)
        for side, units in sides[constraint.prop]:
            if broken(units) is not None:
                return side, units, constraint
    return None


def lydrc(check: Check, layers: list[str]) -> str:
    limits = ", ".join(f'["{c.prop}", "{c.op}", {c.limit.value!r}]' for c in check.constraints)
    return drc_markers(f"adk_size({layers[0]}, [{limits}])")
