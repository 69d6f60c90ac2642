"""bump_size: every bump has the given outline and diameter, within a tolerance.

    rule UB.SZ "micro-bump is a 25 um octagon" : bump_size(UBUMP, shape octagon, tolerance 0.5 um) == 25 um

``shape`` is ``octagon``, ``circle`` (a polygon of 16 or more vertices on a
circle) or ``any``. The diameter is the width across the bump.
Marker: the bump, with its shape and diameter."""
from __future__ import annotations

from ..units import Dim
from .spec import ANY, LENGTH, WORD, CheckSpec, Param, Prop

SPEC = CheckSpec("bump_size", "bump outline and diameter", ("bumps",),
                 (Prop("size", Dim.LENGTH, ANY),),
                 (Param("shape", WORD, choices=("octagon", "circle", "any"), doc="expected outline"),
                  Param("tolerance", LENGTH, doc="allowed deviation of the diameter; default 0")),
                 polygon=False)
