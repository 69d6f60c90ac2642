"""overlap: where two layers overlap, they overlap by at least a distance.

    rule BR.DIE.OVL "bridge overlaps its die" : overlap(BRIDGE, DIE) >= 100 um

Marker: the edge pair across the thin overlap."""
from __future__ import annotations

from ..units import Dim
from .spec import LENGTH, MIN, CheckSpec, Prop

SPEC = CheckSpec("overlap", "minimum overlap of two layers where they overlap",
                 ("a", "b"), (Prop("overlap", Dim.LENGTH, MIN),))
