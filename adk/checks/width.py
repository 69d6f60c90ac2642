"""width: minimum width of the shapes of one layer.

    rule RDL1.W "RDL1 minimum line width" : width(RDL1) >= 2 um

Shapes are merged first; the distance is Euclidean, so a 45° or all-angle
segment is measured square to its edges. A width exactly at the limit passes.
Marker: the edge pair across the narrow part, with the measured width."""
from __future__ import annotations

from ..units import Dim
from .spec import LENGTH, MIN, CheckSpec, Prop

SPEC = CheckSpec("width", "minimum width of the shapes of a layer", ("layer",),
                 (Prop("width", Dim.LENGTH, MIN),))
