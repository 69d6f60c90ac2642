"""Drawing helpers for the example generators: µm in, database units out."""
from __future__ import annotations

import math

import klayout.db as kdb

DBU = 0.001  # 1 nm


def layer(layout: kdb.Layout, spec: tuple[int, int]) -> int:
    return layout.layer(*spec)


def box(x1: float, y1: float, x2: float, y2: float) -> kdb.Box:
    return kdb.DBox(x1, y1, x2, y2).to_itype(DBU)


def octagon(diameter: float, cx: float = 0.0, cy: float = 0.0) -> kdb.Polygon:
    """A regular octagon, flat sides ``diameter`` apart."""
    r = diameter / 2 / math.cos(math.pi / 8)
    points = [kdb.DPoint(cx + r * math.cos(math.pi / 8 + i * math.pi / 4),
                         cy + r * math.sin(math.pi / 8 + i * math.pi / 4)) for i in range(8)]
    return kdb.DPolygon(points).to_itype(DBU)


def path(points: list[tuple[float, float]], width: float) -> kdb.Polygon:
    """A wire with square ends flush with its end points."""
    dpath = kdb.DPath([kdb.DPoint(x, y) for x, y in points], width)
    return dpath.polygon().to_itype(DBU)


def array(cell: kdb.Cell, origin: tuple[float, float], step: tuple[float, float],
          counts: tuple[int, int], trans: kdb.Trans | None = None) -> kdb.CellInstArray:
    """A regular array of ``cell``: origin + i*(step x, 0) + j*(0, step y)."""
    rotation = trans.rot if trans is not None else 0
    displacement = kdb.DVector(*origin).to_itype(DBU)
    a = kdb.DVector(step[0], 0).to_itype(DBU)
    b = kdb.DVector(0, step[1]).to_itype(DBU)
    return kdb.CellInstArray(cell.cell_index(), kdb.Trans(rotation, False, displacement), a, b,
                             counts[0], counts[1])
