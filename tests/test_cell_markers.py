"""The markers of one cell, checked in its context (docs/checking.md, "The markers of a
cell"): `adk check --cell`, `adk.check(cell=...)` and the KLayout menu on a cell other
than the top. A die's bumps land on the substrate's pads: checked alone, every bump would
miss its pad; in context only the misplaced one does."""

from __future__ import annotations

import json

import klayout.db as kdb
import pytest

import adk
from adk.cli import main
from adk.errors import AdkError

DECK = """\
units um
layer UB = 30/0
layer PAD = 20/0
layer M = 10/0
rule AL "bumps on pads" : align(UB, to PAD) <= 1 um
rule W "width" : width(M) >= 2 um
rule S "space" : space(M) >= 2 um
"""


TWICE = (kdb.DTrans(kdb.DVector(0, 0)), kdb.DTrans(kdb.DVector(1000, 0)))


def package(path, die_trans=TWICE):
    """PKG places DIE twice; DIE holds a 10 x 10 bump array (cell BUMP) and a 1 um line;
    PKG holds a pad under every bump, one of them 3 um off under the second die, and a
    line 1 um beside the second die's line (a space violation between PKG and DIE)."""
    layout = kdb.Layout()
    layout.dbu = 0.001
    top, die, bump = (layout.create_cell(name) for name in ("PKG", "DIE", "BUMP"))
    ub, pad, metal = layout.layer(30, 0), layout.layer(20, 0), layout.layer(10, 0)
    bump.shapes(ub).insert(kdb.DBox(-5, -5, 5, 5))
    pitch = kdb.DVector(40, 0), kdb.DVector(0, 40)
    die.insert(
        kdb.DCellInstArray(bump.cell_index(), kdb.DTrans(kdb.DVector(20, 20)), *pitch, 10, 10)
    )
    die.shapes(metal).insert(kdb.DBox(0, 400, 400, 401))
    for trans in die_trans:
        top.insert(kdb.DCellInstArray(die.cell_index(), trans))
        for i in range(10):
            for j in range(10):
                centre = trans * kdb.DPoint(20 + 40 * i, 20 + 40 * j)
                if trans.disp.x == 1000 and i == j == 0:
                    centre += kdb.DVector(3, 0)
                top.shapes(pad).insert(
                    kdb.DBox(centre.x - 6, centre.y - 6, centre.x + 6, centre.y + 6)
                )
    top.shapes(metal).insert(kdb.DBox(1000, 402, 1400, 405))  # 1 um above the second line
    layout.write(str(path))
    return str(path)


@pytest.fixture
def files(tmp_path):
    deck = tmp_path / "pkg.adk"
    deck.write_text(DECK)
    return package(tmp_path / "pkg.gds"), str(deck)


def found(result) -> dict[str, list[tuple[str, tuple[float, float, float, float]]]]:
    def box(marker):
        b = marker.shape.bbox()
        return (round(b.left, 3), round(b.bottom, 3), round(b.right, 3), round(b.top, 3))

    return {o.rule.id: [(m.text, box(m)) for m in o.markers] for o in result.outcomes}


def test_a_cell_checked_alone_misses_its_context(files):
    layout, deck = files
    alone = found(adk.check(layout, deck, top="DIE"))
    assert alone["AL"] != [] and alone["S"] == []  # no pads, no neighbour: wrong answers


def test_the_markers_of_a_cell_are_those_of_the_package_in_its_coordinates(files):
    layout, deck = files
    result = adk.check(layout, deck, cell="DIE")
    assert result.top_cell == "DIE"
    assert found(result) == {
        # the second die's corner bump, 3 um off its pad (the line from its centre to the
        # pad's): at one of the die's two placements
        "AL": [
            (
                "offset 3 um > 1 um (UB to nearest PAD) (at 1 of 2 placements)",
                (20.0, 20.0, 23.0, 20.0),
            )
        ],
        # the die's own line, too narrow at both placements: one marker
        "W": [("width 1 um < 2 um (at all 2 placements)", (0.0, 400.0, 400.0, 401.0))],
        # the package's line 1 um above the second die's line: the marker starts on the
        # die's boundary
        "S": [("space 1 um < 2 um (at 1 of 2 placements)", (0.0, 401.0, 400.0, 402.0))],
    }


def test_a_cell_placed_many_times_shows_its_own_defect_once(files):
    layout, deck = files
    result = found(adk.check(layout, deck, cell="BUMP"))
    # 200 bumps; the one off its pad is at one placement; no RDL in or near a bump
    assert result == {
        "AL": [
            (
                "offset 3 um > 1 um (UB to nearest PAD) (at 1 of 200 placements)",
                (0.0, 0.0, 3.0, 0.0),
            )
        ],
        "W": [],
        "S": [],
    }


@pytest.mark.parametrize("turn", [kdb.DTrans.R90, kdb.DTrans.M45, kdb.DTrans.R180])
def test_a_turned_placement_shows_the_markers_in_the_cells_own_axes(tmp_path, turn):
    deck = tmp_path / "pkg.adk"
    deck.write_text(DECK)
    placements = (kdb.DTrans(turn, kdb.DVector(0, 0)), kdb.DTrans(kdb.DVector(1000, 0)))
    layout = package(tmp_path / "turned.gds", placements)
    result = found(adk.check(layout, str(deck), cell="DIE"))
    assert result["W"] == [("width 1 um < 2 um (at all 2 placements)", (0.0, 400.0, 400.0, 401.0))]


def test_the_command_line_reports_a_cells_markers(files, tmp_path, capsys):
    layout, deck = files
    report = tmp_path / "die.lyrdb"
    code = main(
        ["check", layout, "--deck", deck, "--cell", "DIE", "-o", str(report), "--format", "json"]
    )
    summary = json.loads(capsys.readouterr().out)
    assert code == 1 and summary["top_cell"] == "DIE"
    assert {rule["id"]: rule["count"] for rule in summary["rules"]} == {"AL": 1, "W": 1, "S": 1}
    database = kdb.Layout()  # the marker database's top cell is the cell shown
    import klayout.rdb as rdb

    markers = rdb.ReportDatabase()
    markers.load(str(report))
    assert markers.top_cell_name == "DIE" and markers.num_items() >= 3
    del database


def test_the_top_cell_named_as_the_cell_is_an_ordinary_run(files):
    layout, deck = files
    assert found(adk.check(layout, deck, cell="PKG")) == found(adk.check(layout, deck))


def test_an_unknown_cell_is_one_error(files):
    layout, deck = files
    with pytest.raises(AdkError, match="no cell named 'NOPE'"):
        adk.check(layout, deck, cell="NOPE")


def test_a_magnified_placement_cannot_be_shown_in_the_cells_coordinates(tmp_path):
    deck = tmp_path / "pkg.adk"
    deck.write_text(DECK)
    layout = kdb.Layout()
    top, die = layout.create_cell("PKG"), layout.create_cell("DIE")
    die.shapes(layout.layer(10, 0)).insert(kdb.DBox(0, 0, 100, 1))
    top.insert(kdb.DCellInstArray(die.cell_index(), kdb.DCplxTrans(2.0, 0, False, 0, 0)))
    layout.write(str(tmp_path / "mag.gds"))
    with pytest.raises(AdkError, match="cell 'DIE' is placed magnified"):
        adk.check(str(tmp_path / "mag.gds"), str(deck), cell="DIE")
