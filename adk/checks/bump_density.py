"""bump_density: bumps per area inside each shape of a region layer.

    rule UB.DEN "micro-bumps per mm2 in each bump field" : bump_density(UBUMP, within BUMP_FIELD) >= 400 /mm2

A bump belongs to a region when its centre lies inside it.
Marker: the region shape, with its count and density."""
from __future__ import annotations

from ..units import Dim
from .spec import LAYER, MAX, MIN, CheckSpec, Param, Prop

SPEC = CheckSpec("bump_density", "bump count per area inside each region shape", ("bumps",),
                 (Prop("density", Dim.PER_AREA, MIN + MAX),),
                 (Param("within", LAYER, required=True, doc="the region layer"),),
                 polygon=False)
