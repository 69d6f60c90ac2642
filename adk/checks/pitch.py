"""pitch: minimum centre-to-centre distance from each bump to its nearest neighbour.

    rule UB.P "micro-bump pitch" : pitch(UBUMP) >= 40 um

In a staggered array the nearest neighbour is the diagonal one, not the column
step. Marker: the edge between the two centres, with the distance; each pair once."""
from __future__ import annotations

from ..units import Dim
from .spec import LENGTH, MIN, CheckSpec, Prop

SPEC = CheckSpec("pitch", "minimum nearest-neighbour bump pitch", ("bumps",),
                 (Prop("pitch", Dim.LENGTH, MIN),), polygon=False)
