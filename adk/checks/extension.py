"""extension: the first layer extends past the edges of the second by a distance.

    rule UBM.EXT "UBM extends past its passivation opening" : extension(UBM, PASSIV) >= 2 um

Measured from each edge of the second layer that lies inside the first to the
outside edge of the first. Marker: the edge pair of the short extension."""
from __future__ import annotations

from ..units import Dim
from .spec import LENGTH, MIN, CheckSpec, Prop

SPEC = CheckSpec("extension", "minimum extension of a layer past the edges of another",
                 ("a", "b"), (Prop("extension", Dim.LENGTH, MIN),))
