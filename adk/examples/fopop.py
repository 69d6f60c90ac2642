"""A FOPoP package: an application processor and a memory die (drawn on the HBM layer, placed
rotated) molded side by side, fan-out RDL escaping from both with 45° jogs to a staggered
double ring of through-mold vias (TMV), and a memory package placed mirrored on top with its
balls on the TMVs' backside pads. Matches ``rules/fopop.adk``.

Clean by default; ``dirty=True`` plants violations and lists them (rule id, where, what).
All coordinates are in µm; the package is 10 mm x 10 mm.
"""

from __future__ import annotations

from collections.abc import Callable

import klayout.db as kdb

from adk.examples.geometry import DBU, box, circle, new_layout, package_marks, path, trans_at
from adk.examples.planted import Planted, Planter

LAYERS = {
    "PKG": (2, 0),
    "ASIC": (1, 1),
    "HBM": (1, 2),
    "FIDUCIAL": (80, 0),
    "KOZ": (90, 0),
    "RDL1": (10, 0),
    "RDL2": (11, 0),
    "VIA1": (12, 0),
    "TMV": (60, 0),
    "TMV_PAD": (61, 0),
    "TOP_PAD": (62, 0),
    "TOP_BALL": (63, 0),
}
TOP = "FOPOP_PKG"
SIZE = 10000.0
TMV_D, TMV_PAD_D, TOP_PAD_D, BALL_D = 150.0, 190.0, 200.0, 250.0
LINE = 6.0  # RDL lines a little above the 5 um minimum: 45° corners snap to the 1 nm grid
ASIC_AT = trans_at(2100, 2500)
MEMORY_AT = kdb.Trans(1, False, kdb.DVector(7800, 3000).to_itype(DBU))  # rotated 90°
FIDUCIALS = [(400, 400), (9600, 400), (400, 9600), (9600, 9600)]

# The ring of TMVs, as (origin, step, count) rows relative to the package centre: an outer and
# an inner row on each side, staggered by half the 400 um pitch. The ring is symmetric about
# both axes, so the top package's balls land on it however it is mirrored.
RING = [
    ((-4000, -4200), (400, 0), 21),
    ((-3800, -3800), (400, 0), 20),
    ((-4000, 4200), (400, 0), 21),
    ((-3800, 3800), (400, 0), 20),
    ((-4200, -3200), (0, 400), 17),
    ((-3800, -3000), (0, 400), 16),
    ((4200, -3200), (0, 400), 17),
    ((3800, -3000), (0, 400), 16),
]

Frame = Callable[[float, float], tuple[float, float]]


def build(dirty: bool = False) -> tuple[kdb.Layout, list[Planted]]:
    """The package layout and, for the dirty variant, what was planted."""
    layout, layers, top = new_layout(LAYERS, TOP)
    cells = _library(layout, layers)
    _place(top, cells)
    _route(top, layers)
    package_marks(
        top,
        layers,
        (SIZE, SIZE),
        FIDUCIALS,
        keep_out=500,
        crosses=[FIDUCIALS[0], (1600, 7000)] if dirty else FIDUCIALS,
    )
    planted = _plant(top, cells, layers) if dirty else []
    return layout, planted


def _library(layout: kdb.Layout, layers: dict[str, int]) -> dict[str, kdb.Cell]:
    tmv = layout.create_cell("TMV150")
    tmv.shapes(layers["TMV"]).insert(circle(TMV_D))
    tmv.shapes(layers["TMV_PAD"]).insert(circle(TMV_PAD_D))
    stack = layout.create_cell("TMV_STACK")  # the TMV with its backside pad
    stack.insert(kdb.CellInstArray(tmv.cell_index(), kdb.Trans()))
    stack.shapes(layers["TOP_PAD"]).insert(circle(TOP_PAD_D))
    ball = layout.create_cell("BALL250")
    ball.shapes(layers["TOP_BALL"]).insert(circle(BALL_D))
    memory_pkg = layout.create_cell("MEMORY_PKG")
    for origin, step, count in RING:
        memory_pkg.insert(_row(ball, origin, step, count))
    asic = layout.create_cell("AP_DIE")
    asic.shapes(layers["ASIC"]).insert(box(0, 0, 4000, 5000))
    memory = layout.create_cell("MEMORY_DIE")
    memory.shapes(layers["HBM"]).insert(box(0, 0, 4000, 1600))
    return {
        "tmv": tmv,
        "stack": stack,
        "ball": ball,
        "memory_pkg": memory_pkg,
        "asic": asic,
        "memory": memory,
    }


def _row(
    cell: kdb.Cell, origin: tuple[float, float], step: tuple[float, float], count: int
) -> kdb.CellInstArray:
    """``count`` placements of ``cell`` from ``origin`` on, ``step`` apart."""
    a = kdb.DVector(*step).to_itype(DBU)
    return kdb.CellInstArray(
        cell.cell_index(), trans_at(*origin), a, kdb.Vector(-a.y, a.x), count, 1
    )


def _place(top: kdb.Cell, cells: dict[str, kdb.Cell]) -> None:
    top.insert(kdb.CellInstArray(cells["asic"].cell_index(), ASIC_AT))
    top.insert(kdb.CellInstArray(cells["memory"].cell_index(), MEMORY_AT))
    centre = kdb.DVector(SIZE / 2, SIZE / 2)
    for origin, step, count in RING:
        top.insert(_row(cells["stack"], (origin[0] + centre.x, origin[1] + centre.y), step, count))
    # the top package is flipped onto the bottom one
    top.insert(
        kdb.CellInstArray(
            cells["memory_pkg"].cell_index(), kdb.Trans(0, True, centre.to_itype(DBU))
        )
    )


def _fan(
    count: int, pitch: float, reach: float, inside: float, spread: float = 400.0
) -> list[list[tuple[float, float]]]:
    """Escape lines from a die edge (x = 0, the die at x > 0): ``count`` lines start ``pitch``
    apart at x = ``inside`` and end ``spread`` apart at x = -``reach``, in two mirrored halves.
    Each line runs straight, at 45°, straight, its last bend at least 100 um before its end;
    neighbours' diagonals are pitch x √2 apart, so lines stay apart where they turn."""
    starts = [pitch * (k + 0.5) for k in range(count // 2)]
    ends = [spread * (k + 0.5) for k in range(count // 2)]
    step = 2 * pitch
    first = max(-reach + 100 + end - step * k for k, end in enumerate(ends))
    half = []
    for k, (start, end) in enumerate(zip(starts, ends)):
        diagonal = first + step * k  # the line x + y = diagonal
        assert diagonal - start <= inside - 20, "no room for the fan and a start pad"
        half.append(
            [(inside, start), (diagonal - start, start), (diagonal - end, end), (-reach, end)]
        )
    return half + [[(x, -y) for x, y in line] for line in half]


def _draw_fan(
    top: kdb.Cell, layer: int, lines: list[list[tuple[float, float]]], frame: Frame
) -> None:
    for line in lines:
        top.shapes(layer).insert(path([frame(u, v) for u, v in line], LINE))


def _route(top: kdb.Cell, layers: dict[str, int]) -> None:
    """RDL1 escapes left and up from the processor, RDL2 (through vias) down from it and right
    from the memory die; each line ends under a TMV. An RDL1 bus crosses the die-to-die gap."""
    _draw_fan(top, layers["RDL1"], _fan(6, 12, 900, 400), lambda u, v: (2100 + u, 5000 + v))
    _draw_fan(top, layers["RDL1"], _fan(8, 12, 1300, 400), lambda u, v: (4200 + v, 7500 - u))
    down = lambda u, v: (4200 + v, 2500 + u)  # noqa: E731
    right = lambda u, v: (7800 - u, 5000 + v)  # noqa: E731
    for frame, reach in ((down, 1300), (right, 1000)):
        lines = _fan(8, 30, reach, 500)
        _draw_fan(top, layers["RDL2"], lines, frame)
        for line in lines:
            _via(top, layers, *frame(*line[0]))
    for k in range(30):
        y = 4200 + 16 * k
        top.shapes(layers["RDL1"]).insert(
            path([(5900, y), (6120, y), (6150, y + 30), (6400, y + 30)], LINE)
        )


def _via(
    top: kdb.Cell,
    layers: dict[str, int],
    x: float,
    y: float,
    rdl1_dx: float = 0.0,
    rdl2_dx: float = 0.0,
) -> None:
    """A 10 um via with 20 um pads on RDL1 and RDL2, either pad moved by its offset."""
    top.shapes(layers["VIA1"]).insert(box(x - 5, y - 5, x + 5, y + 5))
    top.shapes(layers["RDL1"]).insert(box(x + rdl1_dx - 10, y - 10, x + rdl1_dx + 10, y + 10))
    top.shapes(layers["RDL2"]).insert(box(x + rdl2_dx - 10, y - 10, x + rdl2_dx + 10, y + 10))


def _plant(top: kdb.Cell, cells: dict[str, kdb.Cell], layers: dict[str, int]) -> list[Planted]:
    planter = Planter(top, cells, layers)
    shapes, place, plant = planter.shapes, planter.place, planter.plant

    shapes("RDL1").insert(box(5600, 1500, 5800, 1504))
    plant("RDL1.W", 5700, 1502, "RDL1 line 4 um wide")
    shapes("RDL1").insert(box(5600, 1600, 5800, 1606))
    shapes("RDL1").insert(box(5600, 1610, 5800, 1616))
    plant("RDL1.S", 5700, 1608, "RDL1 lines 4 um apart")
    shapes("RDL2").insert(box(5600, 1700, 5800, 1704))
    plant("RDL2.W", 5700, 1702, "RDL2 line 4 um wide")
    shapes("RDL2").insert(box(5600, 1800, 5800, 1806))
    shapes("RDL2").insert(box(5600, 1810, 5800, 1816))
    plant("RDL2.S", 5700, 1808, "RDL2 lines 4 um apart")
    shapes("RDL1").insert(box(3500, 4500, 4800, 5800))
    plant("RDL1.DEN", 4000, 5000, "solid RDL1 plate 1.3 mm square over the processor")
    _via(top, layers, 5700, 2000, rdl1_dx=4)
    plant("VIA1.ENC1", 5694.5, 2000, "RDL1 pad 1 um beyond VIA1 on one side")
    _via(top, layers, 5700, 2100, rdl2_dx=4)
    plant("VIA1.ENC2", 5694.5, 2100, "RDL2 pad 1 um beyond VIA1 on one side")
    shapes("TMV").insert(circle(170, 7000, 1600))
    shapes("TMV_PAD").insert(circle(210, 7000, 1600))
    plant("TMV.SZ", 7000, 1600, "TMV 170 um across")
    place("tmv", 8200, 1900)
    place("tmv", 8200, 2100)
    plant("TMV.P", 8200, 2000, "two TMVs 200 um apart")
    shapes("TMV").insert(circle(TMV_D, 6150, 2000))
    plant("TMV.ENC", 6150, 2000, "TMV without a landing pad")
    place("tmv", 1925, 3000)
    plant("TMV.DIE", 2050, 3000, "TMV 100 um from the processor")
    place("tmv", 5000, 265)
    plant("TMV.EDGE", 5000, 190, "TMV 190 um from the package edge")
    place("stack", 8000, 2400)
    shapes("TOP_BALL").insert(circle(BALL_D, 8030, 2400))
    plant("POP.ALIGN", 8030, 2400, "top-package ball 30 um off its pad")
    plant("POP.ALIGN", 8000, 2400, "backside pad with no ball on it")
    for x in (2200, 2500):
        place("stack", x, 1700)
        place("ball", x, 1700)
    plant("POP.P", 2350, 1700, "two top-package balls 300 um apart")
    shapes("RDL2").insert(box(9200, 390, 9700, 396))
    plant("KOZ.1", 9500, 393, "RDL2 line through a fiducial keep-out")
    shapes("ASIC").insert(box(6300, 7030, 7300, 7400))
    plant("PKG.D2D.GAP", 6800, 7015, "die 30 um from the memory die")
    shapes("HBM").insert(box(6500, 2000, 7500, 2600))
    plant("PKG.HBM.D", 6300, 2550, "memory die 400 um from the processor")
    plant("PKG.FID.N", 5000, 5000, "two fiducials only")
    plant("PKG.FID.D", 1875, 7000, "fiducial 450 um from the processor")
    return planter.planted
