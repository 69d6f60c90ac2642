"""align: every top bump lands on a bottom pad within a tolerance.

    rule UB.ALIGN "top die bumps on interposer pads" : align(TOP_BUMP, BOT_PAD) <= 1 um

Centres are matched to the nearest centre on the other layer. A top bump with
no bottom pad within the tolerance and a bottom pad with no top bump within it
are both markers. Marker: the bump, with the offset to its nearest partner."""
from __future__ import annotations

from ..units import Dim
from .spec import LENGTH, MAX, CheckSpec, Prop

SPEC = CheckSpec("align", "top bumps land on bottom pads", ("top", "bottom"),
                 (Prop("offset", Dim.LENGTH, MAX, positive=False),), polygon=False)
