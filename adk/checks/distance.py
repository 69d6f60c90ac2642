"""distance: distance from each shape of one layer to the nearest shape of another.

    rule CPO.EIC.PIC "EIC at most 2 mm from its PIC" : distance(EIC, PIC) <= 2 mm
    rule FOSIP.PAS "passives at least 200 um from dies" : distance(PASSIVE, DIE) >= 200 um

Overlapping shapes are at distance 0. Marker: the shape of the first layer with
the edge to its nearest partner, and the distance."""
from __future__ import annotations

from ..units import Dim
from .spec import LENGTH, MAX, MIN, CheckSpec, Prop

SPEC = CheckSpec("distance", "nearest distance between shapes of two layers", ("a", "b"),
                 (Prop("distance", Dim.LENGTH, MIN + MAX, positive=False),), polygon=False)
