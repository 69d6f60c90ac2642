"""separation: minimum distance between the shapes of two layers.

    rule TMV.RDL.SEP "TMV to RDL1 separation" : separation(TMV, RDL1) >= 20 um

Overlapping or touching shapes are at distance 0 and always violate.
Marker: the edge pair across the gap, or the overlap polygon (distance 0)."""
from __future__ import annotations

from ..units import Dim
from .spec import LENGTH, MIN, CheckSpec, Prop

SPEC = CheckSpec("separation", "minimum distance between shapes of two layers",
                 ("a", "b"), (Prop("separation", Dim.LENGTH, MIN),))
