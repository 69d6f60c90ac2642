"""overlap: where two layers overlap, they overlap by at least a distance.

    rule BR.DIE.OVL "bridge overlaps its die" : overlap(BRIDGE, DIE) >= 100 um

Each layer is merged first. The overlap is how far one layer reaches into the
other: the Euclidean distance from an edge of one layer lying inside the other
to the facing edge of the other (for a bridge on a die, from the die edge
under the bridge to the bridge edge over the die), to the nearest database
unit. An overlap exactly at the limit passes. Shapes that only touch overlap
by 0 and violate; shapes that do not touch are not checked. A shape lying
wholly inside the other has no facing edges and is not an overlap violation
(check its width instead), and neither is a thin strip crossing the other
shape, which reaches through it.
Marker, with ``markers pairs``: each edge pair across the thin overlap (first
layer's edge first), with the measured overlap. By default (``markers areas``)
the pairs whose areas touch or overlap are one marker: their merged area, with
the smallest overlap, its text and the number of pairs (two boxes overlapping
at a corner by 2 um: ``overlap 2 um < 3 um (2 edge pairs)``); a lone pair stays
an edge pair."""

from __future__ import annotations

from adk.checks.base import CheckContext, Marker
from adk.checks.drc import drc_limits, drc_markers, drc_pairs
from adk.checks.polygon import largest_limit, merged_mode, ordered, pair_markers, threshold
from adk.lang.model import Check
from adk.lang.signature import MARKERS, MIN, CheckSpec, Prop
from adk.lang.units import Dim

SPEC = CheckSpec(
    "overlap",
    "minimum overlap of two layers where they overlap",
    ("a", "b"),
    (Prop("overlap", Dim.LENGTH, MIN),),
    (MARKERS,),
)


def ambit(check: Check) -> float:
    return largest_limit(check.constraint("overlap"))


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    constraints = check.constraint("overlap")
    a, b = (ctx.region(expr) for expr in check.layers)
    with merged_mode(a, b):
        pairs = a.overlap_check(b, threshold(constraints, ctx.dbu))
    return ordered(pair_markers(pairs, constraints, "overlap", ctx))


def lydrc(check: Check, layers: list[str]) -> str:
    a, b = layers
    limits = drc_limits(check, "overlap")
    return drc_markers(drc_pairs("overlap", limits, a, "overlap", b))
