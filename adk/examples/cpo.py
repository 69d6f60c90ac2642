"""A co-packaged optics package: a host ASIC with two HBM stacks (one rotated 180°) and four
optical engines at the package edges, two of each architecture. A Photonic 3D engine has its
PIC below, with TSV fields, and the EIC bumped onto it; a Photonic FOPoP engine has its EIC
molded in a fan-out package with a staggered double column of through-mold vias, and the PIC
bumped on top. Each engine has a laser die at the PIC's facet and a FAU on V-grooves at its
optical edge, aligned by marks on FAU and PIC. The right-hand engines are placed mirrored and
rotated 180°, so their optical edges face the right package edge. Micro-bump fields (one
staggered) are cell arrays. Matches ``rules/cpo.adk``.

Clean by default; ``dirty=True`` plants violations and lists them (rule id, where, what).
All coordinates are in µm in the package frame, or in an engine's frame (its optical edge at
the left) where they say so; the package is 16 mm x 11 mm.
"""

from __future__ import annotations

import klayout.db as kdb

from adk.examples.geometry import (
    DBU,
    Field,
    box,
    circle,
    new_layout,
    octagon,
    package_marks,
    trans_at,
)
from adk.examples.planted import Planted, Planter

LAYERS = {
    "PKG": (2, 0),
    "ASIC": (1, 1),
    "HBM": (1, 2),
    "FIDUCIAL": (80, 0),
    "EIC": (1, 3),
    "PIC": (1, 4),
    "PIC_UP": (1, 5),
    "LASER": (1, 6),
    "FAU": (5, 0),
    "ENGINE": (6, 0),
    "VGROOVE": (7, 0),
    "PAD": (20, 0),
    "UBUMP": (30, 0),
    "TMV": (60, 0),
    "TSV": (65, 0),
    "PIC_MARK": (70, 0),
    "FAU_MARK": (71, 0),
}
TOP = "CPO_PKG"
BUMP, PAD = 15.0, 20.0
TSV_D, TMV_D = 10.0, 60.0

ASIC_AT = trans_at(5500, 3000)
HBM_AT = [trans_at(6500, 8100), trans_at(9500, 2900, 2)]  # rotated 180°
ENGINE_3D_AT = [
    trans_at(200, 6200),
    kdb.Trans(2, True, kdb.DVector(15800, 1500).to_itype(DBU)),
]  # mirrored in x
ENGINE_FOPOP_AT = [trans_at(200, 1500), trans_at(15800, 9000, 2)]  # rotated 180°
FIDUCIALS = [(400, 400), (15600, 400), (400, 10600), (15600, 10600)]

# engine frame: the FAU at the optical edge overlaps the PIC and its V-grooves; alignment
# marks sit where FAU and PIC overlap
ENGINE = (0, 0, 3600, 2800)
FAU = (0, 800, 1200, 1800)
VGROOVE = (1000, 900, 1300, 1700)
MARKS = [(1100, 850), (1100, 1750)]
PIC_3D, PIC_UP = (1000, 200, 3400, 2400), (1000, 300, 3400, 2300)
EIC_3D_AT = trans_at(1900, 600)
EIC_FO = (1700, 700, 3000, 2000)
LASER = (0, 0, 600, 180)
BUMP_FIELDS = [Field((2000, 800), (20, 20), 30), Field((2700, 1300), (10, 10), 40, staggered=True)]
TSV_FIELDS = [Field((1950, 330), (30, 6), 40), Field((1950, 2100), (30, 5), 40)]
# a row under the EIC and a staggered double column beside it
TMV_ROWS = [((1700, 450), (150, 0), 9), ((3150, 450), (0, 150), 13), ((3300, 525), (0, 150), 12)]


def build(dirty: bool = False) -> tuple[kdb.Layout, list[Planted]]:
    """The package layout and, for the dirty variant, what was planted."""
    layout, layers, top = new_layout(LAYERS, TOP)
    cells = _library(layout, layers)
    for cell, placements in (
        (cells["asic"], [ASIC_AT]),
        (cells["hbm"], HBM_AT),
        (_engine_3d(layout, layers, cells), ENGINE_3D_AT),
        (_engine_fopop(layout, layers, cells), ENGINE_FOPOP_AT),
    ):
        for at in placements:
            top.insert(kdb.CellInstArray(cell.cell_index(), at))
    package_marks(
        top,
        layers,
        (16000, 11000),
        FIDUCIALS,  # no KOZ layer: no keep-outs
        crosses=[FIDUCIALS[0], (10800, 5000)] if dirty else FIDUCIALS,
    )
    planted = _plant(top, cells, layers) if dirty else []
    return layout, planted


def cross(cx: float, cy: float) -> kdb.Polygon:
    """An alignment cross, 40 um across with 8 um arms, as one polygon."""
    a, w = 20.0, 4.0
    points = [
        (w, w),
        (w, a),
        (-w, a),
        (-w, w),
        (-a, w),
        (-a, -w),
        (-w, -w),
        (-w, -a),
        (w, -a),
        (w, -w),
        (a, -w),
        (a, w),
    ]
    return kdb.DPolygon([kdb.DPoint(cx + x, cy + y) for x, y in points]).to_itype(DBU)


def _library(layout: kdb.Layout, layers: dict[str, int]) -> dict[str, kdb.Cell]:
    def cell(name: str, layer: str, shape: kdb.Box | kdb.Polygon) -> kdb.Cell:
        made = layout.create_cell(name)
        made.shapes(layers[layer]).insert(shape)
        return made

    cells = {
        "bump": cell("UBUMP15", "UBUMP", octagon(BUMP)),
        "pad": cell("PAD20", "PAD", box(-PAD / 2, -PAD / 2, PAD / 2, PAD / 2)),
        "tsv": cell("TSV10", "TSV", circle(TSV_D)),
        "tmv": cell("TMV60", "TMV", circle(TMV_D)),
        "laser": cell("LASER", "LASER", box(*LASER)),
        "fau": cell("FAU", "FAU", box(*FAU)),
        "asic": cell("ASIC", "ASIC", box(0, 0, 5000, 5000)),
        "hbm": cell("HBM", "HBM", box(0, 0, 3000, 1500)),
    }
    for x, y in MARKS:
        cells["fau"].shapes(layers["FAU_MARK"]).insert(cross(x, y))
    return cells


def _pic(
    layout: kdb.Layout,
    layers: dict[str, int],
    name: str,
    layer: str,
    outline: tuple[float, float, float, float],
) -> kdb.Cell:
    """A PIC in the engine frame: outline, V-grooves at its optical edge, alignment marks."""
    pic = layout.create_cell(name)
    pic.shapes(layers[layer]).insert(box(*outline))
    pic.shapes(layers["VGROOVE"]).insert(box(*VGROOVE))
    for x, y in MARKS:
        pic.shapes(layers["PIC_MARK"]).insert(cross(x, y))
    return pic


def _fields(
    cell: kdb.Cell, unit: kdb.Cell, fields: list[Field], into: kdb.Trans | None = None
) -> None:
    """Arrays of ``unit`` over ``fields`` (engine frame) in ``cell``, moved by ``into``."""
    for field in fields:
        for inst in field.arrays(unit):
            cell.insert(inst if into is None else inst.transformed(into))


def _engine(
    layout: kdb.Layout,
    layers: dict[str, int],
    cells: dict[str, kdb.Cell],
    name: str,
    parts: list[tuple[kdb.Cell, kdb.Trans]],
    pic_top: float,
) -> kdb.Cell:
    """An engine: its outline, its parts, a FAU at the optical edge, a laser above the PIC."""
    engine = layout.create_cell(name)
    engine.shapes(layers["ENGINE"]).insert(box(*ENGINE))
    laser_at = trans_at(2200, pic_top + 20)
    for part, at in parts + [(cells["fau"], kdb.Trans()), (cells["laser"], laser_at)]:
        engine.insert(kdb.CellInstArray(part.cell_index(), at))
    return engine


def _engine_3d(layout: kdb.Layout, layers: dict[str, int], cells: dict[str, kdb.Cell]) -> kdb.Cell:
    """Photonic 3D: the PIC below with its TSVs and pads, the EIC bumped face down onto it."""
    pic = _pic(layout, layers, "PIC_3D", "PIC", PIC_3D)
    _fields(pic, cells["pad"], BUMP_FIELDS)
    _fields(pic, cells["tsv"], TSV_FIELDS)
    eic = layout.create_cell("EIC_3D")
    eic.shapes(layers["EIC"]).insert(box(0, 0, 1300, 1400))
    _fields(eic, cells["bump"], BUMP_FIELDS, EIC_3D_AT.inverted())
    return _engine(
        layout, layers, cells, "ENGINE_3D", [(pic, kdb.Trans()), (eic, EIC_3D_AT)], PIC_3D[3]
    )


def _engine_fopop(
    layout: kdb.Layout, layers: dict[str, int], cells: dict[str, kdb.Cell]
) -> kdb.Cell:
    """Photonic FOPoP: the EIC molded in a fan-out package with TMVs and top pads, the PIC
    bumped face down on top."""
    fanout = layout.create_cell("FANOUT")
    fanout.shapes(layers["EIC"]).insert(box(*EIC_FO))
    _fields(fanout, cells["pad"], BUMP_FIELDS)
    for origin, step, count in TMV_ROWS:
        a = kdb.DVector(*step).to_itype(DBU)
        fanout.insert(
            kdb.CellInstArray(
                cells["tmv"].cell_index(), trans_at(*origin), a, kdb.Vector(-a.y, a.x), count, 1
            )
        )
    pic = _pic(layout, layers, "PIC_UP", "PIC_UP", PIC_UP)
    _fields(pic, cells["bump"], BUMP_FIELDS)
    return _engine(
        layout,
        layers,
        cells,
        "ENGINE_FOPOP",
        [(fanout, kdb.Trans()), (pic, kdb.Trans())],
        PIC_UP[3],
    )


def _plant(top: kdb.Cell, cells: dict[str, kdb.Cell], layers: dict[str, int]) -> list[Planted]:
    planter = Planter(top, cells, layers)
    shapes, place, plant = planter.shapes, planter.place, planter.plant

    shapes("ASIC").insert(box(6600, 9630, 7100, 9900))
    plant("PKG.D2D.GAP", 6850, 9615, "die 30 um from an HBM stack")
    shapes("HBM").insert(box(4200, 5000, 5000, 5600))
    plant("PKG.HBM.D", 5250, 5300, "HBM stack 500 um from the ASIC")
    plant("PKG.FID.N", 8000, 5500, "two fiducials only")
    plant("PKG.FID.D", 10625, 5000, "fiducial 250 um from the ASIC")
    shapes("EIC").insert(box(5000, 9700, 5300, 10000))
    plant("CPO.EIC.PIC", 5000, 9700, "EIC 1.8 mm from the nearest PIC")
    place("laser", 3100, 3820)  # in the lower left engine, beside its own laser
    plant("CPO.LASER.N", 3400, 3910, "second laser die in an engine")
    place("laser", 3850, 7000)
    plant("CPO.LASER.D", 3725, 7090, "laser die 250 um from the PIC")
    place("tsv", 1600, 7500)
    plant("CPO.FA.KOZ", 1600, 7500, "TSV under the fiber-attach band")
    shapes("FAU").insert(box(4100, 9900, 4900, 10400))
    plant("CPO.FAU.VG", 4100, 9900, "FAU off any V-groove")
    shapes("PIC_MARK").insert(cross(1300, 7500))
    shapes("FAU_MARK").insert(cross(1300.8, 7500))
    plant("CPO.FAU.ALIGN", 1300.4, 7500, "FAU mark 0.8 um off its PIC mark")
    for x in (4200, 4220):
        place("bump", x, 2000)
        place("pad", x, 2000)
    plant("UB.P", 4210, 2000, "two micro-bumps 20 um apart")
    shapes("UBUMP").insert(octagon(19, 4400, 2000))
    place("pad", 4400, 2000)
    plant("UB.SZ", 4400, 2000, "19 um micro-bump")
    place("bump", 4600, 2000)
    place("pad", 4603, 2000)
    plant("UB.ALIGN", 4601.5, 2000, "micro-bump 3 um off its pad")
    shapes("TSV").insert(circle(14, 1900, 7200))
    plant("TSV.SZ", 1900, 7200, "14 um TSV")
    for x in (1900, 1930):
        place("tsv", x, 7500)
    plant("TSV.P", 1915, 7500, "two TSVs 30 um apart")
    place("tsv", 1900, 6450)
    plant("TSV.IN", 1900, 6450, "TSV 45 um from the PIC edge")
    shapes("TMV").insert(circle(50, 1800, 1800))
    plant("TMV.SZ", 1800, 1800, "50 um TMV")
    for x in (1400, 1500):
        place("tmv", x, 1800)
    plant("TMV.P", 1450, 1800, "two TMVs 100 um apart")
    place("tmv", 2550, 3610)
    plant("TMV.EIC", 2550, 3540, "TMV 80 um from the EIC")
    return planter.planted
