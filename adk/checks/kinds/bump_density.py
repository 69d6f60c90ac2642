"""bump_density: bumps per area inside each shape of a region layer.

    rule UB.DEN "micro-bumps per mm2 in each bump field" : bump_density(UBUMP, within BUMP_FIELD) >= 400 /mm2

A bump belongs to a region when its centre (the centre of its bounding box)
lies inside it or on its boundary. The region layer is merged first; the
area of a shape with holes excludes the holes. A density exactly at the limit
passes; a region shape with no bumps has density 0.
Marker: the region shape, with its count and density."""

from __future__ import annotations

from adk.checks.base import Check, CheckContext, Marker, required_layer, violation_text
from adk.lang.signature import LAYER, MAX, MIN, CheckSpec, Param, Prop
from adk.lang.units import Dim, Quantity
from adk.layout.bumps import breaks, inside

SPEC = CheckSpec(
    "bump_density",
    "bump count per area inside each region shape",
    ("bumps",),
    (Prop("density", Dim.PER_AREA, MIN + MAX),),
    (Param("within", LAYER, required=True, doc="the region layer"),),
    polygon=False,
)

NOT_EXPORTED = "bumps counted by their centres per region area have no DRC equivalent"


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    points = ctx.bumps(check.layers[0])
    markers = []
    for polygon in ctx.region(required_layer(check, "within")).each():
        area = polygon.area() * ctx.dbu**2
        if area <= 0:
            continue
        count = len(inside(points, polygon, ctx.dbu))
        density = count / area
        constraint = breaks(check.constraints, density)
        if constraint is not None:
            noun = "bump" if count == 1 else "bumps"
            suffix = f" ({count} {noun} in {Quantity(area, Dim.AREA).format(ctx.length_unit)})"
            markers.append(
                Marker(
                    polygon.to_dtype(ctx.dbu),
                    density,
                    violation_text("density", density, constraint, ctx.length_unit, suffix),
                )
            )
    return sorted(markers, key=Marker.sort_key)
