"""separation: minimum distance between the shapes of two layers.

    rule TMV.RDL.SEP "TMV to RDL1 separation" : separation(TMV, RDL1) >= 20 um

Each layer is merged first. The distance is Euclidean, from an edge of the
first layer to a facing edge of the second, to the nearest database unit; a
distance exactly at the limit passes. Overlapping or touching shapes are at
distance 0 and always violate.
Markers: the edge pair across the gap, with the measured distance (each edge
marked as far as it lies within the limit of the other); for shapes that touch
along an edge or at a corner, such an edge pair at distance 0; for shapes that
overlap, the overlap polygon, at distance 0, with a text such as
``separation: TMV overlaps RDL1``. By default (``markers areas``) the edge pairs
whose areas touch or overlap are one marker: their merged area, with the
smallest distance, its text and the number of pairs (a round via 15 um from a
line: ``separation 15 um < 20 um (12 edge pairs)``); a lone pair stays an edge
pair, and the overlap polygons stay as they are. With ``markers pairs``, each
edge pair is a marker."""

from __future__ import annotations

from adk.checks.base import CheckContext, Marker
from adk.checks.drc import drc_limits, drc_markers, drc_pairs, drc_pieces, drc_text
from adk.checks.polygon import (
    largest_limit,
    merged_mode,
    ordered,
    pair_markers,
    piece_markers,
    threshold,
)
from adk.lang.model import Check, layer_label
from adk.lang.signature import MARKERS, MIN, CheckSpec, Prop
from adk.lang.units import Dim

SPEC = CheckSpec(
    "separation",
    "minimum distance between shapes of two layers",
    ("a", "b"),
    (Prop("separation", Dim.LENGTH, MIN),),
    (MARKERS,),
)


def ambit(check: Check) -> float:
    return largest_limit(check.constraint("separation"))


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    constraints = check.constraint("separation")
    a, b = (ctx.region(expr) for expr in check.layers)
    with merged_mode(a, b):
        pairs = a.separation_check(b, threshold(constraints, ctx.dbu))
    names = [layer_label(expr, ctx.length_unit) for expr in check.layers]
    overlaps = piece_markers(a & b, f"separation: {names[0]} overlaps {names[1]}", ctx.dbu)
    return ordered(pair_markers(pairs, constraints, "separation", ctx) + overlaps)


def lydrc(check: Check, layers: list[str]) -> str:
    a, b = layers
    limits = drc_limits(check, "separation")
    overlaps = drc_text("separation: ", check.layers[0], " overlaps ", check.layers[1])
    return drc_markers(
        drc_pairs("separation", limits, a, "separation", b), drc_pieces(f"{a} & {b}", overlaps)
    )
