"""A FOCoS-CF (chip-first) package: two logic chiplets (the second a mirrored copy of the
first) and a memory die (on the HBM layer) molded side by side, their pads tied to RDL1
through Cu vias in staggered columns, 2.4 um die-to-die buses jogging at 45° across the
gaps, a ground mesh on RDL2, and C4 bumps to the substrate in a regular and a staggered,
rotated field. Matches ``rules/focos_cf.adk``.

Clean by default; ``dirty=True`` plants violations and lists them (rule id, where, what).
All coordinates are in µm; the package is 10 mm x 8 mm.
"""

from __future__ import annotations

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
    "DPAD": (22, 0),
    "VIA0": (13, 0),
    "RDL1": (10, 0),
    "VIA1": (12, 0),
    "RDL2": (11, 0),
    "C4": (40, 0),
}
TOP = "FOCOS_CF_PKG"
WIDTH, HEIGHT = 10000.0, 8000.0
LINE = 2.4  # RDL lines a little above the 2 um minimum: 45° corners snap to the 1 nm grid
DPAD, VIA0, CAPTURE = 12.0, 6.0, 11.0  # die pad, die via, its RDL1 capture pad
C4_D = 90.0
MESH_PITCH, MESH_STRAP, TILE = 50.0, 20.0, 1000.0
CHIPLET_A = trans_at(1000, 1500)
CHIPLET_B = kdb.Trans(2, True, kdb.DVector(7680, 1540).to_itype(DBU))  # mirrored at the y axis
MEMORY_AT = trans_at(7780, 1500)
FIDUCIALS = [(400, 400), (9600, 400), (400, 7600), (9600, 7600)]
# (origin, counts) of the die pad columns in die coordinates, pads 20 um apart in a column;
# the second column of each pair is staggered by half a pad pitch. A chiplet's right columns
# face the other chiplet, its left ones the memory die (in the mirrored copy)
CHIPLET_PADS = [((3270, 1500), 100), ((3255, 1510), 100), ((30, 2000), 50), ((45, 2010), 50)]
MEMORY_PADS = [((30, 2000), 50), ((45, 2010), 50)]
LEFT_OUT = (1, 6)  # the mesh tile (column, row) the dirty example leaves out


def build(dirty: bool = False) -> tuple[kdb.Layout, list[Planted]]:
    """The package layout and, for the dirty variant, what was planted."""
    layout, layers, top = new_layout(LAYERS, TOP)
    cells = _library(layout, layers)
    _place_dies(top, cells)
    _route(top, cells, layers)
    _mesh(top, layers, missing=LEFT_OUT if dirty else None)
    _c4(top, cells)
    package_marks(
        top,
        layers,
        (WIDTH, HEIGHT),
        FIDUCIALS,
        keep_out=500,
        crosses=[FIDUCIALS[0], (500, 4000)] if dirty else FIDUCIALS,
    )
    planted = _plant(top, cells, layers) if dirty else []
    return layout, planted


def _library(layout: kdb.Layout, layers: dict[str, int]) -> dict[str, kdb.Cell]:
    dpad = layout.create_cell("DPAD12")
    dpad.shapes(layers["DPAD"]).insert(_square(DPAD))
    stack = layout.create_cell("VIA0_STACK")  # the Cu via and its RDL1 capture pad
    stack.shapes(layers["VIA0"]).insert(_square(VIA0))
    stack.shapes(layers["RDL1"]).insert(_square(CAPTURE))
    ground = layout.create_cell("GND_VIA")  # RDL1 to the RDL2 ground mesh
    ground.shapes(layers["VIA1"]).insert(_square(10))
    ground.shapes(layers["RDL1"]).insert(_square(16))
    c4 = layout.create_cell("C4_90")
    c4.shapes(layers["C4"]).insert(octagon(C4_D))
    chiplet = layout.create_cell("CHIPLET")
    chiplet.shapes(layers["ASIC"]).insert(box(0, 0, 3300, 5000))
    memory = layout.create_cell("MEMORY")
    memory.shapes(layers["HBM"]).insert(box(0, 0, 1200, 5000))
    return {
        "dpad": dpad,
        "stack": stack,
        "ground": ground,
        "c4": c4,
        "chiplet": chiplet,
        "memory": memory,
    }


def _square(side: float, cx: float = 0.0, cy: float = 0.0) -> kdb.Box:
    return box(cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)


def _place_dies(top: kdb.Cell, cells: dict[str, kdb.Cell]) -> None:
    """Dies hold their pads; the vias on them are the package's, placed over each pad."""
    for die, pads in ((cells["chiplet"], CHIPLET_PADS), (cells["memory"], MEMORY_PADS)):
        for origin, count in pads:
            die.insert(array(cells["dpad"], origin, (20, 20), (1, count)))
    for die, placement in (
        (cells["chiplet"], CHIPLET_A),
        (cells["chiplet"], CHIPLET_B),
        (cells["memory"], MEMORY_AT),
    ):
        top.insert(kdb.CellInstArray(die.cell_index(), placement))
        for origin, count in CHIPLET_PADS if die is cells["chiplet"] else MEMORY_PADS:
            vias = array(cells["stack"], origin, (20, 20), (1, count))
            top.insert(vias.transformed(placement))


def _bus(
    top: kdb.Cell,
    layer: int,
    starts: list[tuple[float, float]],
    end_x: float,
    jog: tuple[float, float],
    rise: float,
) -> None:
    """Lines from ``starts`` to ``end_x``, each stepping by ``rise`` at 45° between jog x's."""
    for x, y in starts:
        top.shapes(layer).insert(
            path([(x, y), (jog[0], y), (jog[1], y + rise), (end_x, y + rise)], LINE)
        )


def _route(top: kdb.Cell, cells: dict[str, kdb.Cell], layers: dict[str, int]) -> None:
    """Die-to-die buses on RDL1 (one line per pad, 10 um pitch) and ground vias to the mesh."""
    rdl1 = layers["RDL1"]
    for x, end, y0 in ((4270, 4410, 3000), (4255, 4425, 3010)):  # chiplet A to chiplet B
        _bus(top, rdl1, [(x, y0 + 20 * k) for k in range(100)], end, (4320, 4360), 40)
    for x, end, y0 in ((7650, 7810, 3540), (7635, 7825, 3550)):  # chiplet B to memory
        _bus(top, rdl1, [(x, y0 + 20 * k) for k in range(50)], end, (7700, 7740), -40)
    for x in (2010, 5010):  # over mesh crossings, which are 50 um apart
        top.insert(array(cells["ground"], (x, 3010), (200, 200), (8, 8)))


def _mesh(top: kdb.Cell, layers: dict[str, int], missing: tuple[int, int] | None) -> None:
    """The RDL2 ground mesh in 1 mm tiles: 20 um straps at 50 um pitch (63 % metal),
    cut back around the fiducial keep-outs. Tiles stand 10 um apart, each tied to ground
    through its own vias: many small polygons check far faster than one with 30,000 holes."""
    layout = top.layout()
    tile = layout.create_cell("MESH_TILE")
    straps = kdb.Region()
    end = TILE - 10
    for k in range(int(TILE / MESH_PITCH)):
        low = k * MESH_PITCH
        straps.insert(box(low, 0, low + MESH_STRAP, end))
        straps.insert(box(0, low, end, low + MESH_STRAP))
    straps.merge()
    tile.shapes(layers["RDL2"]).insert(straps)
    cuts = {(int(x // TILE), int(y // TILE)): (x % TILE, y % TILE) for x, y in FIDUCIALS}
    for i in range(int(WIDTH / TILE)):
        for j in range(int(HEIGHT / TILE)):
            if (i, j) == missing:
                continue
            at = trans_at(i * TILE, j * TILE)
            if (i, j) in cuts:
                x, y = cuts[(i, j)]
                corner = layout.create_cell(f"MESH_TILE_{i}_{j}")
                corner.shapes(layers["RDL2"]).insert(straps - kdb.Region(_square(580, x, y)))
                top.insert(kdb.CellInstArray(corner.cell_index(), at))
            else:
                top.insert(kdb.CellInstArray(tile.cell_index(), at))


def _c4(top: kdb.Cell, cells: dict[str, kdb.Cell]) -> None:
    """A regular C4 field on the left; on the right a staggered one, two interleaved arrays
    placed rotated by 90°, with a channel between the fields."""
    top.insert(array(cells["c4"], (700, 700), (150, 150), (28, 45)))
    rotated = kdb.Trans(1, False, 0, 0)
    top.insert(array(cells["c4"], (5350, 700), (150, 260), (27, 26), rotated))
    top.insert(array(cells["c4"], (5425, 830), (150, 260), (27, 25), rotated))


def _via0(
    top: kdb.Cell,
    layers: dict[str, int],
    x: float,
    y: float,
    pad_dx: float = 0.0,
    capture_dx: float = 0.0,
) -> None:
    """A die via on its pad with its capture pad, either pad moved by its offset."""
    top.shapes(layers["VIA0"]).insert(_square(VIA0, x, y))
    top.shapes(layers["DPAD"]).insert(_square(DPAD, x + pad_dx, y))
    top.shapes(layers["RDL1"]).insert(_square(CAPTURE, x + capture_dx, y))


def _plant(top: kdb.Cell, cells: dict[str, kdb.Cell], layers: dict[str, int]) -> list[Planted]:
    planter = Planter(top, cells, layers)
    shapes, place, plant = planter.shapes, planter.place, planter.plant

    shapes("RDL1").insert(box(1500, 5500, 1700, 5501.6))
    plant("RDL1.W", 1600, 5500.8, "RDL1 line 1.6 um wide")
    shapes("RDL1").insert(box(1500, 5600, 1700, 5602.4))
    shapes("RDL1").insert(box(1500, 5603.9, 1700, 5606.3))
    plant("RDL1.S", 1600, 5603.15, "RDL1 lines 1.5 um apart")
    shapes("RDL2").insert(box(1525, 5734.25, 1545, 5735.75))  # in a mesh opening
    plant("RDL2.W", 1535, 5735, "RDL2 line 1.5 um wide")
    shapes("RDL2").insert(box(1625, 5730, 1645, 5732.4))
    shapes("RDL2").insert(box(1625, 5733.9, 1645, 5736.3))
    plant("RDL2.S", 1635, 5733.15, "RDL2 lines 1.5 um apart")
    plant(
        "RDL2.DEN",
        (LEFT_OUT[0] + 0.5) * TILE,
        (LEFT_OUT[1] + 0.5) * TILE,
        "a 1 mm tile of the ground mesh left out",
    )
    shapes("RDL2").insert(box(8000, 1000, 8990, 1990))  # over a tile, as far as it goes
    plant("RDL2.DEN", 8500, 1500, "solid RDL2 plate over a mesh tile")
    _via0(top, layers, 1500, 5000, pad_dx=2)
    plant("VIA0.PAD", 1496.5, 5000, "die pad 1 um beyond VIA0 on one side")
    _via0(top, layers, 1600, 5000, capture_dx=2)
    plant("VIA0.ENC", 1596.75, 5000, "capture pad 0.5 um beyond VIA0 on one side")
    shapes("VIA1").insert(_square(10, 1760, 5010))
    shapes("RDL1").insert(_square(16, 1762, 5010))
    plant("VIA1.ENC", 1754.5, 5010, "RDL1 pad 1 um beyond VIA1 on one side")
    _via0(top, layers, 3500, 1513)
    plant("DIE.EDGE", 3500, 1505, "die via 10 um inside the chiplet edge")
    shapes("ASIC").insert(box(1000, 6550, 2000, 7000))
    plant("DIE.GAP", 1500, 6525, "chiplet 50 um from another")
    shapes("ASIC").insert(box(8000, 6530, 8900, 6900))
    plant("PKG.D2D.GAP", 8450, 6515, "chiplet 30 um from the memory die")
    plant("DIE.GAP", 8450, 6515, "chiplet 30 um from the memory die")
    shapes("HBM").insert(box(2000, 200, 3000, 900))
    plant("PKG.HBM.D", 2500, 1200, "memory die 600 um from the chiplets")
    for y in (2000, 2100):
        place("c4", 5050, y)
    plant("C4.P", 5050, 2050, "two C4 bumps 100 um apart")
    shapes("C4").insert(octagon(110, 5050, 3000))
    plant("C4.SZ", 5050, 3000, "110 um C4 bump")
    shapes("RDL1").insert(box(100, 395, 700, 397.4))
    plant("KOZ.1", 400, 396.2, "RDL1 line through a fiducial keep-out")
    plant("PKG.FID.N", 5000, 4000, "two fiducials only")
    plant("PKG.FID.D", 775, 4000, "fiducial 450 um from a chiplet")
    return planter.planted
