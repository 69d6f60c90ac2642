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

import klayout.db as kdb

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
from adk.lang.model import Check, Select, layer_label
from adk.lang.signature import MARKERS, MIN, CheckSpec, Prop
from adk.lang.units import Dim
from adk.layout.merging import is_manhattan

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
    manhattan = is_manhattan(inner) and is_manhattan(outer)
    # The outer layer, merged already, in KLayout's merged mode takes the check twice as
    # long; on Manhattan layers the check finds the same pairs without it (the
    # differential tests), not where an all-angle spike a unit wide meets an inner edge
    with merged_mode(*((inner,) if manhattan else (inner, outer))):
        pairs = outer.enclosing_check(inner, threshold(constraints, ctx.dbu))
    names = [layer_label(expr, ctx.length_unit) for expr in check.layers]
    # enclosing_check does not see an inner shape crossing or outside the outer layer
    text = f"enclosure: {names[0]} outside {names[1]}"
    outside = piece_markers(_outside(check, inner, outer, manhattan, ctx), text, ctx.dbu)
    return ordered(pair_markers(pairs, constraints, "enclosure", ctx) + outside)


def _outside(
    check: Check, inner: kdb.Region, outer: kdb.Region, manhattan: bool, ctx: CheckContext
) -> kdb.Region:
    """The parts of ``inner`` outside ``outer``. Only the inner shapes not inside the outer
    layer have such parts, and only the outer shapes touching those cut them: where a
    rule has selected those inner shapes already (``none(VIA1 not_inside RDL1)`` beside
    the enclosure), the few are cut by the outer shapes they touch, not the whole layer
    by the whole layer. Only where both layers are ``manhattan``: the shapes left out
    then put no vertex on the outlines of the parts (KLayout may bend an all-angle edge
    by a unit where a vertex of another shape comes near it)."""
    crossing = ctx.evaluated(Select("not_inside", *check.layers))
    if crossing is not None and manhattan:
        return crossing - outer.interacting(crossing)
    return inner - outer


def lydrc(check: Check, layers: list[str]) -> str:
    inner, outer = layers
    limits = drc_limits(check, "enclosure")
    outside = drc_text("enclosure: ", check.layers[0], " outside ", check.layers[1])
    return drc_markers(
        drc_pairs("enclosure", limits, outer, "enclosing", inner),
        drc_pieces(f"{inner} - {outer}", outside),
    )
