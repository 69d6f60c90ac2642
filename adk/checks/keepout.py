"""keepout: shapes of forbidden layers must stay out of a zone or away from an edge.

    rule KOZ.1 "nothing in the keep-out zone" : keepout(RDL1, UBUMP, zone KOZ)
    rule KOZ.2 "RDL1 at least 20 um from keep-out zones" : keepout(RDL1, zone KOZ) >= 20 um
    rule UB.EDGE "bumps at least 50 um from the die edge" : keepout(UBUMP, edge DIE) >= 50 um

With ``zone Z``, no forbidden shape may overlap Z, and with a constraint none
may come closer than the limit. With ``edge Z``, no forbidden shape may come
closer than the limit to the outline of Z, from either side.
Marker: the part of the forbidden shape inside the zone or band."""
from __future__ import annotations

from ..units import Dim
from .spec import LAYER, LENGTH, MIN, CheckSpec, Param, Prop

SPEC = CheckSpec("keepout", "forbidden layers inside a zone or near an edge", ("layer",),
                 (Prop("distance", Dim.LENGTH, MIN),),
                 (Param("zone", LAYER, doc="the keep-out zone"),
                  Param("edge", LAYER, doc="keep away from this layer's outline")),
                 variadic=True, constraint_required=False)
