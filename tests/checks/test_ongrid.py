"""ongrid: vertices of merged shapes on a grid, as KLayout's grid check finds them."""

from __future__ import annotations

import klayout.db as kdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adk.checks import runner
from adk.errors import AdkError
from adk.run.guard import guarded
from tests.util import check, context, new_layout

run = runner("ongrid")
M = (1, 0)


def markers(*shapes, grid: float = 0.005, dbu: float = 0.001):
    layout, top = new_layout(dbu)
    for shape in shapes:
        top.shapes(layout.layer(*M)).insert(shape)
    rule = check("ongrid", "M", params={"grid": grid})
    return run(rule, context(layout, top, {"M": M}))


def points(found) -> list[tuple[float, float]]:
    return [(m.shape.first.x1, m.shape.first.y1) for m in found]


def test_vertices_on_the_grid_pass_also_below_the_origin():
    assert markers(kdb.DBox(-10.005, -20, 0, 0.015), kdb.DBox(5, 5, 10, 10)) == []


def test_each_vertex_off_the_grid_is_a_point_marker():
    found = markers(kdb.DBox(0, 0, 10.002, 10))
    assert points(found) == [(10.002, 0), (10.002, 10)]
    for marker in found:
        assert isinstance(marker.shape, kdb.DEdgePair)
        assert marker.shape.first == marker.shape.second  # both edges are the point
        assert marker.shape.first.is_degenerate()
        assert marker.text == "vertex off the 0.005 um grid"
        assert marker.measured is None


def test_grid_in_the_deck_unit():
    layout, top = new_layout()
    top.shapes(layout.layer(*M)).insert(kdb.DBox(0, 0, 1.001, 1))
    ctx = context(layout, top, {"M": M})
    ctx.length_unit = "nm"
    [first, _] = run(check("ongrid", "M", params={"grid": 0.005}), ctx)
    assert first.text == "vertex off the 5 nm grid"


def test_a_grid_of_one_database_unit_holds_every_vertex():
    assert markers(kdb.DBox(0, 0, 10.001, 10.003), grid=0.001) == []


def test_a_grid_not_a_whole_number_of_database_units_is_the_deck_s_fault():
    layout, top = new_layout()
    top.shapes(layout.layer(*M)).insert(kdb.DBox(0, 0, 1, 1))
    rule = check("ongrid", "M", params={"grid": 0.0025})
    found, error = guarded(run, rule, context(layout, top, {"M": M}))
    assert found == []
    assert error == (
        "ongrid: grid 0.0025 um is not a whole number of the layout's database unit 0.001 um"
    )
    with pytest.raises(AdkError):
        run(rule, context(layout, top, {"M": M}))


def test_the_same_grid_on_a_finer_database_unit():
    # 5 nm is 50 units of 0.1 nm: 10.0002 um is off it, 10.005 um is on it
    found = points(markers(kdb.DBox(0, 0, 10.0002, 10.005), dbu=0.0001))
    assert [(round(x, 6), round(y, 6)) for x, y in found] == [(10.0002, 0), (10.0002, 10.005)]


def test_a_vertex_where_the_outline_touches_itself_is_marked_once():
    found = markers(kdb.DBox(0, 0, 5.003, 5.003), kdb.DBox(5.003, 5.003, 10, 10))
    assert points(found).count((5.003, 5.003)) == 1
    assert len(found) == 5


def test_cells_are_checked_where_they_land():
    layout, top = new_layout()
    child = layout.create_cell("PAD")
    child.shapes(layout.layer(*M)).insert(kdb.DBox(0, 0, 10, 5))
    for x in (0.0, 20.002):
        top.insert(kdb.DCellInstArray(child.cell_index(), kdb.DTrans(kdb.DTrans.R90, x, 0)))
    found = run(check("ongrid", "M", params={"grid": 0.005}), context(layout, top, {"M": M}))
    assert points(found) == [(15.002, 0), (15.002, 10), (20.002, 0), (20.002, 10)]


# ---------------------------------------------------------------- against KLayout
GRID = 5  # database units
coordinate = st.integers(-400, 400)


@st.composite
def polygons(draw) -> kdb.Polygon:
    """Boxes and triangles on the database grid, many of their vertices off the 5 nm grid."""
    if draw(st.booleans()):
        x, y = draw(coordinate), draw(coordinate)
        return kdb.Polygon(
            kdb.Box(x, y, x + draw(st.integers(1, 200)), y + draw(st.integers(1, 200)))
        )
    return kdb.Polygon([kdb.Point(draw(coordinate), draw(coordinate)) for _ in range(3)])


@settings(max_examples=80, deadline=None)
@given(st.lists(polygons(), max_size=8))
def test_matches_klayout_s_grid_check_on_the_merged_shapes(shapes):
    layout, top = new_layout()
    region = kdb.Region()
    for polygon in shapes:
        top.shapes(layout.layer(*M)).insert(polygon)
        region.insert(polygon)
    found = run(check("ongrid", "M", params={"grid": GRID * 0.001}), context(layout, top, {"M": M}))
    expected = {(p.first.x1, p.first.y1) for p in region.merged().grid_check(GRID, GRID).each()}
    assert sorted((round(x * 1000), round(y * 1000)) for x, y in points(found)) == sorted(expected)
    assert all(x % GRID or y % GRID for x, y in expected)
