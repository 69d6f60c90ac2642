"""count: how many shapes of a layer lie inside each shape of another.

    rule CPO.LASER "one laser die per optical engine" : count(LASER, within ENGINE) == 1

Both layers are merged first, so a shape is a connected piece: a fiducial
cross drawn as two boxes counts once. A shape lies inside a region when its
centre (the centre of its bounding box) does, or lies on the region's boundary.
Marker: the region shape, with its count."""

from __future__ import annotations

from adk.checks.base import Check, CheckContext, Marker, required_layer, violation_text
from adk.lang.signature import ANY, LAYER, CheckSpec, Param, Prop
from adk.lang.units import Dim
from adk.layout.bumps import breaks, inside, region_centres

SPEC = CheckSpec(
    "count",
    "number of shapes of a layer inside each region shape",
    ("layer",),
    (Prop("count", Dim.NUMBER, ANY, positive=False),),
    (Param("within", LAYER, required=True, doc="the region layer"),),
    polygon=False,
)

NOT_EXPORTED = "shapes counted by their centres inside each region have no DRC equivalent"


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    points = region_centres(ctx.region(check.layers[0]), ctx.dbu)
    markers = []
    for polygon in ctx.region(required_layer(check, "within")).each():
        count = len(inside(points, polygon, ctx.dbu))
        constraint = breaks(check.constraints, count)
        if constraint is not None:
            markers.append(
                Marker(
                    polygon.to_dtype(ctx.dbu),
                    float(count),
                    violation_text("count", count, constraint, ctx.length_unit),
                )
            )
    return sorted(markers, key=Marker.sort_key)
