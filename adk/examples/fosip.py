"""A FOSiP package: an application processor beside its memory die, ringed by decoupling
capacitors (placed rotated on the left side), an RF transceiver with an inductor and a filter,
a patch antenna fed from the RF die on the top RDL, RDL buses with 45° jogs between the dies,
and BGA balls in a regular and a staggered field. Matches ``rules/fosip.adk``.

Clean by default; ``dirty=True`` plants violations and lists them (rule id, where, what).
All coordinates are in µm; the package is 12 mm x 10 mm.
"""

from __future__ import annotations

import klayout.db as kdb

from adk.examples.geometry import array, box, circle, new_layout, package_marks, path, trans_at
from adk.examples.planted import Planted, Planter

LAYERS = {
    "PKG": (2, 0),
    "ASIC": (1, 1),
    "HBM": (1, 2),
    "FIDUCIAL": (80, 0),
    "KOZ": (90, 0),
    "RFIC": (1, 3),
    "RDL1": (10, 0),
    "RDL2": (11, 0),
    "PASSIVE": (65, 0),
    "DECAP": (66, 0),
    "ANT": (70, 0),
    "BALL": (41, 0),
}
TOP = "FOSIP_PKG"
WIDTH, HEIGHT = 12000.0, 10000.0
BALL = 250.0
FIDUCIALS = [(400, 400), (11600, 400), (400, 9600), (11600, 9600)]
# decoupling capacitors 300 um off the processor's edges: (x, y, rotated by 90°)
DECAPS = (
    [(x, 900, False) for x in (2000, 3000)]
    + [(1200, y, True) for y in (2000, 3000, 4000, 5000)]
    + [(x, 5800, False) for x in (2000, 3000, 4000, 5000)]
)


def build(dirty: bool = False) -> tuple[kdb.Layout, list[Planted]]:
    """The package layout and, for the dirty variant, what was planted."""
    layout, layers, top = new_layout(LAYERS, TOP)
    cells = _library(layout, layers)
    _place(top, cells, layers)
    _route(top, layers)
    _balls(top, cells)
    package_marks(
        top,
        layers,
        (WIDTH, HEIGHT),
        FIDUCIALS,
        keep_out=500,
        crosses=[FIDUCIALS[0], (7000, 6000)] if dirty else FIDUCIALS,
    )
    planted = _plant(top, cells, layers) if dirty else []
    return layout, planted


def _cell(layout: kdb.Layout, name: str, layer: int, shape: kdb.Box | kdb.Polygon) -> kdb.Cell:
    cell = layout.create_cell(name)
    cell.shapes(layer).insert(shape)
    return cell


def _library(layout: kdb.Layout, layers: dict[str, int]) -> dict[str, kdb.Cell]:
    return {
        "soc": _cell(layout, "SOC", layers["ASIC"], box(0, 0, 4000, 4000)),
        "memory": _cell(layout, "LPDDR", layers["HBM"], box(0, 0, 2000, 4000)),
        "rfic": _cell(layout, "RF_TRX", layers["RFIC"], box(0, 0, 1500, 1500)),
        "decap": _cell(layout, "CAP0201", layers["DECAP"], box(0, 0, 600, 300)),
        "inductor": _cell(layout, "IND0402", layers["PASSIVE"], box(0, 0, 1000, 500)),
        "filter": _cell(layout, "IPD_FILTER", layers["PASSIVE"], box(0, 0, 1200, 600)),
        "ball": _cell(layout, "BALL250", layers["BALL"], circle(BALL)),
    }


def _place(top: kdb.Cell, cells: dict[str, kdb.Cell], layers: dict[str, int]) -> None:
    """Dies, passives and the antenna: a 2 mm patch fed by a 50 um line from the RF die."""
    for name, trans in (
        ("soc", trans_at(1500, 1500)),
        ("memory", trans_at(5600, 1500)),
        ("rfic", trans_at(9000, 1500)),
        ("inductor", trans_at(9000, 500)),
        ("filter", trans_at(11400, 1800, 1)),
    ):
        top.insert(kdb.CellInstArray(cells[name].cell_index(), trans))
    for x, y, rotated in DECAPS:
        top.insert(kdb.CellInstArray(cells["decap"].cell_index(), trans_at(x, y, int(rotated))))
    top.shapes(layers["ANT"]).insert(box(8800, 6000, 10800, 8000))
    top.shapes(layers["ANT"]).insert(box(9725, 3000, 9775, 6000))


def _route(top: kdb.Cell, layers: dict[str, int]) -> None:
    """RDL1 bus from the processor to its memory across the die gap; RDL2 lines from the RF
    die over the memory into the processor."""
    for k in range(40):
        y = 3000 + 16 * k
        top.shapes(layers["RDL1"]).insert(
            path([(5300, y), (5530, y), (5570, y + 40), (5800, y + 40)], 6)
        )
    for k in range(8):
        y = 2100 + 40 * k
        top.shapes(layers["RDL2"]).insert(
            path([(9100, y), (8300, y), (7900, y + 400), (5200, y + 400)], 12)
        )


def _balls(top: kdb.Cell, cells: dict[str, kdb.Cell]) -> None:
    """BGA at 500 um pitch: a regular field on the left; on the right a staggered one, two
    interleaved arrays placed rotated by 90°, rows 433 um apart."""
    top.insert(array(cells["ball"], (1000, 1000), (500, 500), (10, 17)))
    rotated = kdb.Trans(1, False, 0, 0)
    top.insert(array(cells["ball"], (6500, 1000), (500, 866), (10, 10), rotated))
    top.insert(array(cells["ball"], (6750, 1433), (500, 866), (9, 9), rotated))


def _plant(top: kdb.Cell, cells: dict[str, kdb.Cell], layers: dict[str, int]) -> list[Planted]:
    planter = Planter(top, cells, layers)
    shapes, place, plant = planter.shapes, planter.place, planter.plant

    shapes("RDL1").insert(box(3500, 7000, 3700, 7004))
    plant("RDL1.W", 3600, 7002, "RDL1 line 4 um wide")
    shapes("RDL1").insert(box(3500, 7100, 3700, 7106))
    shapes("RDL1").insert(box(3500, 7110, 3700, 7116))
    plant("RDL1.S", 3600, 7108, "RDL1 lines 4 um apart")
    shapes("RDL2").insert(box(3500, 7300, 3700, 7308))
    plant("RDL2.W", 3600, 7304, "RDL2 line 8 um wide")
    shapes("RDL2").insert(box(3500, 7400, 3700, 7412))
    shapes("RDL2").insert(box(3500, 7420, 3700, 7432))
    plant("RDL2.S", 3600, 7416, "RDL2 lines 8 um apart")
    shapes("RDL1").insert(box(4500, 7000, 5800, 8300))
    plant("RDL1.DEN", 5000, 7500, "solid RDL1 plate 1.3 mm square")
    for x in (6200, 6900):
        place("decap", x, 8500)
    plant("PAS.PAS", 6850, 8650, "two capacitors 100 um apart")
    shapes("PASSIVE").insert(box(6000, 5600, 6600, 5900))
    plant("PAS.DIE", 6300, 5550, "passive 100 um from the memory die")
    shapes("ASIC").insert(box(1200, 8000, 2200, 9000))
    plant("PAS.DECAP", 1700, 8500, "controller die without decoupling capacitors")
    shapes("RDL2").insert(box(8200, 7000, 8650, 7012))
    plant("ANT.KOZ", 8725, 7006, "RDL2 line 150 um from the antenna patch")
    shapes("RFIC").insert(box(7900, 4000, 8400, 4500))
    plant("RF.ISO", 7750, 4250, "RF die 300 um from the memory die")
    for y in (3000, 3300):
        place("ball", 6000, y)
    plant("BGA.P", 6000, 3150, "two balls 300 um apart")
    shapes("BALL").insert(circle(300, 6000, 5000))
    plant("BGA.SZ", 6000, 5000, "300 um ball")
    shapes("RDL1").insert(box(11200, 395, 11800, 401))
    plant("KOZ.1", 11500, 398, "RDL1 line through a fiducial keep-out")
    shapes("HBM").insert(box(4000, 1100, 5000, 1470))
    plant("PKG.D2D.GAP", 4500, 1485, "memory die 30 um from the processor")
    shapes("HBM").insert(box(6000, 500, 7000, 1000))
    plant("PKG.HBM.D", 5750, 1250, "memory die 700 um from the processor")
    plant("PKG.FID.N", 6000, 4000, "two fiducials only")
    plant("PKG.FID.D", 7000, 5725, "fiducial 450 um from the memory die")
    return planter.planted
