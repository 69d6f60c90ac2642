"""density: fraction of a window covered by a layer, over a grid of windows.

    rule RDL1.DEN "RDL1 metal density" : density(RDL1, window 1 mm, step 500 um) { density >= 20 %  density <= 80 % }

Windows of the given size are stepped over the layout extent (``step`` defaults
to the window size; the last row and column are shifted to end at the extent).
With ``within R`` each window is clipped to R and windows outside R are skipped.
Marker: the window, with its density."""
from __future__ import annotations

from ..units import Dim
from .spec import LAYER, LENGTH, MAX, MIN, CheckSpec, Param, Prop

SPEC = CheckSpec("density", "area fraction of a layer in sliding windows", ("layer",),
                 (Prop("density", Dim.RATIO, MIN + MAX, positive=False),),
                 (Param("window", LENGTH, required=True, doc="window side"),
                  Param("step", LENGTH, doc="window step; defaults to the window side"),
                  Param("within", LAYER, doc="clip windows to this layer")))
