"""Placements put bumps where KLayout puts them: an assembly built by adk and a layout
written by klayout.db with the same placements, in KLayout's own terms (docs/assembly.md,
"Transforms"), give the same bump centres to the nanometre, and so does plain arithmetic
on the semantics the docs state."""

from __future__ import annotations

import math

import klayout.db as kdb
import numpy as np
import pytest

from adk.assembly import build, parse_assembly
from adk.layout.bumps import centres
from adk.layout.reader import read_layout

DBU = 0.001
BUMP = (30, 0)
# a bump shaped like an L, off its cell's origin: its centre moves differently from the
# origin under mirrors and turns
L_SHAPE = [(2, 1), (12, 1), (12, 5), (6, 5), (6, 11), (2, 11)]


def part_layout(path: str) -> None:
    """A die: an outline, an array of L-shaped bumps, a single bump, and a sub-cell placed
    turned and mirrored holding a small array of its own."""
    layout = kdb.Layout()
    layout.dbu = DBU
    bump_layer = layout.layer(*BUMP)
    top = layout.create_cell("DIE")
    top.shapes(layout.layer(1, 0)).insert(kdb.DBox(0, 0, 1000, 600))
    bump = layout.create_cell("BUMP")
    bump.shapes(bump_layer).insert(kdb.DPolygon([kdb.DPoint(x, y) for x, y in L_SHAPE]))
    top.insert(
        kdb.DCellInstArray(
            bump.cell_index(), kdb.DTrans(100, 50), kdb.DVector(40, 0), kdb.DVector(0, 30), 5, 3
        )
    )
    top.shapes(bump_layer).insert(kdb.DBox(905.5, 463, 920.5, 480))
    block = layout.create_cell("BLOCK")
    block.insert(
        kdb.DCellInstArray(
            bump.cell_index(), kdb.DTrans(0, 0), kdb.DVector(25, 0), kdb.DVector(0, 25), 2, 2
        )
    )
    top.insert(kdb.DCellInstArray(block.cell_index(), kdb.DCplxTrans(1, 90, True, 700, 300)))
    layout.write(path)


def carrier_layout(path: str) -> None:
    layout = kdb.Layout()
    layout.dbu = DBU
    layout.create_cell("BASE").shapes(layout.layer(1, 0)).insert(kdb.DBox(0, 0, 5000, 5000))
    layout.write(path)


# (assembly keys of the die, the same placement in KLayout's terms, die coordinates to
# its carrier's); the carrier sits at (2000, -1000) turned by 90 degrees
PLACEMENTS = {
    "as_drawn": ("at: [100, 200]", "r0 *1 100,200"),
    "turned_90": ("at: [100, 200]\n    rotation: 90", "r90 *1 100,200"),
    "turned_270": ("at: [-50, 0]\n    rotation: 270", "r270 *1 -50,0"),
    "mirrored": ("at: [0, 700]\n    mirror: true", "m0 *1 0,700"),
    "face_down": ("at: [1000, 0]\n    face: down", "m90 *1 1000,0"),
    "face_down_turned_180": (
        "at: [1200, 800]\n    rotation: 180\n    face: down",
        "m0 *1 1200,800",
    ),
    "face_down_turned_90": (
        "at: [300, 1000]\n    rotation: 90\n    face: down",
        "m135 *1 300,1000",
    ),
    "face_down_mirrored": ("at: [0, 0]\n    mirror: true\n    face: down", "r180 *1 0,0"),
    "shrunk": ("at: [10, 20]\n    rotation: 90\n    magnification: 0.98", "r90 *0.98 10,20"),
    "shrunk_face_down": (
        "at: [1000, 500]\n    magnification: 0.9\n    face: down",
        "m90 *0.9 1000,500",
    ),
}
CARRIER = ("at: [2000, -1000]\n    rotation: 90", "r90 *1 2000,-1000")


def assembly_text(die_keys: str, on_carrier: bool) -> str:
    carrier = f"  BASE:\n    layout: base.gds\n    {CARRIER[0]}\n    layers: {{outline: 1/0}}\n"
    on = "    on: BASE\n" if on_carrier else ""
    die = f"  DIE:\n    layout: die.gds\n{on}    {die_keys}\n    layers: {{bump: 30/0}}\n"
    return "parts:\n" + (carrier if on_carrier else "") + die


def klayout_assembly(path: str, folder: str, trans: str, on_carrier: bool) -> None:
    """The same assembly written by klayout.db alone: the die's layout read in and placed
    with KLayout's transformation, composed with the carrier's."""
    layout = kdb.Layout()
    layout.read(f"{folder}/die.gds")
    placement = kdb.DCplxTrans.from_s(trans)
    if on_carrier:
        placement = kdb.DCplxTrans.from_s(CARRIER[1]) * placement
    top = layout.create_cell("PACKAGE")
    top.insert(kdb.DCellInstArray(layout.cell("DIE").cell_index(), placement))
    layout.write(path)


def flat_centres(layout: kdb.Layout, top: kdb.Cell) -> np.ndarray:
    """KLayout's own answer: the bumps flattened, each polygon's bounding-box centre."""
    region = kdb.Region(top.begin_shapes_rec(layout.find_layer(*BUMP)))
    boxes = [polygon.bbox() for polygon in region.each()]
    points = np.array([((b.left + b.right) / 2, (b.bottom + b.top) / 2) for b in boxes]) * DBU
    return points[np.lexsort((points[:, 1], points[:, 0]))]


@pytest.fixture(scope="module")
def parts_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parts")
    part_layout(str(folder / "die.gds"))
    carrier_layout(str(folder / "base.gds"))
    return folder


@pytest.mark.parametrize("on_carrier", [False, True], ids=["on_the_package", "on_a_part"])
@pytest.mark.parametrize("name", list(PLACEMENTS))
def test_bumps_land_where_klayout_places_them(parts_folder, name, on_carrier):
    keys, trans = PLACEMENTS[name]
    assembly_path = parts_folder / f"{name}-{on_carrier}.yaml"
    assembly_path.write_text(assembly_text(keys, on_carrier))
    assembled = build(parse_assembly(assembly_path.read_text(), str(assembly_path)))
    bump = assembled.layers["DIE"]["bump"]
    ours = centres(assembled.layout, assembled.top, assembled.layout.find_layer(bump.layer, 0))

    reference = parts_folder / f"{name}-{on_carrier}-klayout.gds"
    klayout_assembly(str(reference), str(parts_folder), trans, on_carrier)
    theirs = read_layout(str(reference))
    assert len(ours) == 5 * 3 + 1 + 4
    # KLayout snaps a magnified outline's vertices to the grid when it flattens: its centres
    # may lie half a unit from the exact ones; unmagnified they are equal
    tolerance = DBU / 2 + 1e-9 if "shrunk" in name else 1e-9
    np.testing.assert_allclose(ours, flat_centres(theirs.layout, theirs.top), atol=tolerance)
    np.testing.assert_allclose(
        ours, centres(theirs.layout, theirs.top, theirs.layer_index(*BUMP)), atol=1e-9
    )


def by_hand(keys: str, point: tuple[float, float]) -> tuple[float, float]:
    """docs/assembly.md's semantics in plain arithmetic: face down turns x to -x, then the
    mirror turns y to -y, then the magnification, the rotation, the offset."""
    fields = dict(line.strip().split(": ") for line in keys.splitlines())
    x, y = point
    if fields.get("face") == "down":
        x = -x
    if fields.get("mirror") == "true":
        y = -y
    mag = float(fields.get("magnification", 1))
    angle = math.radians(int(fields.get("rotation", 0)))
    x, y = mag * x, mag * y
    x, y = x * math.cos(angle) - y * math.sin(angle), x * math.sin(angle) + y * math.cos(angle)
    dx, dy = (float(v) for v in fields["at"].strip("[]").split(","))
    return (x + dx, y + dy)


@pytest.mark.parametrize("name", list(PLACEMENTS))
def test_the_documented_semantics_are_what_is_built(parts_folder, name):
    keys, _ = PLACEMENTS[name]
    path = parts_folder / f"{name}-docs.yaml"
    path.write_text(assembly_text(keys, False))
    assembly = parse_assembly(path.read_text(), str(path))
    trans = assembly.package_trans("DIE")
    for point in [(0, 0), (1000, 0), (0, 600), (123.4, 56.7)]:
        placed = trans * kdb.DPoint(*point)
        assert (placed.x, placed.y) == pytest.approx(by_hand(keys, point), abs=1e-9)
