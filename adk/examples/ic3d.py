"""A 3D IC package: two top dies hybrid-bonded onto a base logic die (the second top die
placed mirrored), HBM stacks beside the base die (the right one mirrored). Hybrid-bonding pad
fields are cell arrays in the top dies, matched by pads on the base die; TSV fields (one
staggered) land on backside metal, clear of the active area; backside-metal buses with 45°
jogs run under the top dies; fiducials and a probe area have keep-out zones.
Matches ``rules/ic3d.adk``.

Clean by default; ``dirty=True`` plants violations and lists them (rule id, where, what).
All coordinates are in µm in the package frame; the package is 10 mm x 8 mm.
"""

from __future__ import annotations

import klayout.db as kdb

from adk.examples.geometry import (
    DBU,
    Field,
    array,
    box,
    bus,
    circle,
    new_layout,
    octagon,
    package_marks,
    path,
    trans_at,
)
from adk.examples.planted import Planted, Planter

LAYERS = {
    "PKG": (2, 0),
    "ASIC": (1, 1),
    "HBM": (1, 2),
    "FIDUCIAL": (80, 0),
    "KOZ": (90, 0),
    "TOP_DIE": (1, 3),
    "BM": (40, 0),
    "ACTIVE": (41, 0),
    "HB_TOP": (32, 0),
    "HB_BOT": (33, 0),
    "HB_FIELD": (34, 0),
    "TSV": (65, 0),
}
TOP = "IC3D_PKG"
HB, HB_PITCH = 4.0, 9.0
TSV_D, TSV_PAD = 5.0, 8.0
LINE = 0.5  # wires a little above the 0.4 um minimum: 45° corners snap to the 1 nm grid

BASE_AT = trans_at(2500, 1500)
TOP_DIE_AT = [
    trans_at(3000, 2200),
    kdb.Trans(2, True, kdb.DVector(7000, 2200).to_itype(DBU)),
]  # mirrored in x
HBM_AT = [
    trans_at(400, 2500),
    kdb.Trans(2, True, kdb.DVector(9600, 2500).to_itype(DBU)),
]  # mirrored in x
FIDUCIALS = [(400, 400), (9600, 400), (400, 7600), (9600, 7600)]
PROBE_KOZ = (7000, 1600, 7300, 1900)

# hybrid-bonding fields in top-die coordinates; their outlines reach half a pitch beyond
HB_FIELDS = [
    Field((300, 400), (32, 32), HB_PITCH, margin=HB_PITCH / 2),
    Field((1300, 2900), (32, 32), HB_PITCH, margin=HB_PITCH / 2),
]
# TSV fields in the package frame: below the top dies, between them, above them
TSV_FIELDS = [
    Field((2800, 1800), (40, 8), 25),
    Field((4950, 2600), (5, 120), 25),
    Field((5200, 6000), (30, 6), 30, staggered=True),
]
ACTIVE_BLOCKS = [(2600, 2000, 4900, 5950), (5100, 2000, 7400, 5950)]
BUS_ROWS = (2100, 5700)


def build(dirty: bool = False) -> tuple[kdb.Layout, list[Planted]]:
    """The package layout and, for the dirty variant, what was planted."""
    layout, layers, top = new_layout(LAYERS, TOP)
    cells = _library(layout, layers)
    for cell, placements in ((cells["top_die"], TOP_DIE_AT), (cells["hbm"], HBM_AT)):
        for at in placements:
            top.insert(kdb.CellInstArray(cell.cell_index(), at))
    top.insert(kdb.CellInstArray(_base_die(layout, layers, cells).cell_index(), BASE_AT))
    package_marks(
        top,
        layers,
        (10000, 8000),
        FIDUCIALS,
        keep_out=600,
        crosses=[FIDUCIALS[0], (5000, 1250)] if dirty else FIDUCIALS,
    )
    planted = _plant(top, cells, layers) if dirty else []
    return layout, planted


def _library(layout: kdb.Layout, layers: dict[str, int]) -> dict[str, kdb.Cell]:
    hb_top = layout.create_cell("HB_TOP4")
    hb_top.shapes(layers["HB_TOP"]).insert(octagon(HB))
    hb_bot = layout.create_cell("HB_BOT4")
    hb_bot.shapes(layers["HB_BOT"]).insert(octagon(HB))
    tsv = _tsv_cell(layout, layers, "TSV5", TSV_D, TSV_PAD)
    top_die = layout.create_cell("TOP_DIE")
    top_die.shapes(layers["TOP_DIE"]).insert(box(0, 0, 1900, 3600))
    for field in HB_FIELDS:
        for inst in field.arrays(hb_top):
            top_die.insert(inst)
    hbm = layout.create_cell("HBM")
    hbm.shapes(layers["HBM"]).insert(box(0, 0, 2000, 3000))
    return {"hb_top": hb_top, "hb_bot": hb_bot, "tsv": tsv, "top_die": top_die, "hbm": hbm}


def _tsv_cell(
    layout: kdb.Layout, layers: dict[str, int], name: str, diameter: float, landing: float
) -> kdb.Cell:
    """A TSV with its square backside-metal landing pad."""
    cell = layout.create_cell(name)
    cell.shapes(layers["TSV"]).insert(circle(diameter))
    cell.shapes(layers["BM"]).insert(box(-landing / 2, -landing / 2, landing / 2, landing / 2))
    return cell


def _base_die(layout: kdb.Layout, layers: dict[str, int], cells: dict[str, kdb.Cell]) -> kdb.Cell:
    """The base die; everything is given in the package frame and moved into it."""
    base = layout.create_cell("BASE_DIE")
    local = BASE_AT.inverted()
    shapes = lambda name: base.shapes(layers[name])  # noqa: E731
    shapes("ASIC").insert(box(2500, 1500, 7500, 6500).transformed(local))
    for at in TOP_DIE_AT:  # a pad under every top-die pad, wherever the top die is placed
        for inst in cells["top_die"].each_inst():
            pads = inst.cell_inst.dup()
            pads.cell_index = cells["hb_bot"].cell_index()
            base.insert(pads.transformed(at).transformed(local))
        for field in HB_FIELDS:
            shapes("HB_FIELD").insert(field.outline().transformed(at).transformed(local))
    for field in TSV_FIELDS:
        for tsvs in field.arrays(cells["tsv"]):
            base.insert(tsvs.transformed(local))
    for block in ACTIVE_BLOCKS:
        shapes("ACTIVE").insert(box(*block).transformed(local))
    for y in BUS_ROWS:
        for line in bus((3900, y), 2200, 4500, 20, 64, 1.0):
            shapes("BM").insert(path(line, LINE).transformed(local))
    shapes("KOZ").insert(box(*PROBE_KOZ).transformed(local))
    return base


def _plant(top: kdb.Cell, cells: dict[str, kdb.Cell], layers: dict[str, int]) -> list[Planted]:
    planter = Planter(top, cells, layers)
    shapes, place, plant = planter.shapes, planter.place, planter.plant

    def pads(x: float, y: float) -> None:
        place("hb_top", x, y)
        place("hb_bot", x, y)

    shapes("ASIC").insert(box(800, 2000, 1300, 2470))
    plant("PKG.D2D.GAP", 1050, 2485, "die 30 um from an HBM stack")
    shapes("HBM").insert(box(4500, 7000, 5500, 7500))
    plant("PKG.HBM.D", 5000, 6750, "HBM stack 500 um from the base die")
    plant("PKG.FID.N", 5000, 4000, "two fiducials only")
    plant("PKG.FID.D", 5000, 1400, "fiducial 200 um from the base die")
    shapes("TOP_DIE").insert(box(6200, 6300, 7000, 6440))
    plant("STK.ENC", 6600, 6470, "top die 60 um from the base die edge")
    shapes("BM").insert(box(4000, 1600, 4100, 1600.3))
    plant("BM.W", 4050, 1600.15, "backside metal line 0.3 um wide")
    shapes("BM").insert(box(4200, 1600, 4300, 1600.5))
    shapes("BM").insert(box(4200, 1600.8, 4300, 1601.3))
    plant("BM.S", 4250, 1600.65, "backside metal lines 0.3 um apart")
    place(_tsv_cell(top.layout(), layers, "TSV7", 7, 10), 4500, 1650)
    plant("TSV.SZ", 4500, 1650, "7 um TSV")
    for x in (4700, 4715):
        place("tsv", x, 1650)
    plant("TSV.P", 4707.5, 1650, "two TSVs 15 um apart")
    # facing gaps a hair under the limit: only the TSV's two edges at its nearest vertex are in
    shapes("TSV").insert(circle(TSV_D, 4900, 1650))
    left = 4900 - TSV_D / 2 - 0.98
    shapes("BM").insert(box(left, 1650 - TSV_PAD / 2, left + TSV_PAD, 1650 + TSV_PAD / 2))
    plant("TSV.ENC", 4897, 1650, "TSV 0.98 um from its landing pad edge")
    place("tsv", 5200, 1540)
    plant("TSV.IN", 5200, 1540, "TSV 40 um from the base die edge")
    place("tsv", 5500, 1650)
    shapes("ACTIVE").insert(box(5480, 1600, 5520, 1650 - TSV_D / 2 - 4.98))
    plant("TSV.KOZ", 5500, 1645, "active area 4.98 um from a TSV")
    for x in (4200, 4207):
        pads(x, 3500)
    plant("HB.P", 4203.5, 3500, "two hybrid-bonding pads 7 um apart")
    place("hb_top", 4300, 3500)
    shapes("HB_BOT").insert(octagon(5.5, 4300, 3500))
    plant("HB.SZ", 4300, 3500, "5.5 um base-die pad")
    shapes("HB_FIELD").insert(box(4200, 3700, 4300, 3800))
    for cell in (cells["hb_top"], cells["hb_bot"]):
        top.insert(array(cell, (4210, 3710), (20, 20), (5, 5)))
    plant("HB.DEN", 4250, 3750, "pad field at 20 um pitch: 2,500 pads/mm2")
    place("hb_bot", 4400, 3500)
    place("hb_top", 4400.8, 3500)
    plant("HB.ALIGN", 4400.4, 3500, "top-die pad 0.8 um off its base-die pad")
    pads(4886, 4000)
    plant("HB.EDGE", 4894, 4000, "hybrid-bonding pad 12 um from the top die edge")
    shapes("BM").insert(box(6950, 1700, 7050, 1701))
    plant("KOZ.1", 7025, 1700.5, "backside metal line into the probe keep-out")
    return planter.planted
