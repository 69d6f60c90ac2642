"""bridge: each silicon bridge spans the right dies, overlapping each enough.

    rule BR.PL "bridge placement" : bridge(BRIDGE, dies DIE) { dies == 2  overlap >= 150 um  gap <= 100 um  space >= 500 um }

``dies`` is the number of dies a bridge overlaps; ``overlap`` the length of the
bridge inside each die, along the bridge's long axis; ``gap`` the die-to-die
gap over the bridge; ``space`` the distance to the nearest other bridge.
Marker: the bridge (or the edge pair to its neighbour), with the value."""
from __future__ import annotations

from ..units import Dim
from .spec import ANY, LAYER, LENGTH, MAX, MIN, CheckSpec, Param, Prop

SPEC = CheckSpec("bridge", "silicon bridge placement across dies", ("bridges",),
                 (Prop("dies", Dim.NUMBER, ANY),
                  Prop("overlap", Dim.LENGTH, MIN),
                  Prop("gap", Dim.LENGTH, MAX + MIN),
                  Prop("space", Dim.LENGTH, MIN)),
                 (Param("dies", LAYER, required=True, doc="the die outline layer"),),
                 polygon=False)
