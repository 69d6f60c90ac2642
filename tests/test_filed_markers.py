"""Markers in the cell where the violation lives (docs/checking.md, "Markers in cells"): a
violation found alike at every placement of a cell is one marker in that cell with its
placements counted; ``--flat-markers`` gives one marker per placement in the top cell, as
before; violations that depend on a placement's neighbours stay in the top cell."""

from __future__ import annotations

import json
import math

import klayout.db as kdb
import klayout.rdb as rdb
import pytest

import adk
from adk.cli import main
from adk.layout.reader import LoadedLayout
from adk.report.markers import PLACEMENTS_TAG
from adk.report.report_reader import read_report
from adk.run import cells

DECK = """
layer UB = 1/0
rule UB.SZ "micro-bump is a 20 um octagon" : bump_size(UB, shape octagon, tolerance 0.5 um) == 20 um
rule UB.S "bump space" : space(UB) >= 10 um
"""
BUMP_PITCH = 100.0  # um between the bump cells of an array


def octagon(x: float, y: float, flats: float) -> kdb.DPolygon:
    radius = flats / 2 / math.cos(math.pi / 8)
    angles = (math.pi / 8 + k * math.pi / 4 for k in range(8))
    return kdb.DPolygon(
        [kdb.DPoint(x + radius * math.cos(a), y + radius * math.sin(a)) for a in angles]
    )


def bump_cell(layout: kdb.Layout, name: str = "BUMPS") -> kdb.Cell:
    """Three bumps, one of them 14 um across (a violation of UB.SZ wherever it is placed);
    30 um centre to centre, 10 um apart: at the space limit."""
    cell = layout.create_cell(name)
    shapes = cell.shapes(layout.layer(1, 0))
    for x, y, flats in ((0, 0, 20), (30, 0, 20), (0, 30, 14)):
        shapes.insert(octagon(x, y, flats).to_itype(layout.dbu))
    return cell


def new_layout() -> tuple[kdb.Layout, kdb.Cell]:
    layout = kdb.Layout()
    layout.dbu = 0.001
    return layout, layout.create_cell("TOP")


def array(
    cell: kdb.Cell, columns: int, rows: int, trans: kdb.Trans | None = None
) -> kdb.CellInstArray:
    """A ``columns`` x ``rows`` array of ``cell``, BUMP_PITCH apart, placed by ``trans``."""
    step = round(BUMP_PITCH / cell.layout().dbu)
    a, b = kdb.Vector(step, 0), kdb.Vector(0, step)
    return kdb.CellInstArray(cell.cell_index(), trans or kdb.Trans(), a, b, columns, rows)


def loaded(layout: kdb.Layout, top: kdb.Cell) -> LoadedLayout:
    return LoadedLayout("<memory>", layout, top)


def outcome(result, rule: str):
    return next(o for o in result.outcomes if o.rule.id == rule)


@pytest.fixture(scope="module")
def deck():
    return adk.load_deck_text(DECK)


@pytest.fixture(scope="module")
def bump_array(tmp_path_factory) -> str:
    """A 50 x 100 array of the bump cell, as a file: one bad bump in the cell, 5,000 placed."""
    layout, top = new_layout()
    top.insert(array(bump_cell(layout), 50, 100))
    path = str(tmp_path_factory.mktemp("filed") / "bumps.gds")
    layout.write(path)
    return path


# ---------------------------------------------------------------- what is filed where
def test_a_bad_bump_of_an_arrayed_cell_is_one_marker_in_that_cell(bump_array, deck):
    result = adk.check(bump_array, deck)
    size = outcome(result, "UB.SZ")
    assert len(size.markers) == 1 and size.placed == 5000
    marker = size.markers[0]
    assert marker.filed is not None and marker.filed.cell == "BUMPS"
    assert marker.placements == 5000 and len(marker.each_placement()) == 5000
    # in the cell's coordinates; in the top cell at the first placement, the array's origin
    assert _box(marker.filed.shape) == _box(octagon(0, 30, 14))
    assert marker.shape == marker.each_placement()[0].shape
    assert _box(marker.shape) == _box(octagon(0, 30, 14))
    assert marker.text == "size 13.999 um != 20 um (octagon)"
    assert result.violations() and outcome(result, "UB.S").markers == []


def test_flat_markers_give_one_marker_per_placement_in_the_top_cell(bump_array, deck):
    flat = adk.check(bump_array, deck, flat_markers=True)
    size = outcome(flat, "UB.SZ")
    assert len(size.markers) == 5000 and size.placed == 5000
    assert all(marker.filed is None for marker in size.markers)
    # the placements of the filed marker are exactly these markers, in their order
    assert adk.check(bump_array, deck).flat().outcomes[0].markers == size.markers


def test_a_neighbour_that_breaks_the_rule_at_one_placement_keeps_that_marker_in_the_top(deck):
    """A shape of the top cell 4 um beside one placement's bump: that space violation is
    not the cell's, and stays flat; the bad bump, alike everywhere, is filed in the cell."""
    layout, top = new_layout()
    top.insert(array(bump_cell(layout), 3, 1))
    top.shapes(layout.layer(1, 0)).insert(octagon(130 + 24, 0, 20).to_itype(layout.dbu))
    result = adk.check(loaded(layout, top), deck)
    space = outcome(result, "UB.S")
    assert len(space.markers) == 1 and space.markers[0].filed is None
    size = outcome(result, "UB.SZ")
    assert [(m.filed.cell if m.filed else None, m.placements) for m in size.markers] == [
        ("BUMPS", 3)
    ]


def test_a_violation_a_neighbour_masks_at_one_placement_stays_in_the_top():
    """A line 1 um wide placed three times, widened to 3 um at one placement by a shape of
    the top cell merging with it: alike at two placements only, so two flat markers."""
    layout, top = new_layout()
    line = layout.create_cell("LINE")
    metal = layout.layer(1, 0)
    line.shapes(metal).insert(kdb.DBox(0, 0, 1, 20).to_itype(layout.dbu))
    for x in (0, 50, 100):
        top.insert(kdb.DCellInstArray(line.cell_index(), kdb.DTrans(float(x), 0.0)))
    top.shapes(metal).insert(kdb.DBox(51, 0, 53, 20).to_itype(layout.dbu))
    deck = adk.load_deck_text("layer M = 1/0\nrule W : width(M) >= 2 um\n")
    markers = adk.check(loaded(layout, top), deck).outcomes[0].markers
    assert [(m.filed, round(m.shape.bbox().left)) for m in markers] == [(None, 0), (None, 100)]


def test_a_violation_between_placements_is_filed_in_the_lowest_cell_holding_both(deck):
    """Two bump cells 25 um apart in a row cell, the row placed twice: their space
    violation is in every row alike, so it is the row's; the bad bumps are the bump cell's."""
    layout, top = new_layout()
    bumps = bump_cell(layout)
    row = layout.create_cell("ROW")
    row.insert(kdb.CellInstArray(bumps.cell_index(), kdb.Trans(0, 0)))
    row.insert(kdb.CellInstArray(bumps.cell_index(), kdb.Trans(round(55 / layout.dbu), 0)))
    top.insert(
        kdb.CellInstArray(
            row.cell_index(), kdb.Trans(0, 0), kdb.Vector(0, 200000), kdb.Vector(), 2, 1
        )
    )
    result = adk.check(loaded(layout, top), deck)
    space = outcome(result, "UB.S")
    assert [(m.filed.cell, m.placements) for m in space.markers] == [("ROW", 2)]
    assert [(m.filed.cell, m.placements) for m in outcome(result, "UB.SZ").markers] == [
        ("BUMPS", 4)
    ]


def test_nested_arrays_file_in_the_deepest_cell(deck):
    """Arrays in arrays: a 4 x 3 array of the bump cell in a block, the block placed as a
    2 x 2 array in a column cell placed twice: 96 placements of the bump cell."""
    layout, top = new_layout()
    block = layout.create_cell("BLOCK")
    block.insert(array(bump_cell(layout), 4, 3))
    column = layout.create_cell("COLUMN")
    step = round(1000 / layout.dbu)
    column.insert(
        kdb.CellInstArray(
            block.cell_index(), kdb.Trans(), kdb.Vector(step, 0), kdb.Vector(0, step), 2, 2
        )
    )
    top.insert(kdb.CellInstArray(column.cell_index(), kdb.Trans(0, 0)))
    top.insert(kdb.CellInstArray(column.cell_index(), kdb.Trans(round(5000 / layout.dbu), 0)))
    result = adk.check(loaded(layout, top), deck)
    markers = outcome(result, "UB.SZ").markers
    assert [(m.filed.cell, m.placements) for m in markers] == [("BUMPS", 96)]
    lefts = sorted({round(m.shape.bbox().left, 4) for m in markers[0].each_placement()})
    assert lefts[:3] == [-7.0, 93.0, 193.0] and len(lefts) == 4 * 2 * 2


@pytest.mark.parametrize("code", range(8), ids=[str(t).split()[0] for t in cells._ORIENTATIONS])
def test_rotated_and_mirrored_placements_fold(deck, code):
    """The bump cell placed turned or mirrored, beside a copy placed straight: one marker
    for both, in the cell's coordinates, each placement where KLayout places it."""
    layout, top = new_layout()
    bumps = bump_cell(layout)
    turned = kdb.Trans(kdb.Vector(200000, 0)) * cells._ORIENTATIONS[code]
    top.insert(array(bumps, 3, 2, turned))
    top.insert(kdb.CellInstArray(bumps.cell_index(), kdb.Trans(-200000, 0)))
    result = adk.check(loaded(layout, top), deck)
    markers = outcome(result, "UB.SZ").markers
    assert len(markers) == 1 and markers[0].placements == 7
    filing = markers[0].filed
    assert _box(filing.shape) == _box(octagon(0, 30, 14))
    expected = sorted(
        _box(
            octagon(0, 30, 14).transformed(
                kdb.CplxTrans(layout.dbu) * inst.cplx_trans * kdb.VCplxTrans(1 / layout.dbu)
            )
        )
        for instance in top.each_inst()
        for inst in _elements(instance)
    )
    assert sorted(_box(m.shape) for m in markers[0].each_placement()) == expected
    # the first placement is the least in x, then y: the straight copy
    assert _box(markers[0].shape) == _box(octagon(-200, 30, 14))


def _elements(instance: kdb.Instance) -> list[kdb.CellInstArray]:
    return [kdb.CellInstArray(instance.cell_index, t) for t in instance.cell_inst.each_trans()]


def _box(shape) -> tuple[float, ...]:
    box = shape.bbox()
    return tuple(round(v, 4) for v in (box.left, box.bottom, box.right, box.top))


def test_a_magnified_placement_keeps_the_markers_of_its_cell_in_the_top(deck):
    """Only placements by whole database units without magnification are compared: the
    cell's markers stay flat when one of its placements is magnified."""
    layout, top = new_layout()
    bumps = bump_cell(layout)
    top.insert(array(bumps, 3, 1))
    top.insert(kdb.CellInstArray(bumps.cell_index(), kdb.ICplxTrans(1.0, 0, False, 0, 500000)))
    assert [c.exact for c in cells.Hierarchy(layout, top).cells] == [True]
    top.insert(kdb.CellInstArray(bumps.cell_index(), kdb.ICplxTrans(1.5, 0, False, 0, -500000)))
    assert [c.exact for c in cells.Hierarchy(layout, top).cells] == [False]
    markers = outcome(adk.check(loaded(layout, top), deck), "UB.SZ").markers
    flat = outcome(adk.check(loaded(layout, top), deck, flat_markers=True), "UB.SZ").markers
    assert markers == flat and len(markers) >= 5


def test_a_cell_placed_once_files_nothing(deck):
    """One placement is no evidence of where a violation comes from."""
    layout, top = new_layout()
    top.insert(kdb.CellInstArray(bump_cell(layout).cell_index(), kdb.Trans(0, 0)))
    markers = outcome(adk.check(loaded(layout, top), deck), "UB.SZ").markers
    assert len(markers) == 1 and markers[0].filed is None


def test_tiled_runs_file_the_same_markers(bump_array, deck):
    one_piece = adk.check(bump_array, deck)
    tiled = adk.check(bump_array, deck, tile_size=1500.0)
    assert tiled.outcomes[0].markers == one_piece.outcomes[0].markers


def test_a_million_placements_cost_nothing_without_markers():
    """A clean 1000 x 1000 array: the rule has no marker, no placement is expanded."""
    layout, top = new_layout()
    cell = layout.create_cell("BUMP")
    cell.shapes(layout.layer(1, 0)).insert(octagon(0, 0, 20).to_itype(layout.dbu))
    top.insert(array(cell, 1000, 1000))
    hierarchy = cells.Hierarchy(layout, top)
    assert cells.file_in_cells([], hierarchy) == []
    assert hierarchy.candidates(0) == [] and not hierarchy._placements.keys() - {top.cell_index()}


# ---------------------------------------------------------------- reports
def test_the_marker_database_holds_the_item_in_its_cell_with_a_reference_to_the_top(
    bump_array, deck, tmp_path
):
    report = tmp_path / "bumps.lyrdb"
    adk.write_markers(adk.check(bump_array, deck), report)
    db = rdb.ReportDatabase("")
    db.load(str(report))
    items = list(db.each_item())
    assert len(items) == 1
    cell = db.cell_by_id(items[0].cell_id())
    assert cell.name() == "BUMPS"
    references = list(cell.each_reference())
    top = db.cell_by_qname("TOP")
    assert [(r.parent_cell_id, str(r.trans)) for r in references] == [(top.rdb_id(), "r0 *1 0,0")]
    values = list(items[0].each_value())
    assert _box(values[0].polygon()) == _box(octagon(0, 30, 14))
    assert values[1].string() == "size 13.999 um != 20 um (octagon)"
    assert values[2].float() == 5000 and db.tag_name(values[2].tag_id) == PLACEMENTS_TAG
    # read back: the top cell's box of the first placement, the cell and the count
    (marker,) = read_report(str(report)).markers
    assert (marker.cell, marker.placements) == ("BUMPS", 5000)
    assert marker.box == pytest.approx(_box(octagon(0, 30, 14)))


def test_flat_markers_write_every_item_in_the_top_cell(bump_array, tmp_path):
    """--flat-markers: one item per placement, all in the top cell, as before filing."""
    deck = _deck_file(tmp_path)
    filed, flat = tmp_path / "filed.lyrdb", tmp_path / "flat.lyrdb"
    assert main(["check", bump_array, "--deck", deck, "-o", str(filed), "-q"]) == 1
    assert main(["check", bump_array, "--deck", deck, "-o", str(flat), "-q", "--flat-markers"]) == 1
    db = rdb.ReportDatabase("")
    db.load(str(flat))
    assert db.num_items() == 5000 and [c.name() for c in db.each_cell()] == ["TOP"]
    assert PLACEMENTS_TAG not in flat.read_text(encoding="utf-8")
    db.load(str(filed))
    assert db.num_items() == 1


def _deck_file(folder) -> str:
    path = folder / "bumps.adk"
    path.write_text(DECK, encoding="utf-8")
    return str(path)


def test_the_summaries_count_markers_both_ways(bump_array, tmp_path, capsys):
    deck = _deck_file(tmp_path)
    assert main(["check", bump_array, "--deck", deck, "-o", str(tmp_path / "b.lyrdb")]) == 1
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["rule", "severity", "status", "count", "placed", "worst"]
    assert table[2].split()[:5] == ["UB.SZ", "error", "fail", "1", "5000"]
    assert " 1 markers (5000 placed) in " in next(line for line in table if "rules," in line)
    assert (
        main(
            [
                "check",
                bump_array,
                "--deck",
                deck,
                "-o",
                str(tmp_path / "b.lyrdb"),
                "--format",
                "json",
            ]
        )
        == 1
    )
    rule = json.loads(capsys.readouterr().out)["rules"][0]
    assert (rule["count"], rule["placed"]) == (1, 5000)
    (marker,) = rule["markers"]
    assert (marker["cell"], marker["placements"]) == ("BUMPS", 5000)
    assert marker["bbox_um"] == pytest.approx(list(_box(octagon(0, 30, 14))))
    assert marker["cell_bbox_um"] == pytest.approx(list(_box(octagon(0, 30, 14))))
    # flat: the table of old, JSON with every marker in the top cell
    main(["check", bump_array, "--deck", deck, "-o", str(tmp_path / "f.lyrdb"), "--flat-markers"])
    assert "placed" not in capsys.readouterr().out


def test_placements_are_those_klayout_places():
    """Every orientation at every level, arrays in arrays and a single instance: the
    placements counted and expanded are those KLayout's instance iterator gives."""
    layout, top = new_layout()
    leaf = layout.create_cell("LEAF")
    leaf.shapes(layout.layer(1, 0)).insert(kdb.Box(0, 0, 10, 30))
    middle = layout.create_cell("MIDDLE")
    for code, turn in enumerate(cells._ORIENTATIONS):
        middle.insert(array(leaf, 2, 3, kdb.Trans(kdb.Vector(code * 1000, 7)) * turn))
    for code, turn in enumerate(cells._ORIENTATIONS):
        top.insert(array(middle, 3, 1, kdb.Trans(kdb.Vector(-5000, code * 3000)) * turn))
    top.insert(kdb.CellInstArray(leaf.cell_index(), kdb.Trans(kdb.Trans.M45, 11, 13)))
    hierarchy = cells.Hierarchy(layout, top)
    counts = {cell.name: cell.count for cell in hierarchy.cells}
    assert counts == {"LEAF": 8 * 6 * 8 * 3 + 1, "MIDDLE": 8 * 3}
    for cell in (leaf, middle):
        placements = hierarchy.placements(cell.cell_index())
        found = sorted(str(placements.trans(k, 1.0)) for k in range(len(placements)))
        iterator = kdb.RecursiveInstanceIterator(layout, top)
        iterator.targets = [cell.cell_index()]
        expected = []
        while not iterator.at_end():
            trans = kdb.DCplxTrans(kdb.CplxTrans(1.0) * iterator.trans() * iterator.inst_trans())
            expected.append(str(trans))
            iterator.next()
        assert found == sorted(expected)
