"""A FOCoS-CL (chip-last) package: an ASIC between two HBM stacks (the right one rotated 180°)
flip-chip bonded onto the RDL through Cu micro-bumps: die-to-die bump fields at 40 um pitch
(the east one a mirrored copy of the west), a staggered power field in the ASIC centre,
55 um fields on the HBM stacks, a landing pad with its opening under every bump, and
2.4 um RDL buses jogging at 45° across the die gaps. Matches ``rules/focos_cl.adk``.

Clean by default; ``dirty=True`` plants violations and lists them (rule id, where, what).
All coordinates are in µm; the package is 12 mm x 9 mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import klayout.db as kdb

from adk.examples.geometry import (
    DBU,
    array,
    box,
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
    "RDL1": (10, 0),
    "RDL2": (11, 0),
    "VIA1": (12, 0),
    "PAD": (20, 0),
    "PO": (21, 0),
    "UBUMP": (30, 0),
    "FIELD": (31, 0),
}
TOP = "FOCOS_CL_PKG"
WIDTH, HEIGHT = 12000.0, 9000.0
BUMP, PAD, OPENING = 25.0, 33.0, 24.0
LINE = 2.4  # RDL lines a little above the 2 um minimum: 45° corners snap to the 1 nm grid
ASIC_AT = trans_at(3500, 2000)
HBM_LEFT_AT = trans_at(1900, 3000)
HBM_RIGHT_AT = trans_at(10100, 6000, 2)  # rotated 180°
FIDUCIALS = [(400, 400), (11600, 400), (400, 8600), (11600, 8600)]
# mirrors the ASIC at its vertical centre line: the east bump field is the west one mirrored
ASIC_MIRROR = kdb.Trans(2, True, kdb.DVector(5000, 0).to_itype(DBU))


@dataclass(frozen=True)
class Field:
    """A bump array in die coordinates: origin, step, counts, and a mirror to place it with."""

    origin: tuple[float, float]
    step: float
    counts: tuple[int, int]
    mirror: kdb.Trans | None = None

    def placement(self, bump: kdb.Cell) -> kdb.CellInstArray:
        placed = array(bump, self.origin, (self.step, self.step), self.counts)
        return placed if self.mirror is None else placed.transformed(self.mirror)


WEST = Field((60, 1520), 40, (20, 50))
ASIC_FIELDS = [
    WEST,
    Field(WEST.origin, WEST.step, WEST.counts, ASIC_MIRROR),
    Field((1500, 1000), 80, (26, 38)),
    Field((1540, 1040), 80, (25, 37)),
]
ASIC_OUTLINES = [(40, 1500, 840, 3500), (4160, 1500, 4960, 3500), (1480, 980, 3520, 3980)]
HBM_FIELDS = [Field((227.5, 427.5), 55, (20, 40))]
HBM_OUTLINES = [(207.5, 407.5, 1292.5, 2592.5)]


def build(dirty: bool = False) -> tuple[kdb.Layout, list[Planted]]:
    """The package layout and, for the dirty variant, what was planted."""
    layout, layers, top = new_layout(LAYERS, TOP)
    cells = _library(layout, layers)
    _place_dies(top, cells, layers)
    _route(top, layers)
    package_marks(
        top,
        layers,
        (WIDTH, HEIGHT),
        FIDUCIALS,
        keep_out=500,
        crosses=[FIDUCIALS[0], (1450, 4500)] if dirty else FIDUCIALS,
    )
    planted = _plant(top, cells, layers) if dirty else []
    return layout, planted


def _library(layout: kdb.Layout, layers: dict[str, int]) -> dict[str, kdb.Cell]:
    bump = layout.create_cell("UBUMP25")
    bump.shapes(layers["UBUMP"]).insert(octagon(BUMP))
    pad = layout.create_cell("PAD33")
    pad.shapes(layers["PAD"]).insert(octagon(PAD))
    pad.shapes(layers["PO"]).insert(octagon(OPENING))
    asic = layout.create_cell("ASIC")
    asic.shapes(layers["ASIC"]).insert(box(0, 0, 5000, 5000))
    hbm = layout.create_cell("HBM")
    hbm.shapes(layers["HBM"]).insert(box(0, 0, 1500, 3000))
    return {"bump": bump, "pad": pad, "asic": asic, "hbm": hbm}


def _place_dies(top: kdb.Cell, cells: dict[str, kdb.Cell], layers: dict[str, int]) -> None:
    """Dies hold their bump fields; the package holds a landing pad under every bump and the
    field outlines."""
    for die, fields in ((cells["asic"], ASIC_FIELDS), (cells["hbm"], HBM_FIELDS)):
        for field in fields:
            die.insert(field.placement(cells["bump"]))
    for die, placement, fields, outlines in (
        (cells["asic"], ASIC_AT, ASIC_FIELDS, ASIC_OUTLINES),
        (cells["hbm"], HBM_LEFT_AT, HBM_FIELDS, HBM_OUTLINES),
        (cells["hbm"], HBM_RIGHT_AT, HBM_FIELDS, HBM_OUTLINES),
    ):
        top.insert(kdb.CellInstArray(die.cell_index(), placement))
        for field in fields:
            top.insert(field.placement(cells["pad"]).transformed(placement))
        for outline in outlines:
            top.shapes(layers["FIELD"]).insert(box(*outline).transformed(placement))


def _route(top: kdb.Cell, layers: dict[str, int]) -> None:
    """Die-to-die buses at 7 um pitch: RDL1 to the left HBM, RDL2 to the right one, the RDL2
    lines starting on vias staggered in two columns."""
    for k in range(80):
        y = 3800 + 7 * k
        top.shapes(layers["RDL1"]).insert(
            path([(3900, y), (3480, y), (3420, y - 60), (3000, y - 60)], LINE)
        )
        start = 8100 + 10 * (k % 2)
        top.shapes(layers["RDL2"]).insert(
            path([(start, y), (8520, y), (8580, y + 60), (9100, y + 60)], LINE)
        )
        _via(top, layers, start, y)


def _via(top: kdb.Cell, layers: dict[str, int], x: float, y: float, rdl1_dx: float = 0.0) -> None:
    """A 3 um via with 7 um pads on RDL1 and RDL2, the RDL1 pad moved by its offset."""
    top.shapes(layers["VIA1"]).insert(box(x - 1.5, y - 1.5, x + 1.5, y + 1.5))
    top.shapes(layers["RDL1"]).insert(box(x + rdl1_dx - 3.5, y - 3.5, x + rdl1_dx + 3.5, y + 3.5))
    top.shapes(layers["RDL2"]).insert(box(x - 3.5, y - 3.5, x + 3.5, y + 3.5))


def _bump(
    top: kdb.Cell,
    layers: dict[str, int],
    x: float,
    y: float,
    bump: float = BUMP,
    pad: float = PAD,
    shift: tuple[float, float] = (0.0, 0.0),
) -> None:
    """A bump at (x, y) on a pad with its opening; ``shift`` (bump dx, opening dx) moves the
    bump and the opening off the pad centre."""
    top.shapes(layers["UBUMP"]).insert(octagon(bump, x + shift[0], y))
    top.shapes(layers["PAD"]).insert(octagon(pad, x, y))
    top.shapes(layers["PO"]).insert(octagon(OPENING, x + shift[1], y))


def _plant(top: kdb.Cell, cells: dict[str, kdb.Cell], layers: dict[str, int]) -> list[Planted]:
    planter = Planter(top, cells, layers)
    shapes, place, plant = planter.shapes, planter.place, planter.plant

    shapes("RDL1").insert(box(4000, 1000, 4200, 1001.6))
    plant("RDL1.W", 4100, 1000.8, "RDL1 line 1.6 um wide")
    shapes("RDL1").insert(box(4000, 1100, 4200, 1102.4))
    shapes("RDL1").insert(box(4000, 1103.9, 4200, 1106.3))
    plant("RDL1.S", 4100, 1103.15, "RDL1 lines 1.5 um apart")
    shapes("RDL2").insert(box(4400, 1000, 4600, 1001.6))
    plant("RDL2.W", 4500, 1000.8, "RDL2 line 1.6 um wide")
    shapes("RDL2").insert(box(4400, 1100, 4600, 1102.4))
    shapes("RDL2").insert(box(4400, 1103.9, 4600, 1106.3))
    plant("RDL2.S", 4500, 1103.15, "RDL2 lines 1.5 um apart")
    _via(top, layers, 4800, 1000, rdl1_dx=1)
    plant("VIA1.ENC", 4797.25, 1000, "RDL1 pad 0.5 um beyond VIA1 on one side")
    _bump(top, layers, 4500, 6500)
    _bump(top, layers, 4530, 6500)
    plant("UB.P", 4515, 6500, "two micro-bumps 30 um apart")
    _bump(top, layers, 4800, 6500, bump=30, pad=38)
    plant("UB.SZ", 4800, 6500, "30 um micro-bump")
    _bump(top, layers, 5100, 6500, shift=(1.2, 0))
    for y in (6495, 6505):  # the thin side's two ends, where the diagonal sides meet it
        plant("UB.PAD", 5115, y, "micro-bump 1.2 um off its pad centre")
    _bump(top, layers, 5400, 6500, shift=(0, 2))
    for y in (6495, 6505):
        plant("PAD.PO", 5415, y, "opening 2 um off its pad centre")
    place("pad", 5700, 6500)
    plant("UB.ALIGN", 5700, 6500, "pad with no micro-bump on it")
    shapes("FIELD").insert(box(6000, 6200, 6400, 6600))
    top.insert(array(cells["bump"], (6040, 6240), (80, 80), (5, 5)))
    top.insert(array(cells["pad"], (6040, 6240), (80, 80), (5, 5)))
    plant("UB.DEN", 6200, 6400, "bump field at 80 um pitch: 156 bumps/mm2")
    _bump(top, layers, 7000, 6967.5)
    plant("UB.EDGE", 7000, 6990, "micro-bump 20 um from the ASIC edge")
    _io_die(top, cells, layers)
    plant("UB.IO", 1400, 1400, "I/O die with 100 micro-bumps")
    shapes("RDL1").insert(box(100, 395, 700, 397.4))
    plant("KOZ.1", 400, 396.2, "RDL1 line through a fiducial keep-out")
    shapes("HBM").insert(box(5000, 7030, 6000, 7500))
    plant("PKG.D2D.GAP", 5500, 7015, "HBM stack 30 um from the ASIC")
    shapes("HBM").insert(box(9000, 7200, 10000, 8000))
    plant("PKG.HBM.D", 8750, 7100, "HBM stack 540 um from the ASIC")
    plant("PKG.FID.N", 6000, 4500, "two fiducials only")
    plant("PKG.FID.D", 1700, 4500, "fiducial 400 um from an HBM stack")
    return planter.planted


def _io_die(top: kdb.Cell, cells: dict[str, kdb.Cell], layers: dict[str, int]) -> None:
    """A small logic die with a 10 x 10 bump field, short of the I/O count."""
    die = top.layout().create_cell("IO_DIE")
    die.shapes(layers["ASIC"]).insert(box(0, 0, 800, 800))
    die.insert(array(cells["bump"], (130, 130), (60, 60), (10, 10)))
    top.insert(kdb.CellInstArray(die.cell_index(), trans_at(1000, 1000)))
    top.insert(array(cells["pad"], (1130, 1130), (60, 60), (10, 10)))
