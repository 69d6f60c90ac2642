"""bridge: each silicon bridge spans the right dies, overlapping each enough.

    rule BR.PL "bridge placement" : bridge(BRIDGE, dies DIE) { dies == 2  overlap >= 150 um  gap <= 100 um  space >= 500 um }

Both layers are merged first. ``dies`` is the number of dies a bridge overlaps
(with a common area; touching is not overlapping); ``overlap`` the length of
the bridge inside each die, along the bridge's long axis (the longer side of
its bounding box); ``gap`` the die-to-die gap over the bridge: along the long
axis, between the parts of the bridge inside consecutive dies (measured only
for bridges over two or more dies; 0 when they touch); ``space`` the Euclidean
distance to the nearest other bridge. Only properties with a constraint are
measured; a value exactly at the limit passes.
Marker: the bridge with its die count; the part of the bridge over a die
(its bounding box) with the overlap; the gap between two dies across the
bridge with the gap; the edge to the nearest bridge with the space, each pair
of bridges once."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import klayout.db as kdb

from adk.checks.base import Check, CheckContext, Geometry, Marker, required_layer, violation_text
from adk.checks.kinds.distance import Nearest, edge_marker
from adk.lang.signature import ANY, LAYER, MAX, MIN, CheckSpec, Param, Prop
from adk.lang.units import Dim
from adk.layout.bumps import breaks

SPEC = CheckSpec(
    "bridge",
    "silicon bridge placement across dies",
    ("bridges",),
    (
        Prop("dies", Dim.NUMBER, ANY),
        Prop("overlap", Dim.LENGTH, MIN),
        Prop("gap", Dim.LENGTH, MAX + MIN),
        Prop("space", Dim.LENGTH, MIN),
    ),
    (Param("dies", LAYER, required=True, doc="the die outline layer"),),
    polygon=False,
)

NOT_EXPORTED = "die counts, overlaps and gaps along a bridge's long axis have no DRC equivalent"


@dataclass(frozen=True)
class Landing:
    """The part of a bridge over one die: its bounding box and its extent along the axis."""

    box: kdb.Box
    start: int
    end: int


def _landings(bridge: kdb.Polygon, dies: Nearest, axis: int) -> list[Landing]:
    """The parts of the bridge over each die it overlaps, ordered along ``axis``."""
    landings = []
    for i in dies.meeting(bridge.bbox()):
        common = kdb.Region(bridge) & kdb.Region(dies.polygons[i])
        if common.area() > 0:
            part = common.bbox()
            span = (part.left, part.right) if axis == 0 else (part.bottom, part.top)
            landings.append(Landing(part, *span))
    return sorted(landings, key=lambda landing: (landing.start, landing.end))


def _gap_box(bridge: kdb.Box, before: Landing, after: Landing, axis: int) -> kdb.Box:
    """The stretch of the bridge between two dies, across its full width."""
    if axis == 0:
        return kdb.Box(before.end, bridge.bottom, after.start, bridge.top)
    return kdb.Box(bridge.left, before.end, bridge.right, after.start)


def _check(
    prop: str, value: float, shape: Geometry, check: Check, ctx: CheckContext
) -> list[Marker]:
    """A marker when ``value`` breaks a constraint on ``prop``."""
    constraint = breaks(check.constraint(prop), value)
    if constraint is None:
        return []
    return [Marker(shape, value, violation_text(prop, value, constraint, ctx.length_unit))]


def _placement(bridge: kdb.Polygon, dies: Nearest, check: Check, ctx: CheckContext) -> list[Marker]:
    """Markers for the dies, overlap and gap of one bridge."""
    box = bridge.bbox()
    axis = 0 if box.width() >= box.height() else 1
    landings = _landings(bridge, dies, axis)
    markers = []
    if check.constraint("dies"):
        markers += _check("dies", len(landings), bridge.to_dtype(ctx.dbu), check, ctx)
    if check.constraint("overlap"):
        for landing in landings:
            length = (landing.end - landing.start) * ctx.dbu
            markers += _check("overlap", length, landing.box.to_dtype(ctx.dbu), check, ctx)
    if check.constraint("gap"):
        for before, after in itertools.pairwise(landings):
            gap = max(after.start - before.end, 0) * ctx.dbu
            shape = _gap_box(box, before, after, axis).to_dtype(ctx.dbu)
            markers += _check("gap", gap, shape, check, ctx)
    return markers


def _spacing(bridges: Sequence[kdb.Polygon], check: Check, ctx: CheckContext) -> list[Marker]:
    """Markers for bridges nearer than allowed to their nearest other bridge, each pair once."""
    nearest = Nearest(bridges)
    pairs: dict[tuple[int, int], tuple[float, kdb.DEdge | kdb.DPolygon]] = {}
    for number, bridge in enumerate(bridges):
        closest = nearest.find(bridge, number)
        if closest is None:
            continue
        key = (min(number, closest.partner), max(number, closest.partner))
        if key not in pairs:
            pairs[key] = (closest.distance * ctx.dbu, edge_marker(closest, bridge, ctx.dbu))
    markers = []
    for space, shape in pairs.values():
        markers += _check("space", space, shape, check, ctx)
    return markers


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    bridges = list(ctx.region(check.layers[0]).each())
    dies = Nearest(list(ctx.region(required_layer(check, "dies")).each()))
    markers = []
    if any(check.constraint(prop) for prop in ("dies", "overlap", "gap")):
        for bridge in bridges:
            markers += _placement(bridge, dies, check, ctx)
    if check.constraint("space"):
        markers += _spacing(bridges, check, ctx)
    return sorted(markers, key=Marker.sort_key)
