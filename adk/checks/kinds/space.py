"""space: minimum space between and within the shapes of one layer.

    rule RDL1.S "RDL1 minimum line space" : space(RDL1) >= 2 um

Shapes are merged first, so shapes that overlap or share part of an edge are one
shape and have no space between them; notches (the gap between two parts of one
shape) count. Shapes that touch only at a corner (the merged shape pinched to a
point) are at space 0 there, which breaks any limit: such a pinch is a defect,
and gives an edge pair for each pair of edges meeting at it. The distance is Euclidean: two corners facing each other diagonally are
measured corner to corner, to the nearest database unit. A space exactly at
the limit passes.
Marker, with ``markers pairs``: each edge pair across the gap (the parts of
both edges closer than the limit), with the measured space; a corner-to-corner
gap gives one pair per pair of facing edges. By default (``markers areas``) the
pairs whose areas touch or overlap are one marker: their merged area, with the
smallest space, its text and the number of pairs (two corners 1.5 um apart
diagonally: ``space 1.5 um < 2 um (2 edge pairs)``); a lone pair stays an edge
pair."""

from __future__ import annotations

from adk.checks.base import CheckContext, Marker
from adk.checks.drc import drc_limits, drc_markers, drc_pairs
from adk.checks.polygon import largest_limit, ordered, pair_markers, threshold
from adk.checks.tiled_space import space_pairs
from adk.lang.model import Check
from adk.lang.signature import MARKERS, MIN, CheckSpec, Prop
from adk.lang.units import Dim

SPEC = CheckSpec(
    "space",
    "minimum space between shapes of a layer",
    ("layer",),
    (Prop("space", Dim.LENGTH, MIN),),
    (MARKERS,),
)


def ambit(check: Check) -> float:
    return largest_limit(check.constraint("space"))


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    constraints = check.constraint("space")
    region = ctx.region(check.layers[0])
    pairs = space_pairs(region, threshold(constraints, ctx.dbu), ctx.threads)
    return ordered(pair_markers(pairs, constraints, "space", ctx, symmetric=True))


def lydrc(check: Check, layers: list[str]) -> str:
    limits = drc_limits(check, "space")
    return drc_markers(drc_pairs("space", limits, layers[0], "space"))
