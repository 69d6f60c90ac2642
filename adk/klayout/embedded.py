"""The application's ``pya`` as ``klayout.db`` and ``klayout.rdb`` inside KLayout.

adk imports ``klayout.db`` and ``klayout.rdb``. The Python that the KLayout 0.28
application embeds has no ``klayout`` package, and loading the standalone ``klayout``
module into the application crashes it (both carry the same C++ symbols), so inside the
application its built-in ``pya``, which holds every class of both, stands in for them.
Methods adk calls that an older application lacks are added, computed as newer ones do.
"""

from __future__ import annotations

import math
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # for annotations only: imported when this module loads, klayout.db would be the
    # standalone module, which crashes the application
    import klayout.db as kdb


def inside_application() -> bool:
    """Whether this Python runs inside the KLayout application (its ``pya`` is built in)."""
    pya = sys.modules.get("pya")
    return pya is not None and getattr(pya.__spec__, "origin", None) == "built-in"


def use_application_modules() -> None:
    """Make ``import klayout.db`` and ``import klayout.rdb`` work wherever adk runs."""
    if inside_application() and "klayout.db" not in sys.modules:
        pya = sys.modules["pya"]
        package = types.ModuleType("klayout")
        package.__path__ = []  # a package, so that ``import klayout.db`` looks in sys.modules
        vars(package).update(db=pya, rdb=pya)  # its submodules, as an import would set them
        sys.modules.update({"klayout": package, "klayout.db": pya, "klayout.rdb": pya})
        _own_packages_first()
    import klayout.db as kdb

    backfill(kdb)


def _own_packages_first() -> None:
    """KLayout appends the grain's python folder to sys.path; put it first, so that the
    dependencies installed with adk win over older ones of the system's Python."""
    folder = str(Path(__file__).resolve().parents[2])
    if folder in sys.path:
        sys.path.remove(folder)
        sys.path.insert(0, folder)


def backfill(kdb: types.ModuleType) -> None:
    """Add the methods adk uses that this ``klayout.db`` lacks (KLayout before 0.29)."""
    for cls, name, function in (
        (kdb.DEdge, "euclidian_distance", edge_distance),
        (kdb.DEdgePair, "distance", pair_distance),
        (kdb.Region, "rasterize", rasterize),
    ):
        if not hasattr(cls, name):
            setattr(cls, name, function)


def edge_distance(edge: kdb.DEdge, point: kdb.DPoint) -> float:
    """Distance from ``point`` to the segment ``edge`` (to its nearer end beyond its ends)."""
    dx, dy = edge.p2.x - edge.p1.x, edge.p2.y - edge.p1.y
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else ((point.x - edge.p1.x) * dx + (point.y - edge.p1.y) * dy) / length2
    t = min(1.0, max(0.0, t))
    return math.hypot(point.x - edge.p1.x - t * dx, point.y - edge.p1.y - t * dy)


def pair_distance(pair: kdb.DEdgePair) -> float:
    """The smallest distance between the two edges of a pair: 0 where they cross or touch."""
    a, b = pair.first, pair.second
    if a.intersect(b):  # named so in every version (newer ones also have ``intersects``)
        return 0.0
    return min(
        edge_distance(b, a.p1),
        edge_distance(b, a.p2),
        edge_distance(a, b.p1),
        edge_distance(a, b.p2),
    )


def rasterize(
    region: kdb.Region,
    origin: kdb.Point,
    distance: kdb.Vector,
    size: kdb.Vector,
    nx: int,
    ny: int,
) -> list[list[float]]:
    """The area of ``region`` in each of ``nx`` by ``ny`` pixels, rows from the bottom."""
    import klayout.db as kdb  # the application's, once use_application_modules has run

    rows = []
    for iy in range(ny):
        y = origin.y + iy * distance.y
        rows.append(
            [
                float(
                    region.area(
                        kdb.Box(
                            origin.x + ix * distance.x,
                            y,
                            origin.x + ix * distance.x + size.x,
                            y + size.y,
                        )
                    )
                )
                for ix in range(nx)
            ]
        )
    return rows
