"""Drawing helpers for the example generators: µm in, database units out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import klayout.db as kdb

DBU = 0.001  # 1 nm
CROSS = (100.0, 20.0)  # a fiducial cross: length and width of each bar, µm


def new_layout(
    layers: dict[str, tuple[int, int]], top: str
) -> tuple[kdb.Layout, dict[str, int], kdb.Cell]:
    """A layout in 1 nm units with its named layers and its top cell, as every generator starts:
    the layers are made in the order given, which fixes their order in the written file."""
    layout = kdb.Layout()
    layout.dbu = DBU
    indices = {name: layout.layer(*spec) for name, spec in layers.items()}
    return layout, indices, layout.create_cell(top)


def package_marks(
    top: kdb.Cell,
    layers: dict[str, int],
    size: tuple[float, float],
    fiducials: Sequence[tuple[float, float]],
    keep_out: float | None = None,
    crosses: Sequence[tuple[float, float]] | None = None,
) -> None:
    """The marks every example package carries, shared so that the decks' outline, fiducial
    and keep-out rules see them drawn alike: the package outline from the origin on PKG, a
    cross on FIDUCIAL at each fiducial and, with ``keep_out``, a square of that side around
    each on KOZ. A dirty variant passes the ``crosses`` it draws instead (some missing or
    moved); the keep-outs stay where the fiducials belong."""
    top.shapes(layers["PKG"]).insert(box(0, 0, *size))
    arm, half_width = CROSS[0] / 2, CROSS[1] / 2
    for x, y in fiducials if crosses is None else crosses:
        top.shapes(layers["FIDUCIAL"]).insert(box(x - arm, y - half_width, x + arm, y + half_width))
        top.shapes(layers["FIDUCIAL"]).insert(box(x - half_width, y - arm, x + half_width, y + arm))
    if keep_out is not None:
        half = keep_out / 2
        for x, y in fiducials:
            top.shapes(layers["KOZ"]).insert(box(x - half, y - half, x + half, y + half))


def trans_at(x: float, y: float, rotation: int = 0) -> kdb.Trans:
    """A placement at (x, y), turned by ``rotation`` quarter turns."""
    return kdb.Trans(rotation, False, kdb.DVector(x, y).to_itype(DBU))


def box(x1: float, y1: float, x2: float, y2: float) -> kdb.Box:
    return kdb.DBox(x1, y1, x2, y2).to_itype(DBU)


def octagon(diameter: float, cx: float = 0.0, cy: float = 0.0) -> kdb.Polygon:
    """A regular octagon, flat sides ``diameter`` apart."""
    r = diameter / 2 / math.cos(math.pi / 8)
    points = [
        kdb.DPoint(
            cx + r * math.cos(math.pi / 8 + i * math.pi / 4),
            cy + r * math.sin(math.pi / 8 + i * math.pi / 4),
        )
        for i in range(8)
    ]
    return kdb.DPolygon(points).to_itype(DBU)


def path(points: list[tuple[float, float]], width: float) -> kdb.Polygon:
    """A wire with square ends flush with its end points."""
    dpath = kdb.DPath([kdb.DPoint(x, y) for x, y in points], width)
    return dpath.polygon().to_itype(DBU)


def array(
    cell: kdb.Cell,
    origin: tuple[float, float],
    step: tuple[float, float],
    counts: tuple[int, int],
    trans: kdb.Trans | None = None,
) -> kdb.CellInstArray:
    """A regular array of ``cell``: origin + i*(step x, 0) + j*(0, step y)."""
    rotation = trans.rot if trans is not None else 0
    displacement = kdb.DVector(*origin).to_itype(DBU)
    a = kdb.DVector(step[0], 0).to_itype(DBU)
    b = kdb.DVector(0, step[1]).to_itype(DBU)
    return kdb.CellInstArray(
        cell.cell_index(), kdb.Trans(rotation, False, displacement), a, b, counts[0], counts[1]
    )


def circle(diameter: float, cx: float = 0.0, cy: float = 0.0) -> kdb.Polygon:
    """A circle as a 32-gon, vertices on the circle and on its horizontal and vertical axes."""
    r = diameter / 2
    return kdb.DPolygon.ellipse(kdb.DBox(cx - r, cy - r, cx + r, cy + r), 32).to_itype(DBU)


def bus(
    start: tuple[float, float], length: float, jog_at: float, rise: float, count: int, pitch: float
) -> list[list[tuple[float, float]]]:
    """Centre lines of ``count`` wires running right from ``start``, ``pitch`` apart (the
    lowest first), each rising by ``rise`` at 45° near x = ``jog_at``. The corners of each
    wire move back by its offset times tan 22.5°, so the diagonals keep the pitch too."""
    x0, y0 = start
    lines = []
    for k in range(count):
        y, x = y0 + k * pitch, jog_at - k * pitch * math.tan(math.pi / 8)
        lines.append([(x0, y), (x, y), (x + rise, y + rise), (x0 + length, y + rise)])
    return lines


@dataclass(frozen=True)
class Field:
    """A bump or TSV field: a regular array, with ``staggered`` a second one offset by half a
    step in both directions (one row and column fewer) filling the gaps. Its outline reaches
    ``margin`` beyond the outermost centres."""

    origin: tuple[float, float]
    counts: tuple[int, int]
    step: float
    staggered: bool = False
    margin: float = 15.0

    def arrays(self, cell: kdb.Cell) -> list[kdb.CellInstArray]:
        (x, y), (nx, ny), s = self.origin, self.counts, self.step
        arrays = [array(cell, (x, y), (s, s), (nx, ny))]
        if self.staggered:
            arrays.append(array(cell, (x + s / 2, y + s / 2), (s, s), (nx - 1, ny - 1)))
        return arrays

    def outline(self) -> kdb.Box:
        (x, y), (nx, ny), s = self.origin, self.counts, self.step
        m = self.margin
        return box(x - m, y - m, x + (nx - 1) * s + m, y + (ny - 1) * s + m)
