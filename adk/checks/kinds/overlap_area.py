"""overlap_area: the area of each shape of one layer that another layer covers: an overlap required, bounded or forbidden.

    rule BR.ON.DIE "each bridge under a die by at least 0.2 mm2" : overlap_area(BRIDGE, DIE) >= 0.2 mm2
    rule DIE.APART "the ASIC and the HBM stack do not overlap" : overlap_area(ASIC_DIE, HBM_DIE) == 0
    rule DIE.ON.IP "every die overlaps the interposer" : overlap_area(DIE, INTERPOSER) > 0

Both layers are merged first. For each shape of the first layer (A) the overlap
area is the area of its common part with the second layer (B), holes excluded;
shapes that only touch, along an edge or at a corner, overlap by 0. A value
exactly at a limit passes. So ``> 0`` requires every shape of A to overlap B,
``== 0`` forbids any overlap, and a minimum or a maximum bounds it. Unlike
``overlap``, which measures how far one layer reaches into the other and
ignores shapes that do not touch, this measures the area, and a shape of A
clear of B has an overlap area of 0.
Markers: a shape of A whose overlap is too large, each piece of its common part
with B, with the shape's overlap area (``overlap area 12 um2 != 0 um2``); a shape
of A whose overlap is too small (below a minimum, or 0 where ``> 0`` asks for
one), the shape, with its overlap area (``overlap area 0 um2 <= 0 um2``)."""

from __future__ import annotations

from collections.abc import Sequence

import klayout.db as kdb

from adk.checks.base import CheckContext, Marker, violation_text
from adk.checks.polygon import breaker, ordered
from adk.lang.model import Check, Constraint
from adk.lang.signature import ANY, CheckSpec, Prop
from adk.lang.units import Dim

SPEC = CheckSpec(
    "overlap_area",
    "area of each shape of one layer covered by another",
    ("a", "b"),
    (Prop("area", Dim.AREA, ANY, positive=False),),
)

NOT_EXPORTED = "the area each shape shares with another layer, shape by shape, has no DRC operation"


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    shapes = list(ctx.region(check.layers[0]).each())
    unit_area = ctx.dbu * ctx.dbu
    broken = breaker(check.constraints, unit_area)
    pieces = _common_parts(shapes, ctx.region(check.layers[1]))
    markers = []
    for index, polygon in enumerate(shapes):
        own = pieces.get(index, [])
        area = sum(piece.area2() for piece in own) / 2  # area() rounds half units down
        constraint = broken(area)
        if constraint is None:
            continue
        text = violation_text("overlap area", area * unit_area, constraint, ctx.length_unit)
        too_large = _too_large(constraint, area * unit_area)
        shown = own if too_large and own else [polygon]
        markers += [Marker(p.to_dtype(ctx.dbu), area * unit_area, text) for p in shown]
    return ordered(markers)


def _common_parts(shapes: Sequence[kdb.Polygon], other: kdb.Region) -> dict[int, list[kdb.Polygon]]:
    """The pieces each of ``shapes`` has in common with ``other``, by the shape's index:
    one boolean for all of them, each shape tagged with its index as a property."""
    tagged = kdb.Region()
    for index, polygon in enumerate(shapes):
        tagged.insert(kdb.PolygonWithProperties(polygon, {0: index}))
    common = tagged.and_(other, kdb.PropertyConstraint.NoPropertyConstraint)
    found: dict[int, list[kdb.Polygon]] = {}
    for piece in common.each():
        found.setdefault(int(piece.properties()[0]), []).append(piece)
    return found


def _too_large(constraint: Constraint, area: float) -> bool:
    """Whether ``area`` breaks ``constraint`` by being above it (else below)."""
    return constraint.op in ("<=", "<") or (constraint.op == "==" and area > constraint.limit.value)
