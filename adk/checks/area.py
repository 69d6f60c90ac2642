"""area: minimum and/or maximum area of each merged shape.

    rule PAD.A "pad area" : area(PAD) { area >= 100 um2  area <= 1 mm2 }

Marker: the shape, with its area."""
from __future__ import annotations

from ..units import Dim
from .spec import MAX, MIN, CheckSpec, Prop

SPEC = CheckSpec("area", "area of each shape of a layer", ("layer",),
                 (Prop("area", Dim.AREA, MIN + MAX),))
