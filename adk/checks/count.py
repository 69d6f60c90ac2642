"""count: how many shapes of a layer lie inside each shape of another.

    rule CPO.LASER "one laser die per optical engine" : count(LASER, within ENGINE) == 1

A shape lies inside a region when its centre does.
Marker: the region shape, with its count."""
from __future__ import annotations

from ..units import Dim
from .spec import ANY, LAYER, CheckSpec, Param, Prop

SPEC = CheckSpec("count", "number of shapes of a layer inside each region shape", ("layer",),
                 (Prop("count", Dim.NUMBER, ANY, positive=False),),
                 (Param("within", LAYER, required=True, doc="the region layer"),),
                 polygon=False)
