"""align: top bumps land on bottom pads within the tolerance."""

from __future__ import annotations

import klayout.db as kdb
import pytest

from adk.checks import runner
from adk.lang.units import Dim
from tests.util import check, context, new_layout

run = runner("align")
TOP, BOT = (1, 0), (2, 0)


def align_rule(op="<=", value=1.0):
    return check("align", "TOP", "BOT", constraints=((None, op, value, Dim.LENGTH),))


def markers_of(layout, top, rule=None):
    return run(rule or align_rule(), context(layout, top, {"TOP": TOP, "BOT": BOT}))


def put(layout, top, ld, points, size=10.0):
    for x, y in points:
        top.shapes(layout.layer(*ld)).insert(
            kdb.DBox(x - size / 2, y - size / 2, x + size / 2, y + size / 2)
        )


def die_array(layout, top, trans, na=4, nb=3):
    """A flipped top die: its bump array placed mirrored and rotated."""
    cell = layout.create_cell("BUMPS")
    cell.shapes(layout.layer(*TOP)).insert(kdb.DBox(-5, -5, 5, 5))
    die = layout.create_cell("DIE")
    die.insert(
        kdb.DCellInstArray(
            cell.cell_index(), kdb.DTrans(), kdb.DVector(40, 0), kdb.DVector(0, 40), na, nb
        )
    )
    top.insert(kdb.DCellInstArray(die.cell_index(), trans))


def test_flipped_die_on_its_pads_passes():
    layout, top = new_layout()
    die_array(layout, top, kdb.DCplxTrans(1, 180, True, 1000, 1000))
    # mirror at x then rotate 180: (x, y) -> (-x, y); pads 0.5 um off
    put(layout, top, BOT, [(1000.5 - 40 * i, 1000 + 40 * j) for i in range(4) for j in range(3)])
    assert markers_of(layout, top) == []


def test_offset_bump_marks_the_bump_and_the_pad():
    layout, top = new_layout()
    put(layout, top, TOP, [(0, 0), (100, 1.5)])
    put(layout, top, BOT, [(0, 0), (100, 0)])
    markers = markers_of(layout, top)
    assert [(m.shape, m.measured, m.text) for m in markers] == [
        (kdb.DEdge(100, 0, 100, 1.5), 1.5, "offset 1.5 um > 1 um (BOT to nearest TOP)"),
        (kdb.DEdge(100, 1.5, 100, 0), 1.5, "offset 1.5 um > 1 um (TOP to nearest BOT)"),
    ]


def test_offset_exactly_at_the_tolerance_passes():
    layout, top = new_layout()
    put(layout, top, TOP, [(0, 1), (50, 0)])
    put(layout, top, BOT, [(0, 0), (50.6, 0.8)])
    assert markers_of(layout, top) == []
    assert len(markers_of(layout, top, align_rule("<", 1.0))) == 4


def test_pad_without_bump():
    layout, top = new_layout()
    put(layout, top, TOP, [(0, 0)])
    put(layout, top, BOT, [(0, 0), (0, 40)])
    markers = markers_of(layout, top)
    assert [(m.shape, m.text) for m in markers] == [
        (kdb.DEdge(0, 40, 0, 0), "offset 40 um > 1 um (BOT to nearest TOP)")
    ]


def test_empty_layers():
    layout, top = new_layout()
    assert markers_of(layout, top) == []
    put(layout, top, TOP, [(0, 0), (40, 0)])
    markers = markers_of(layout, top)
    assert [(m.shape, m.measured, m.text) for m in markers] == [
        (kdb.DEdge(0, 0, 0, 0), None, "TOP with no BOT"),
        (kdb.DEdge(40, 0, 40, 0), None, "TOP with no BOT"),
    ]
    layout, top = new_layout()
    put(layout, top, BOT, [(5, 5)])
    assert [m.text for m in markers_of(layout, top)] == ["BOT with no TOP"]


def test_matching_is_not_exclusive():
    layout, top = new_layout()
    put(layout, top, TOP, [(0, 0), (0, 0.5)], size=0.2)
    put(layout, top, BOT, [(0, 0.2)])
    assert markers_of(layout, top) == []


@pytest.mark.parametrize("offset, expected", [(0.0, 0), (0.3, 0), (2.0, 2 * 12)])
def test_whole_array_shift(offset, expected):
    layout, top = new_layout()
    die_array(layout, top, kdb.DCplxTrans(1, 0, False, 0, 0))
    put(layout, top, BOT, [(40 * i + offset, 40 * j) for i in range(4) for j in range(3)])
    assert len(markers_of(layout, top)) == expected
