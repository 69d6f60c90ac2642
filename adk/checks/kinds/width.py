"""width: minimum width of the shapes of one layer.

    rule RDL1.W "RDL1 minimum line width" : width(RDL1) >= 2 um

Shapes are merged first, so shapes that touch or overlap, also across cells,
are one shape. The distance is Euclidean, so a 45° or all-angle segment is
measured square to its edges, and two edges at a corner are measured between
their nearest points. Widths are measured to the nearest database unit, so a
45° or all-angle line drawn at the limit and snapped to the grid is at the
limit. A width exactly at the limit passes; ``> 2 um`` fails at 2 um. Edges
that meet at 90° or more are not compared with each other; edges meeting at a
sharp (acute) corner are, so the tip of a sharp corner is a width of 0 and
always violates.
Marker, with ``markers pairs``: each edge pair across the narrow part (the
parts of both edges closer than the limit), with the measured width. By default
(``markers areas``) the pairs whose areas touch or overlap are one marker: their
merged area, with the smallest width, its text and the number of pairs (a 1.5
um line with a 45° bend: ``width 1.5 um < 2 um (4 edge pairs)``); a lone pair
stays an edge pair."""

from __future__ import annotations

from adk.checks.base import CheckContext, Marker
from adk.checks.drc import drc_limits, drc_markers, drc_pairs
from adk.checks.polygon import largest_limit, ordered, pair_markers, threshold
from adk.lang.model import Check
from adk.lang.signature import MARKERS, MIN, CheckSpec, Prop
from adk.lang.units import Dim

SPEC = CheckSpec(
    "width",
    "minimum width of the shapes of a layer",
    ("layer",),
    (Prop("width", Dim.LENGTH, MIN),),
    (MARKERS,),
)


def ambit(check: Check) -> float:
    return largest_limit(check.constraint("width"))


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    constraints = check.constraint("width")
    pairs = ctx.region(check.layers[0]).width_check(threshold(constraints, ctx.dbu))
    return ordered(pair_markers(pairs, constraints, "width", ctx))


def lydrc(check: Check, layers: list[str]) -> str:
    limits = drc_limits(check, "width")
    return drc_markers(drc_pairs("width", limits, layers[0], "width"))
