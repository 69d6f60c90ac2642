"""keepout: shapes of forbidden layers must stay out of a zone or away from an edge.

    rule KOZ.1 "nothing in the keep-out zone" : keepout(RDL1, UBUMP, zone KOZ)
    rule KOZ.2 "RDL1 at least 20 um from keep-out zones" : keepout(RDL1, zone KOZ) >= 20 um
    rule UB.EDGE "bumps at least 50 um from the die edge" : keepout(UBUMP, edge DIE) >= 50 um

Exactly one of ``zone Z`` and ``edge Z`` is given. The forbidden layers are
merged together first; each marker names the forbidden layers its shape comes
from. Distances are Euclidean, to the nearest database unit; a distance
exactly at the limit passes.

With ``zone Z``, no forbidden shape may overlap Z (shapes that only touch Z do
not overlap it). With a constraint, none may come closer to Z than the limit
either; touching Z is distance 0.
Markers: each part of a forbidden shape inside Z (``keepout: RDL1 inside
KOZ``, distance 0), and the edge pair from a forbidden shape to Z across a
gap narrower than the limit (``distance 12 um < 20 um (RDL1 to KOZ)``).

With ``edge Z``, no forbidden shape may cross the outline of Z, and with a
constraint none may come closer than the limit to the outline, from inside or
outside Z; touching the outline is distance 0.
Markers: the part of Z's outline that runs through a forbidden shape
(``keepout: UBUMP crosses the edge of DIE``, distance 0), and the edge pair
from a forbidden shape to the outline, inside or outside Z, across a gap
narrower than the limit (``distance 30 um < 50 um (UBUMP to the edge of DIE)``).

By default (``markers areas``) the edge pairs whose areas touch or overlap are
one marker: their merged area, with the smallest distance, its text and the
number of pairs (a round bump of 32 vertices 30 um from the edge: ``distance 30
um < 50 um (UBUMP to the edge of DIE) (16 edge pairs)``); a lone pair stays an
edge pair, and the parts inside a zone and the crossings of an edge stay as they
are. With ``markers pairs``, each edge pair is a marker."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping

import klayout.db as kdb

from adk.checks.base import CheckContext, Marker, layer_param
from adk.checks.drc import (
    drc_check,
    drc_layer,
    drc_limits,
    drc_markers,
    drc_named,
    drc_named_pairs,
    drc_text,
)
from adk.checks.polygon import largest_limit, ordered, pair_markers, threshold
from adk.lang.model import Check, Constraint, LayerExpr, ParamValue, layer_label
from adk.lang.signature import LAYER, MARKERS, MIN, CheckSpec, Param, Prop
from adk.lang.units import Dim


def _validate(params: Mapping[str, ParamValue], constraints: tuple[Constraint, ...]) -> str | None:
    if ("zone" in params) == ("edge" in params):
        return "keepout needs exactly one of 'zone LAYER' or 'edge LAYER'"
    if "edge" in params and not constraints:
        return "keepout from an edge needs a distance such as '>= 50 um'"
    return None


SPEC = CheckSpec(
    "keepout",
    "forbidden layers inside a zone or near an edge",
    ("layer",),
    (Prop("distance", Dim.LENGTH, MIN),),
    (
        Param("zone", LAYER, doc="the keep-out zone"),
        Param("edge", LAYER, doc="keep away from this layer's outline"),
        MARKERS,
    ),
    variadic=True,
    constraint_required=False,
    validate=_validate,
)

Item = kdb.Polygon | kdb.Edge


def ambit(check: Check) -> float:
    return largest_limit(check.constraint("distance"))


def _target(check: Check) -> tuple[str, LayerExpr]:
    """Which of ``zone`` and ``edge`` the check gives, and its layer."""
    zone, edge = layer_param(check, "zone"), layer_param(check, "edge")
    if zone is not None and edge is None:
        return "zone", zone
    if edge is not None and zone is None:
        return "edge", edge
    raise ValueError("keepout needs exactly one of 'zone' and 'edge'")


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    mode, zone_or_edge = _target(check)
    # only the forbidden shapes near the zone or edge matter: a few keep-out zones
    # among a million bumps read a few hundred of them
    target = ctx.region(zone_or_edge)
    reach = threshold(check.constraint("distance"), ctx.dbu) if check.constraint("distance") else 0
    layers = {
        layer_label(expr, ctx.length_unit): ctx.region_near(expr, target, reach)
        for expr in check.layers
    }
    forbidden = kdb.Region()
    for region in layers.values():
        forbidden += region
    forbidden.merge()
    if mode == "zone":
        return ordered(_zone(check, ctx, layers, forbidden, zone_or_edge))
    return ordered(_edge(check, ctx, layers, forbidden, zone_or_edge))


def _zone(
    check: Check,
    ctx: CheckContext,
    layers: dict[str, kdb.Region],
    forbidden: kdb.Region,
    expr: LayerExpr,
) -> list[Marker]:
    zone, zone_name = ctx.region(expr), layer_label(expr, ctx.length_unit)
    inside = forbidden & zone
    names = _namer(inside, layers)
    markers = [
        Marker(polygon.to_dtype(ctx.dbu), 0.0, f"keepout: {names(polygon)} inside {zone_name}")
        for polygon in inside.each()
    ]
    constraints = check.constraint("distance")
    if constraints:
        pairs = forbidden.separation_check(zone, threshold(constraints, ctx.dbu))
        markers += _pair_markers(pairs, constraints, ctx, layers, f"to {zone_name}")
    return markers


def _edge(
    check: Check,
    ctx: CheckContext,
    layers: dict[str, kdb.Region],
    forbidden: kdb.Region,
    expr: LayerExpr,
) -> list[Marker]:
    outline, outline_name = ctx.region(expr), layer_label(expr, ctx.length_unit)
    crossings = outline.edges().inside_part(forbidden)
    names = _namer(crossings, layers)
    markers = [
        Marker(
            edge.to_dtype(ctx.dbu),
            0.0,
            f"keepout: {names(edge)} crosses the edge of {outline_name}",
        )
        for edge in crossings.each()
    ]
    constraints = check.constraint("distance")
    if constraints:
        limit = threshold(constraints, ctx.dbu)
        pairs = forbidden.separation_check(outline, limit)  # shapes outside Z
        pairs += forbidden.enclosed_check(outline, limit)  # shapes inside Z
        markers += _pair_markers(pairs, constraints, ctx, layers, f"to the edge of {outline_name}")
    return markers


def _pair_markers(
    pairs: kdb.EdgePairs,
    constraints: tuple[Constraint, ...],
    ctx: CheckContext,
    layers: dict[str, kdb.Region],
    target: str,
) -> list[Marker]:
    """Markers for pairs whose first edge is a forbidden shape's, named after its layers."""
    names = _namer(pairs.first_edges(), layers)
    return pair_markers(
        pairs, constraints, "distance", ctx, lambda pair: f" ({names(pair.first)} {target})"
    )


def _namer(items: kdb.Region | kdb.Edges, layers: dict[str, kdb.Region]) -> Callable[[Item], str]:
    """Names the forbidden layers that each polygon or edge of ``items`` lies on.

    An item lying on several abutting layers but on none of them alone gets all names."""
    items.merged_semantics = False  # keep the items as they are, to look them up
    found: dict[Item, list[str]] = defaultdict(list)
    for name, region in layers.items():
        on = items.overlapping(region) if isinstance(items, kdb.Region) else items.inside(region)
        for item in on.each():
            found[item].append(name)
    return lambda item: ", ".join(found.get(item) or layers)


def lydrc(check: Check, layers: list[str]) -> str:
    forbidden = layers[0] if len(layers) == 1 else "(" + " | ".join(layers) + ")"
    mode, zone_or_edge = _target(check)
    target, limits = drc_layer(zone_or_edge), drc_limits(check, "distance")
    if mode == "zone":
        parts, where, to = f"{forbidden} & {target}", " inside ", " to "
        near = [drc_check(forbidden, "separation", limits, target)]
    else:
        parts, where = f"{target}.edges.inside_part({forbidden})", " crosses the edge of "
        to = " to the edge of "
        # shapes outside and inside the outline, as in _edge
        near = [drc_check(forbidden, op, limits, target) for op in ("separation", "enclosed")]
    inside = drc_named(parts, check.layers, drc_text("keepout: "), drc_text(where, zone_or_edge))
    to_target = drc_text(to, zone_or_edge)
    pairs = [drc_named_pairs("distance", limits, found, check.layers, to_target) for found in near]
    return drc_markers(inside, *(pairs if check.constraints else []))
