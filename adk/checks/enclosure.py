"""enclosure: the inner layer must lie inside the outer layer with a margin.

    rule V1.ENC "RDL1 encloses VIA1" : enclosure(VIA1, RDL1) >= 1 um

An inner shape that lies partly or wholly outside the outer layer (a via
sticking out of its pad, a UBM with no pad) is a violation too.
Marker: the edge pair of the thin enclosure, or the part of the inner shape
outside the outer layer."""
from __future__ import annotations

from ..units import Dim
from .spec import LENGTH, MIN, CheckSpec, Prop

SPEC = CheckSpec("enclosure", "minimum enclosure of an inner layer by an outer layer",
                 ("inner", "outer"), (Prop("enclosure", Dim.LENGTH, MIN),))
