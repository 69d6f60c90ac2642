"""width: minimum and maximum width of the shapes of one layer.

    rule RDL1.W "RDL1 minimum line width" : width(RDL1) >= 2 um
    rule PLANE.WMAX "plane strips at most 10 um wide" : width(PLANE) <= 10 um
    rule RDL2.W "RDL2 lines from 2 to 10 um wide" : width(RDL2) { width >= 2 um  width <= 10 um }

Shapes are merged first, so shapes that touch or overlap, also across cells,
are one shape.

A minimum (``>=``, ``>``): the distance is Euclidean, so a 45° or all-angle
segment is measured square to its edges, and two edges at a corner are
measured between their nearest points. Widths are measured to the nearest
database unit, so a 45° or all-angle line drawn at the limit and snapped to the
grid is at the limit. A width exactly at the limit passes; ``> 2 um`` fails at
2 um. Edges that meet at 90° or more are not compared with each other; edges
meeting at a sharp (acute) corner are, so the tip of a sharp corner is a width
of 0 and always violates.
Marker, with ``markers pairs``: each edge pair across the narrow part (the
parts of both edges closer than the limit), with the measured width. By default
(``markers areas``) the pairs whose areas touch or overlap are one marker: their
merged area, with the smallest width, its text and the number of pairs (a 1.5
um line with a 45° bend: ``width 1.5 um < 2 um (4 edge pairs)``); a lone pair
stays an edge pair.

A maximum (``<=``, ``<``): a shape is too wide where it keeps an area when
shrunk by half the limit, each edge moved inward square to itself as KLayout's
sizing moves it: KLayout's own idiom for a maximum width,
``layer.sized(-max / 2)``. So a straight part is measured square to its edges,
as for a minimum, and a square or a rectangle fails when its shorter side is
over the limit. Where edges meet at 90° or more the corner is no wider than the
arms meeting there: an L, a T, a cross or a bent line whose arms are each
within the limit passes, though a circle through its corners would be wider.
An arm over the limit fails along its length and into the corners it meets.
Widths are measured to the nearest database unit: a width at most half a unit
over the limit passes, so ``<= 10 um`` fails at 10.001 um on a 1 nm grid and
``< 10 um`` at 10 um; where 45° and all-angle edges are snapped to the grid
the answer at the limit may be a unit off either way.
Marker: each part of a shape over the limit (the shape shrunk and grown back
by half the limit: the places where it is too wide), with its width, the
largest in the part (the least whole number of database units W for which the
part shrunk by W / 2 keeps nothing): ``width 12 um > 10 um``. A 20 x 30 um pad
on a 5 um line under ``<= 10 um`` is one marker, the pad, at 20 um."""

from __future__ import annotations

import math

import klayout.db as kdb

from adk.checks.base import CheckContext, Marker, violation_text
from adk.checks.drc import drc_limits, drc_markers, drc_pairs
from adk.checks.polygon import breaker, largest_limit, ordered, pair_markers, scaled, threshold
from adk.errors import AdkError
from adk.lang.model import Check, Constraint
from adk.lang.signature import MARKERS, MAX, MIN, CheckSpec, Prop
from adk.lang.units import Dim
from adk.layout.merging import is_manhattan

SPEC = CheckSpec(
    "width",
    "minimum and maximum width of the shapes of a layer",
    ("layer",),
    (Prop("width", Dim.LENGTH, MIN + MAX),),
    (MARKERS,),
)

# A maximum is tested in quarter database units: half the largest width allowed plus a
# quarter unit is then a whole number, so that widths are compared to the nearest unit
_QUARTERS = 4
_LARGEST_COORDINATE = (2**31 - 1) // _QUARTERS  # KLayout's coordinates are 32-bit
_SIZING_MARGIN = 1  # dbu: how far KLayout's sizing may round a point out of place


def ambit(check: Check) -> float:
    return largest_limit(check.constraint("width"))


def _limits(check: Check, ops: tuple[str, ...]) -> tuple[Constraint, ...]:
    return tuple(c for c in check.constraint("width") if c.op in ops)


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    region = ctx.region(check.layers[0])
    markers = []
    minimum = _limits(check, MIN)
    if minimum:
        pairs = region.width_check(threshold(minimum, ctx.dbu))
        markers += pair_markers(pairs, minimum, "width", ctx, symmetric=True)
    maximum = _limits(check, MAX)
    if maximum:
        markers += _too_wide(region, maximum, ctx)
    return ordered(markers)


def largest_allowed(constraints: tuple[Constraint, ...], dbu: float) -> int:
    """The largest width the maximum ``constraints`` allow, in whole database units."""

    def units(constraint: Constraint) -> int:
        limit = scaled(constraint.limit.value, dbu)
        return math.floor(limit) if constraint.op == "<=" else math.ceil(limit) - 1

    return min(units(c) for c in constraints)


def _too_wide(
    region: kdb.Region, constraints: tuple[Constraint, ...], ctx: CheckContext
) -> list[Marker]:
    """The parts of the shapes wider than the maximum, each with its width."""
    allowed = largest_allowed(constraints, ctx.dbu)
    quarters = _in_quarters(region)
    shrink = 2 * allowed + 1  # half the width allowed and a quarter unit
    core = _in_quarters(wide_enough(region, allowed)).sized(-shrink)
    if core.is_empty():
        return []
    grown = core.sized(shrink)
    parts = (grown & cut_by(grown, quarters)).merged()
    broken = breaker(constraints, ctx.dbu)
    markers = []
    for part in parts.each():
        width = _width(part, allowed)
        constraint = None if width is None else broken(width)
        if width is None or constraint is None:
            continue  # a crumb of rounding, within the limit
        measured = round(width * ctx.dbu, 9)
        text = violation_text("width", measured, constraint, ctx.length_unit)
        shape = part.transformed(kdb.ICplxTrans(1 / _QUARTERS)).to_dtype(ctx.dbu)
        markers.append(Marker(shape, measured, text))
    return markers


def wide_enough(region: kdb.Region, allowed: int) -> kdb.Region:
    """The shapes that may keep an area shrunk by half the width ``allowed`` (dbu): those
    whose bounding box is at least that wide both ways, less a margin for the rounding of
    sizing. Each shape is shrunk on its own, and a shape whose bounding box is narrower
    one way keeps nothing: each of its points lies closer than that to its outline, above
    or below (or beside) it."""
    return region.with_bbox_min(allowed - _SIZING_MARGIN, None, False)


def cut_by(grown: kdb.Region, quarters: kdb.Region) -> kdb.Region:
    """The shapes of ``quarters`` to cut ``grown`` by: on a Manhattan layer those it
    touches or overlaps (the others put no vertex on the cut's outline); every shape
    otherwise."""
    if is_manhattan(quarters):
        return quarters.interacting(grown)
    return quarters


def _in_quarters(region: kdb.Region) -> kdb.Region:
    box = region.bbox()
    extent = max(abs(box.left), abs(box.bottom), abs(box.right), abs(box.top))
    if not box.empty() and extent > _LARGEST_COORDINATE:
        raise AdkError(
            f"width: a maximum width is measured in quarter database units, and the layout "
            f"reaches {extent} units from the origin, more than {_LARGEST_COORDINATE}"
        )
    return region.transformed(kdb.ICplxTrans(float(_QUARTERS)))


def _width(part: kdb.Polygon, allowed: int) -> int | None:
    """The width of a part (in quarter units) in whole database units: the least W for
    which the part shrunk by W / 2 and a quarter unit keeps nothing. None when it is
    no wider than ``allowed``."""
    piece = kdb.Region(part)

    def kept(width: int) -> bool:
        return not piece.sized(-(2 * width + 1)).is_empty()

    if not kept(allowed):
        return None
    box = part.bbox()
    low, high = allowed, math.ceil(min(box.width(), box.height()) / _QUARTERS) + 1
    while high - low > 1:  # kept at low, nothing kept at high
        middle = (low + high) // 2
        low, high = (middle, high) if kept(middle) else (low, middle)
    return high


def lydrc(check: Check, layers: list[str]) -> str:
    found = []
    if _limits(check, MIN):
        limits = drc_limits(check, "width", MIN)
        found.append(drc_pairs("width", limits, layers[0], "width"))
    if _limits(check, MAX):
        found.append(f"adk_too_wide({layers[0]}, {drc_limits(check, 'width', MAX)})")
    return drc_markers(*found)
