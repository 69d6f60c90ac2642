"""bridge: each silicon bridge spans the right dies, overlapping each enough.

    rule BR.PL "bridge placement" : bridge(BRIDGE, dies DIE) { dies == 2  overlap >= 150 um  gap <= 100 um  space >= 500 um }
    rule BR.PL.X "bridges cross die gaps along x" : bridge(BRIDGE, dies DIE, axis x) { overlap >= 150 um  gap <= 100 um }

Both layers are merged first, so dies that touch, even only at a corner, are
one die. A bridge *lands* on a die when the two have a common area (touching
is not landing); its *part* on that die is the bounding box of that common
area. ``dies`` is the number of dies a bridge lands on; ``space`` the
Euclidean distance to the nearest other bridge. ``overlap`` and ``gap`` are
measured along the bridge's *axis*, the layout's x or y across the gap
between its dies: ``overlap`` is the length of each part along the axis;
``gap`` the distance along the axis between the parts on dies next to each
other along it (0 when the parts meet). A bridge on no die has no overlap and
a bridge on fewer than two dies no gap: neither is marked then (constrain
``dies`` to require dies). Only properties with a constraint are measured; a
value exactly at the limit passes.

The axis never comes from the bridge's own proportions: a bridge may be longer
along the die edges than across the gap. Two parts are *separated* along x
when their x spans are disjoint (one ends where or before the other starts),
and likewise along y. With ``axis auto`` (the default):

- on two or more dies, the axis is the one along which every two parts are
  separated. Along both (dies placed diagonally, near or far) the bridge is
  marked ``bridge: cannot tell the axis: the dies under it lie diagonally``;
  along neither, ``bridge: cannot tell the axis: the dies under it overlap``
  when two parts overlap in both x and y (dies interlocking under the bridge),
  else ``bridge: cannot tell the axis: the dies under it are not in a row``
  (three or more dies around a corner);
- on one die, the axis is the one along which the die's edge crosses the
  bridge: the part is shorter than the bridge along it and as long as the
  bridge along the other. A part as long as the bridge both ways (the bridge
  wholly on the die) is marked ``bridge: cannot tell the axis: its one die
  spans it in x and y``, a part shorter both ways (a die corner under the
  bridge) ``bridge: cannot tell the axis: its one die ends under it in x and
  y``.

With ``axis x`` or ``axis y`` the axis is the one given, on any number of
dies: on one die the overlap is the part's length along it, wherever the die's
edge runs; a bridge on two or more dies that are not separated along it is
marked ``bridge: the dies under it are not separated along x`` (or ``y``);
dies separated along both axes are measured along the one given. The same
layout rotated by 90° then gives other answers.

The axis is read only where it is needed: for ``overlap`` on a bridge that
lands on a die, for ``gap`` on a bridge over two or more dies. Only bridges
that are rectangles with sides along x and y are measured there; any other is
marked ``bridge: not checkable: its sides are not along x and y`` (rotated by
other than a multiple of 90°, or with slanted sides) or ``bridge: not
checkable: not a rectangle`` (an L-shape, a hole: a merged bridge that is not
one rectangle is often two bridges that touch). ``dies`` and ``space`` are
measured on bridges of any shape.

Markers: the bridge with its die count (``dies 1 != 2``); the part over a die
with the overlap (``overlap 100 um < 150 um``); the stretch of the bridge
between two parts, across its full width, with the gap (``gap 180 um > 100
um``; an edge across the bridge when the gap is 0); the edge to the nearest
bridge with the space, each pair of bridges once; and the bridge, with no
value, where the axis cannot be told, the dies are not separated along the
given axis or the bridge is not checkable: one such marker per bridge."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import klayout.db as kdb

from adk.checks.base import Check, CheckContext, Geometry, Marker, required_layer, violation_text
from adk.checks.kinds.distance import Nearest, edge_marker
from adk.lang.signature import ANY, LAYER, MAX, MIN, WORD, CheckSpec, Param, Prop
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
    (
        Param("dies", LAYER, required=True, doc="the die outline layer"),
        Param(
            "axis",
            WORD,
            choices=("auto", "x", "y"),
            doc="the direction across the die gap along which overlap and gap are measured; "
            "`auto` (default): read from the dies under each bridge",
        ),
    ),
    polygon=False,
)

NOT_EXPORTED = "die counts, and overlaps and gaps along the axis between the dies under a bridge, have no DRC equivalent"

X, Y = 0, 1
AXIS_NAMES = ("x", "y")
CANNOT_TELL = "bridge: cannot tell the axis: "


@dataclass(frozen=True)
class Landing:
    """The part of a bridge over one die: the bounding box of their common area."""

    box: kdb.Box

    def span(self, axis: int) -> tuple[int, int]:
        return _span(self.box, axis)


def _span(box: kdb.Box, axis: int) -> tuple[int, int]:
    return (box.left, box.right) if axis == X else (box.bottom, box.top)


def _length(box: kdb.Box, axis: int) -> int:
    start, end = _span(box, axis)
    return end - start


def _landings(bridge: kdb.Polygon, dies: Nearest) -> list[Landing]:
    """The parts of the bridge over each die it lands on."""
    landings = []
    for i in dies.meeting(bridge.bbox()):
        common = kdb.Region(bridge) & kdb.Region(dies.polygons[i])
        if common.area() > 0:
            landings.append(Landing(common.bbox()))
    return landings


def _along(landings: Sequence[Landing], axis: int) -> list[Landing]:
    return sorted(landings, key=lambda landing: landing.span(axis))


def _separated(landings: Sequence[Landing], axis: int) -> bool:
    """Whether every two parts have disjoint spans along ``axis`` (touching counts as
    disjoint): in order along it, each ends where or before the next starts."""
    ordered = _along(landings, axis)
    return all(a.span(axis)[1] <= b.span(axis)[0] for a, b in itertools.pairwise(ordered))


def _separating_axis(landings: Sequence[Landing]) -> int | str:
    """The one axis separating the parts on two or more dies, or why there is none."""
    axes = [axis for axis in (X, Y) if _separated(landings, axis)]
    if len(axes) == 1:
        return axes[0]
    if axes:
        return CANNOT_TELL + "the dies under it lie diagonally"
    pairs = itertools.combinations(landings, 2)
    if any(not _separated(pair, X) and not _separated(pair, Y) for pair in pairs):
        return CANNOT_TELL + "the dies under it overlap"
    return CANNOT_TELL + "the dies under it are not in a row"


def _crossing_axis(bridge: kdb.Box, part: kdb.Box) -> int | str:
    """The axis along which the edge of a bridge's one die crosses it, or why there is
    none: the part must be shorter than the bridge along exactly one axis."""
    short = [axis for axis in (X, Y) if _length(part, axis) < _length(bridge, axis)]
    if len(short) == 1:
        return short[0]
    if short:
        return CANNOT_TELL + "its one die ends under it in x and y"
    return CANNOT_TELL + "its one die spans it in x and y"


def _axis(bridge: kdb.Box, landings: Sequence[Landing], declared: str) -> int | str:
    """The axis to measure a bridge along, or the text of the marker saying why not."""
    if declared in AXIS_NAMES:
        axis = AXIS_NAMES.index(declared)
        if len(landings) >= 2 and not _separated(landings, axis):
            return f"bridge: the dies under it are not separated along {declared}"
        return axis
    if len(landings) == 1:
        return _crossing_axis(bridge, landings[0].box)
    return _separating_axis(landings)


def _shape_fault(bridge: kdb.Polygon) -> str | None:
    """Why overlap and gap cannot be measured on this bridge, or None when they can."""
    if bridge.is_box():
        return None
    if not bridge.is_rectilinear():
        return "bridge: not checkable: its sides are not along x and y"
    return "bridge: not checkable: not a rectangle"


def _gap_shape(bridge: kdb.Box, start: int, end: int, axis: int) -> kdb.Box | kdb.Edge:
    """The stretch of the bridge between two parts, across its full width; an edge
    across the bridge when the parts meet, since a box there would have no area."""
    if start == end:
        if axis == X:
            return kdb.Edge(start, bridge.bottom, start, bridge.top)
        return kdb.Edge(bridge.left, start, bridge.right, start)
    if axis == X:
        return kdb.Box(start, bridge.bottom, end, bridge.top)
    return kdb.Box(bridge.left, start, bridge.right, end)


def _check(
    prop: str, value: float, shape: Geometry, check: Check, ctx: CheckContext
) -> list[Marker]:
    """A marker when ``value`` breaks a constraint on ``prop``."""
    constraint = breaks(check.constraint(prop), value)
    if constraint is None:
        return []
    return [Marker(shape, value, violation_text(prop, value, constraint, ctx.length_unit))]


def _overlaps(
    landings: Sequence[Landing], axis: int, check: Check, ctx: CheckContext
) -> list[Marker]:
    markers = []
    for landing in landings:
        length = _length(landing.box, axis) * ctx.dbu
        markers += _check("overlap", length, landing.box.to_dtype(ctx.dbu), check, ctx)
    return markers


def _gaps(
    bridge: kdb.Box, landings: Sequence[Landing], axis: int, check: Check, ctx: CheckContext
) -> list[Marker]:
    markers = []
    for before, after in itertools.pairwise(_along(landings, axis)):
        start, end = before.span(axis)[1], after.span(axis)[0]
        shape = _gap_shape(bridge, start, end, axis).to_dtype(ctx.dbu)
        markers += _check("gap", (end - start) * ctx.dbu, shape, check, ctx)
    return markers


def _measuring_axis(bridge: kdb.Polygon, landings: Sequence[Landing], check: Check) -> int | str:
    """The axis to measure overlap and gap along, or the text of the marker saying why
    they cannot be measured."""
    fault = _shape_fault(bridge)
    if fault is not None:
        return fault
    return _axis(bridge.bbox(), landings, str(check.param("axis", "auto")))


def _axis_needed(landings: Sequence[Landing], check: Check) -> bool:
    """Whether a constrained overlap or gap has something to measure on this bridge."""
    overlap = bool(check.constraint("overlap")) and len(landings) >= 1
    gap = bool(check.constraint("gap")) and len(landings) >= 2
    return overlap or gap


def _placement(bridge: kdb.Polygon, dies: Nearest, check: Check, ctx: CheckContext) -> list[Marker]:
    """Markers for the dies, overlap and gap of one bridge."""
    landings = _landings(bridge, dies)
    markers = []
    if check.constraint("dies"):
        markers += _check("dies", len(landings), bridge.to_dtype(ctx.dbu), check, ctx)
    if not _axis_needed(landings, check):
        return markers
    axis = _measuring_axis(bridge, landings, check)
    if isinstance(axis, str):
        return markers + [Marker(bridge.to_dtype(ctx.dbu), None, axis)]
    if check.constraint("overlap"):
        markers += _overlaps(landings, axis, check, ctx)
    if check.constraint("gap"):
        markers += _gaps(bridge.bbox(), landings, axis, check, ctx)
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
