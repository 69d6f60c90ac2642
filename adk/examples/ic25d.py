"""A 2.5D IC package: an ASIC between two HBM stacks (the right one the same part rotated
180°) on a TSV silicon interposer. Micro-bump fields are cell arrays in the die cells (the
ASIC's power field staggered), landing on interposer pads; TSV fields (one staggered) land on
M1 pads; interposer M1 and M2 buses with 45° jogs cross the die-to-die gaps; C4 bumps cover
the underside; deep-trench capacitors sit clear of the TSVs; fiducials with keep-out zones
mark the interposer corners. Matches ``rules/ic25d.adk``.

Clean by default; ``dirty=True`` plants violations and lists them (rule id, where, what).
All coordinates are in µm in the package frame; the package is 13 mm x 9.4 mm.
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
    "INTERPOSER": (3, 0),
    "IP_M1": (40, 0),
    "IP_M2": (41, 0),
    "IP_PAD": (20, 0),
    "UBUMP": (30, 0),
    "UFIELD": (31, 0),
    "C4": (35, 0),
    "TSV": (65, 0),
    "DTC": (66, 0),
}
TOP = "IC25D_PKG"
BUMP, PAD = 20.0, 26.0
TSV_D, TSV_PAD = 10.0, 16.0
C4_D, C4_PITCH = 90.0, 150.0
LINE = 0.5  # wires a little above the 0.4 um minimum: 45° corners snap to the 1 nm grid

INTERPOSER_AT = trans_at(1500, 1500)
ASIC_AT = trans_at(4400, 2700)
HBM_AT = [
    trans_at(2300, 3200),
    kdb.Trans(2, False, kdb.DVector(10500, 6200).to_itype(DBU)),
]  # rotated 180°
FIDUCIALS = [(1800, 1800), (11200, 1800), (1800, 7600), (11200, 7600)]
BUS_ROWS = (3600, 4100, 4600, 5100)


# micro-bump fields in die coordinates: die-to-die fields at the facing edges, power in the core
ASIC_FIELDS = [
    Field((40, 820), (9, 60), 40),
    Field((3640, 820), (9, 60), 40),
    Field((600, 200), (45, 6), 60, staggered=True),
]
HBM_FIELDS = [Field((1680, 320), (8, 60), 40)]
# TSV fields in the package frame: under the ASIC core and under each HBM stack
TSV_FIELDS = [
    Field((5600, 3900), (30, 30), 50),
    Field((2800, 3800), (15, 20), 60, staggered=True),
    Field((9000, 3800), (15, 20), 50),
]
DTC_BLOCKS = [(4900, 3900, 5500, 5300), (7150, 3900, 8000, 5300)]


def build(dirty: bool = False) -> tuple[kdb.Layout, list[Planted]]:
    """The package layout and, for the dirty variant, what was planted."""
    layout, layers, top = new_layout(LAYERS, TOP)
    top.shapes(layers["PKG"]).insert(box(0, 0, 13000, 9400))
    cells = _library(layout, layers)
    placements = [(cells["asic"], ASIC_AT)] + [(cells["hbm"], at) for at in HBM_AT]
    for die, at in placements:
        top.insert(kdb.CellInstArray(die.cell_index(), at))
    interposer = _interposer(layout, layers, cells, placements, dirty)
    top.insert(kdb.CellInstArray(interposer.cell_index(), INTERPOSER_AT))
    planted = _plant(top, cells, layers) if dirty else []
    return layout, planted


def _library(layout: kdb.Layout, layers: dict[str, int]) -> dict[str, kdb.Cell]:
    bump = layout.create_cell("UBUMP20")
    bump.shapes(layers["UBUMP"]).insert(octagon(BUMP))
    pad = layout.create_cell("IP_PAD26")
    pad.shapes(layers["IP_PAD"]).insert(box(-PAD / 2, -PAD / 2, PAD / 2, PAD / 2))
    tsv = _tsv_cell(layout, layers, "TSV10", TSV_D, TSV_PAD)
    c4 = layout.create_cell("C4_90")
    c4.shapes(layers["C4"]).insert(octagon(C4_D))
    asic = layout.create_cell("ASIC")
    asic.shapes(layers["ASIC"]).insert(box(0, 0, 4000, 4000))
    hbm = layout.create_cell("HBM")
    hbm.shapes(layers["HBM"]).insert(box(0, 0, 2000, 3000))
    for die, fields in ((asic, ASIC_FIELDS), (hbm, HBM_FIELDS)):
        for field in fields:
            for inst in field.arrays(bump):
                die.insert(inst)
            die.shapes(layers["UFIELD"]).insert(field.outline())
    return {"bump": bump, "pad": pad, "tsv": tsv, "c4": c4, "asic": asic, "hbm": hbm}


def _tsv_cell(
    layout: kdb.Layout, layers: dict[str, int], name: str, diameter: float, landing: float
) -> kdb.Cell:
    """A TSV with its square M1 landing pad."""
    cell = layout.create_cell(name)
    cell.shapes(layers["TSV"]).insert(circle(diameter))
    cell.shapes(layers["IP_M1"]).insert(box(-landing / 2, -landing / 2, landing / 2, landing / 2))
    return cell


def _interposer(
    layout: kdb.Layout,
    layers: dict[str, int],
    cells: dict[str, kdb.Cell],
    placements: list[tuple[kdb.Cell, kdb.Trans]],
    dirty: bool,
) -> kdb.Cell:
    """The interposer cell; everything is given in the package frame and moved into it."""
    interposer = layout.create_cell("INTERPOSER")
    local = INTERPOSER_AT.inverted()
    shapes = lambda name: interposer.shapes(layers[name])  # noqa: E731
    shapes("INTERPOSER").insert(box(1500, 1500, 11500, 7900).transformed(local))
    for die, at in placements:  # a pad under every bump, wherever the die is placed
        for inst in die.each_inst():
            pads = inst.cell_inst.dup()
            pads.cell_index = cells["pad"].cell_index()
            interposer.insert(pads.transformed(at).transformed(local))
    for field in TSV_FIELDS:
        for tsvs in field.arrays(cells["tsv"]):
            interposer.insert(tsvs.transformed(local))
    c4 = array(cells["c4"], (1700, 1700), (C4_PITCH, C4_PITCH), (64, 41))
    interposer.insert(c4.transformed(local))
    for block in DTC_BLOCKS:
        shapes("DTC").insert(box(*block).transformed(local))
    for y in BUS_ROWS:  # M2 from the left HBM to the ASIC, M1 from the ASIC to the right HBM
        for layer, x in (("IP_M2", 3900), ("IP_M1", 8050)):
            for line in bus((x, y), 850, x + 430, 20, 64, 1.0):
                shapes(layer).insert(path(line, LINE).transformed(local))
    fiducials = [FIDUCIALS[0], (6500, 7000)] if dirty else FIDUCIALS
    for x, y in fiducials:
        shapes("FIDUCIAL").insert(box(x - 50, y - 10, x + 50, y + 10).transformed(local))
        shapes("FIDUCIAL").insert(box(x - 10, y - 50, x + 10, y + 50).transformed(local))
    for x, y in FIDUCIALS:
        shapes("KOZ").insert(box(x - 200, y - 200, x + 200, y + 200).transformed(local))
    return interposer


def _plant(top: kdb.Cell, cells: dict[str, kdb.Cell], layers: dict[str, int]) -> list[Planted]:
    planter = Planter(top, cells, layers)
    shapes, place, plant = planter.shapes, planter.place, planter.plant

    shapes("ASIC").insert(box(2400, 2700, 2900, 3170))
    plant("PKG.D2D.GAP", 2650, 3185, "die 30 um from an HBM stack")
    shapes("HBM").insert(box(6000, 1700, 7000, 2400))
    plant("PKG.HBM.D", 6500, 2550, "HBM stack 300 um from the ASIC")
    plant("PKG.FID.N", 6500, 4700, "two fiducials only")
    plant("PKG.FID.D", 6500, 6825, "fiducial 250 um from the ASIC")
    shapes("ASIC").insert(box(8800, 7500, 9400, 7850))
    plant("DIE.ENC", 9100, 7875, "die 50 um from the interposer edge")
    for layer, x in (("IP_M1", 3000), ("IP_M2", 3300)):
        rule = layer.replace("_", ".")
        shapes(layer).insert(box(x, 2000, x + 100, 2000.3))
        plant(f"{rule}.W", x + 50, 2000.15, f"{layer} line 0.3 um wide")
        shapes(layer).insert(box(x, 2100, x + 100, 2100.5))
        shapes(layer).insert(box(x, 2100.8, x + 100, 2101.3))
        plant(f"{rule}.S", x + 50, 2100.65, f"{layer} lines 0.3 um apart")
    for x in (3600, 3630):
        place("bump", x, 2200)
        place("pad", x, 2200)
    plant("UB.P", 3615, 2200, "two micro-bumps 30 um apart")
    shapes("UBUMP").insert(octagon(24, 3800, 2200))
    place("pad", 3800, 2200)
    plant("UB.SZ", 3800, 2200, "24 um micro-bump")
    place("bump", 4000, 2200)
    place("pad", 4003, 2200)
    plant("UB.ALIGN", 4001.5, 2200, "micro-bump 3 um off its pad")
    shapes("UFIELD").insert(box(4200, 1700, 4600, 2100))
    for cell in (cells["bump"], cells["pad"]):
        top.insert(array(cell, (4240, 1740), (80, 80), (5, 5)))
    plant("UB.DEN", 4400, 1900, "bump field at 80 um pitch: 156 bumps/mm2")
    place(_tsv_cell(top.layout(), layers, "TSV14", 14, 20), 5000, 2000)
    plant("TSV.SZ", 5000, 2000, "14 um TSV")
    for x in (5200, 5230):
        place("tsv", x, 2000)
    plant("TSV.P", 5215, 2000, "two TSVs 30 um apart")
    # facing gaps a hair under the limit: only the TSV's two edges at its nearest vertex are in
    place("tsv", 5400, 2000)
    shapes("DTC").insert(box(5370, 1950, 5430, 2000 - TSV_D / 2 - 9.97))
    plant("TSV.KOZ", 5400, 1990, "capacitor 9.97 um from a TSV")
    shapes("TSV").insert(circle(TSV_D, 5600, 2000))
    left = 5600 - TSV_D / 2 - 1.97
    shapes("IP_M1").insert(box(left, 2000 - TSV_PAD / 2, left + TSV_PAD, 2000 + TSV_PAD / 2))
    plant("TSV.ENC", 5594, 2000, "TSV 1.97 um from its landing pad edge")
    place("c4", 11270, 4700)
    plant("C4.P", 11210, 4700, "C4 bump 120 um from its neighbour")
    shapes("IP_M2").insert(box(1900, 1900, 2100, 1901))
    plant("KOZ.1", 1950, 1900.5, "M2 line into a fiducial keep-out")
    return planter.planted
