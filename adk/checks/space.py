"""space: minimum space between and within the shapes of one layer.

    rule RDL1.S "RDL1 minimum line space" : space(RDL1) >= 2 um

Shapes are merged first, so touching shapes are one shape; notches count.
Marker: the edge pair across the gap, with the measured space."""
from __future__ import annotations

from ..units import Dim
from .spec import LENGTH, MIN, CheckSpec, Prop

SPEC = CheckSpec("space", "minimum space between shapes of a layer", ("layer",),
                 (Prop("space", Dim.LENGTH, MIN),))
