"""A FOCoS-Bridge package: an ASIC between two HBM stacks, four silicon bridges under the
die-to-die gaps, micro-bump fields as cell arrays (one staggered), fan-out RDL with 45°
jogs, fiducials with keep-out zones. Matches ``rules/focos_bridge.adk``.

Clean by default; ``dirty=True`` plants violations and lists them (rule id, where, what).
All coordinates are in µm; the package is 10 mm x 6 mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import klayout.db as kdb

from adk.examples.geometry import array, box, new_layout, octagon, package_marks, path, trans_at
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
    "PAD": (20, 0),
    "PO": (21, 0),
    "UBUMP": (30, 0),
    "FIELD": (31, 0),
    "BRIDGE": (50, 0),
    "BR_M1": (51, 0),
}
TOP = "FOCOS_BRIDGE_PKG"
BUMP, PAD, OPENING, PITCH = 20.0, 28.0, 22.0, 40.0

ASIC_AT = trans_at(3000, 1000)
HBM_LEFT_AT = trans_at(900, 1500)
HBM_RIGHT_AT = trans_at(9100, 4500, 2)  # rotated 180°
BRIDGES = [(2550, 2000), (2550, 3200), (6650, 2000), (6650, 3200)]
FIDUCIALS = [(400, 400), (9600, 400), (400, 5600), (9600, 5600)]


@dataclass(frozen=True)
class Field:
    """A rectangular bump field in package coordinates, held by one die."""

    die: str
    origin: tuple[float, float]
    counts: tuple[int, int]
    step: float = PITCH


# regular fields over the bridges and in the HBM centres; the ASIC centre is staggered
FIELDS = [
    Field("ASIC", (3070, 2040), (7, 9)),
    Field("ASIC", (3070, 3240), (7, 9)),
    Field("ASIC", (6690, 2040), (7, 9)),
    Field("ASIC", (6690, 3240), (7, 9)),
    Field("HBM_LEFT", (2590, 2040), (7, 9)),
    Field("HBM_LEFT", (2590, 3240), (7, 9)),
    Field("HBM_RIGHT", (7170, 2040), (7, 9)),
    Field("HBM_RIGHT", (7170, 3240), (7, 9)),
    Field("HBM_LEFT", (1320, 2220), (30, 40)),
    Field("HBM_RIGHT", (7720, 2220), (30, 40)),
    Field("ASIC", (4030, 2030), (33, 33), 60.0),
    Field("ASIC", (4060, 2060), (32, 32), 60.0),
]
FIELD_OUTLINES = [
    (3050, 2020, 3330, 2380),
    (3050, 3220, 3330, 3580),
    (6670, 2020, 6950, 2380),
    (6670, 3220, 6950, 3580),
    (2570, 2020, 2850, 2380),
    (2570, 3220, 2850, 3580),
    (7150, 2020, 7430, 2380),
    (7150, 3220, 7430, 3580),
    (1300, 2200, 2500, 3800),
    (7700, 2200, 8900, 3800),
    (4000, 2000, 6000, 4000),
]


def build(dirty: bool = False) -> tuple[kdb.Layout, list[Planted]]:
    """The package layout and, for the dirty variant, what was planted."""
    layout, layers, top = new_layout(LAYERS, TOP)
    cells = _library(layout, layers)
    _place_dies(top, cells)
    _draw_package(top, cells, layers, dirty)
    planted = _plant(top, cells, layers) if dirty else []
    return layout, planted


def _library(layout: kdb.Layout, layers: dict[str, int]) -> dict[str, kdb.Cell]:
    bump = layout.create_cell("UBUMP20")
    bump.shapes(layers["UBUMP"]).insert(octagon(BUMP))
    pad = layout.create_cell("PAD28")
    pad.shapes(layers["PAD"]).insert(box(-PAD / 2, -PAD / 2, PAD / 2, PAD / 2))
    pad.shapes(layers["PO"]).insert(box(-OPENING / 2, -OPENING / 2, OPENING / 2, OPENING / 2))
    bridge = layout.create_cell("SI_BRIDGE")
    bridge.shapes(layers["BRIDGE"]).insert(box(0, 0, 800, 400))
    for k in range(200):  # bridge M1: 0.6 um lines at 1.2 um pitch
        y = 80 + k * 1.2
        bridge.shapes(layers["BR_M1"]).insert(box(50, y, 750, y + 0.6))
    asic = layout.create_cell("ASIC")
    asic.shapes(layers["ASIC"]).insert(box(0, 0, 4000, 4000))
    hbm = layout.create_cell("HBM")
    hbm.shapes(layers["HBM"]).insert(box(0, 0, 2000, 3000))
    return {"bump": bump, "pad": pad, "bridge": bridge, "asic": asic, "hbm": hbm}


def _place_dies(top: kdb.Cell, cells: dict[str, kdb.Cell]) -> None:
    """Dies in the package, each holding its own bump fields as cell arrays in die coordinates."""
    top.insert(kdb.CellInstArray(cells["asic"].cell_index(), ASIC_AT))
    top.insert(kdb.CellInstArray(cells["hbm"].cell_index(), HBM_LEFT_AT))
    hbm_right = cells["hbm"].layout().create_cell("HBM_R180")
    hbm_right.shapes(cells["hbm"].layout().layer(*LAYERS["HBM"])).insert(box(0, 0, 2000, 3000))
    top.insert(kdb.CellInstArray(hbm_right.cell_index(), HBM_RIGHT_AT))
    holders = {
        "ASIC": (cells["asic"], ASIC_AT),
        "HBM_LEFT": (cells["hbm"], HBM_LEFT_AT),
        "HBM_RIGHT": (hbm_right, HBM_RIGHT_AT),
    }
    for field in FIELDS:
        die, placement = holders[field.die]
        package_array = array(cells["bump"], field.origin, (field.step, field.step), field.counts)
        die.insert(package_array.transformed(placement.inverted()))


def _draw_package(
    top: kdb.Cell, cells: dict[str, kdb.Cell], layers: dict[str, int], dirty: bool
) -> None:
    shapes = lambda name: top.shapes(layers[name])  # noqa: E731
    for field in FIELDS:  # landing pads under every bump
        top.insert(array(cells["pad"], field.origin, (field.step, field.step), field.counts))
    for outline in FIELD_OUTLINES:
        shapes("FIELD").insert(box(*outline))
    for x, y in BRIDGES:
        top.insert(kdb.CellInstArray(cells["bridge"].cell_index(), trans_at(x, y)))
    package_marks(
        top,
        layers,
        (10000, 6000),
        FIDUCIALS,
        keep_out=600,
        crosses=[FIDUCIALS[0], (6500, 5300)] if dirty else FIDUCIALS,
    )
    # RDL lines are drawn 12 um wide: a 45° segment's corners round to the 1 nm grid, so a
    # line drawn at exactly the 10 um minimum measures a hair under it across the bend
    for k in range(20):  # RDL1 fan-out below the ASIC: down, a 45° jog, down again
        x = 4500 + k * 35
        shapes("RDL1").insert(path([(x, 1100), (x, 600), (x - 100, 500), (x - 100, 100)], 12))
        shapes("VIA1").insert(box(x - 3, 797, x + 3, 803))
    for k in range(20):  # RDL2 fan-out left of the left HBM, with a 45° jog
        y = 2000 + k * 40
        shapes("RDL2").insert(path([(1000, y), (700, y), (600, y - 100), (300, y - 100)], 12))


def _plant(top: kdb.Cell, cells: dict[str, kdb.Cell], layers: dict[str, int]) -> list[Planted]:
    planter = Planter(top, cells, layers)
    shapes, place, plant = planter.shapes, planter.place, planter.plant

    shapes("BR_M1").insert(box(2600, 2340, 2700, 2340.5))
    plant("BR.M1.W", 2650, 2340.25, "bridge M1 line 0.5 um wide")
    shapes("BR_M1").insert(box(2600, 2360, 2700, 2360.6))
    shapes("BR_M1").insert(box(2600, 2361.1, 2700, 2361.7))
    plant("BR.M1.S", 2650, 2360.85, "bridge M1 lines 0.5 um apart")
    shapes("RDL1").insert(box(6000, 100, 6008, 500))
    plant("RDL1.W", 6004, 300, "RDL1 line 8 um wide")
    shapes("RDL1").insert(box(6200, 100, 6210, 500))
    shapes("RDL1").insert(box(6218, 100, 6228, 500))
    plant("RDL1.S", 6214, 300, "RDL1 lines 8 um apart")
    shapes("RDL2").insert(box(300, 3400, 800, 3408))
    plant("RDL2.W", 550, 3404, "RDL2 line 8 um wide")
    shapes("RDL2").insert(box(300, 3600, 800, 3610))
    shapes("RDL2").insert(box(300, 3618, 800, 3628))
    plant("RDL2.S", 550, 3614, "RDL2 lines 8 um apart")
    shapes("RDL1").insert(box(7600, 100, 8800, 1300))
    plant("RDL1.DEN", 8200, 700, "solid RDL1 plate 1.2 mm square")
    shapes("VIA1").insert(box(4501, 897, 4507, 903))
    plant("VIA1.ENC", 4506.5, 900, "VIA1 sticking 1 um out of its RDL1 line")
    shapes("VIA1").insert(box(4532.5, 897.5, 4537.5, 902.5))
    plant("VIA1.A", 4535, 900, "VIA1 5 um square")
    _bump(planter, 4200, 1300)
    _bump(planter, 4230, 1300)
    plant("UB.P", 4215, 1300, "two micro-bumps 30 um apart")
    shapes("UBUMP").insert(octagon(24, 4400, 1300))
    place("pad", 4400, 1300)
    plant("UB.SZ", 4400, 1300, "24 um micro-bump")
    shapes("UBUMP").insert(octagon(BUMP, 4600, 1300))
    place("pad", 4612, 1300)
    plant("UB.ALIGN", 4600, 1300, "micro-bump 12 um off its pad")
    plant("UB.ALIGN", 4612, 1300, "pad with no micro-bump on it")
    plant("UB.PAD.OVL", 4605, 1300, "micro-bump overlaps its pad by 12 um")
    shapes("PAD").insert(box(4786, 1286, 4814, 1314))
    shapes("PO").insert(box(4791.5, 1289, 4813.5, 1311))
    _bump(planter, 4800, 1300, pad=False)
    plant("PAD.EXT", 4813.75, 1300, "opening 0.5 um from its pad edge")
    shapes("FIELD").insert(box(6200, 1200, 6600, 1600))
    top.insert(array(cells["bump"], (6240, 1240), (80, 80), (5, 5)))
    top.insert(array(cells["pad"], (6240, 1240), (80, 80), (5, 5)))
    plant("UB.DEN", 6400, 1400, "bump field at 80 um pitch: 156 bumps/mm2")
    _bump(planter, 3030, 4700)
    plant("UB.EDGE", 3020, 4700, "micro-bump 20 um from the ASIC edge")
    place("bridge", 5000, 4800)  # across the ASIC's top edge, its overlap measurable along y
    plant("BR.PL", 5400, 5000, "bridge on one die only, hanging over the ASIC's top edge")
    shapes("RDL1").insert(box(600, 5500, 1200, 5510))
    plant("KOZ.1", 650, 5505, "RDL1 line through a fiducial keep-out")
    shapes("ASIC").insert(box(1000, 1000, 1500, 1470))
    plant("PKG.D2D.GAP", 1250, 1485, "die 30 um from an HBM stack")
    shapes("HBM").insert(box(4000, 5300, 5000, 5800))
    plant("PKG.HBM.D", 4500, 5150, "HBM stack 300 um from the ASIC")
    plant("PKG.FID.N", 5000, 3000, "two fiducials only")
    plant("PKG.FID.D", 6500, 5150, "fiducial 250 um from the ASIC")
    return planter.planted


def _bump(planter: Planter, x: float, y: float, pad: bool = True) -> None:
    """A micro-bump at (x, y), on a landing pad unless ``pad`` is False."""
    planter.place("bump", x, y)
    if pad:
        planter.place("pad", x, y)
