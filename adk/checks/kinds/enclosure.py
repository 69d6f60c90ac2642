"""enclosure: the inner layer must lie inside the outer layer with a margin.

    rule V1.ENC "RDL1 encloses VIA1" : enclosure(VIA1, RDL1) >= 1 um

Each layer is merged first. The enclosure is the Euclidean distance from an
edge of the inner layer to the facing edge of the outer layer around it, to
the nearest database unit; an enclosure exactly at the limit passes, an inner
edge lying on an outer edge has enclosure 0. An inner shape that lies partly
or wholly outside the outer layer (a via sticking out of its pad, a UBM with
no pad, a via in a hole of its pad) is a violation too, whatever the limit.
Markers: the edge pair of the thin enclosure (outer edge first), with the
measured enclosure; and each part of the inner layer outside the outer layer,
at enclosure 0, with a text such as ``enclosure: VIA1 outside RDL1``. An inner
shape outside the outer layer whose edge continues an outer edge in line also
gets an edge pair at 0 where the two edges meet. By default (``markers areas``)
the edge pairs whose areas touch or overlap are one marker: their merged area,
with the smallest enclosure, its text and the number of pairs (an octagonal via
0.5 um off the centre of its pad: ``enclosure 0.5 um < 1 um (9 edge pairs)``); a
lone pair stays an edge pair, and the parts outside stay as they are. With
``markers pairs``, each edge pair is a marker."""

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
    "enclosure",
    "minimum enclosure of an inner layer by an outer layer",
    ("inner", "outer"),
    (Prop("enclosure", Dim.LENGTH, MIN),),
    (MARKERS,),
)


def ambit(check: Check) -> float:
    return largest_limit(check.constraint("enclosure"))


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    constraints = check.constraint("enclosure")
    inner, outer = (ctx.region(expr) for expr in check.layers)
    with merged_mode(inner, outer):
        pairs = outer.enclosing_check(inner, threshold(constraints, ctx.dbu))
    names = [layer_label(expr, ctx.length_unit) for expr in check.layers]
    # enclosing_check does not see an inner shape crossing or outside the outer layer
    outside = piece_markers(inner - outer, f"enclosure: {names[0]} outside {names[1]}", ctx.dbu)
    return ordered(pair_markers(pairs, constraints, "enclosure", ctx) + outside)


def lydrc(check: Check, layers: list[str]) -> str:
    inner, outer = layers
    limits = drc_limits(check, "enclosure")
    outside = drc_text("enclosure: ", check.layers[0], " outside ", check.layers[1])
    return drc_markers(
        drc_pairs("enclosure", limits, outer, "enclosing", inner),
        drc_pieces(f"{inner} - {outer}", outside),
    )
