"""area: minimum and/or maximum area of each merged shape."""

from __future__ import annotations

import klayout.db as kdb
import pytest

from adk.checks import runner
from adk.lang.units import Dim
from tests.util import box_of, check, context, new_layout, polygon

run = runner("area")
PAD = (1, 0)


def layout_of(*shapes) -> tuple[kdb.Layout, kdb.Cell]:
    layout, top = new_layout()
    for shape in shapes:
        top.shapes(layout.layer(*PAD)).insert(shape)
    return layout, top


def markers(layout, top, *limits: tuple[str, float]):
    rule = check("area", "PAD", constraints=tuple((None, op, v, Dim.AREA) for op, v in limits))
    return run(rule, context(layout, top, {"PAD": PAD}))


SHAPES = (kdb.DBox(0, 0, 3, 5), kdb.DBox(10, 0, 14, 4), kdb.DBox(20, 0, 25, 5))  # 15, 16, 25 um2


def test_minimum_area():
    [marker] = markers(*layout_of(*SHAPES), (">=", 16))
    assert isinstance(marker.shape, kdb.DPolygon)
    assert box_of(marker) == (0, 0, 3, 5)
    assert marker.measured == pytest.approx(15)
    assert marker.text == "area 15 um2 < 16 um2"


def test_maximum_area():
    [marker] = markers(*layout_of(*SHAPES), ("<=", 16))
    assert box_of(marker) == (20, 0, 25, 5)
    assert marker.text == "area 25 um2 > 16 um2"


def test_minimum_and_maximum_together():
    found = markers(*layout_of(*SHAPES), (">=", 16), ("<=", 20))
    assert [(box_of(m), m.text) for m in found] == [
        ((0, 0, 3, 5), "area 15 um2 < 16 um2"),
        ((20, 0, 25, 5), "area 25 um2 > 20 um2"),
    ]


def test_area_exactly_at_a_limit_passes_and_fails_strict_limits():
    layout, top = layout_of(kdb.DBox(10, 0, 14, 4))
    assert markers(layout, top, (">=", 16), ("<=", 16)) == []
    assert [m.text for m in markers(layout, top, (">", 16))] == ["area 16 um2 <= 16 um2"]
    assert [m.text for m in markers(layout, top, ("<", 16))] == ["area 16 um2 >= 16 um2"]


def test_limit_not_exact_in_floating_point_is_met_exactly():
    # 0.3 um2 is 299999.99999999994 square database units in floating point
    layout, top = layout_of(kdb.DBox(0, 0, 0.5, 0.6))
    assert markers(layout, top, (">=", 0.3), ("<=", 0.3)) == []
    assert len(markers(layout, top, (">", 0.3))) == 1
    assert len(markers(layout, top, ("<", 0.3))) == 1


def test_half_unit_areas_are_exact():
    # a triangle of 0.5 square database units: Polygon.area() would round it to 0
    tiny = polygon((0, 0), (0.001, 0), (0, 0.001))
    layout, top = layout_of(tiny)
    assert markers(layout, top, (">=", 0.5e-6)) == []
    [marker] = markers(layout, top, (">", 0.5e-6))
    assert marker.measured == pytest.approx(0.5e-6)


def test_touching_shapes_are_one_shape_and_holes_do_not_count():
    assert markers(*layout_of(kdb.DBox(0, 0, 2, 4), kdb.DBox(2, 0, 4, 4)), (">=", 16)) == []
    ring = kdb.DPolygon(kdb.DBox(0, 0, 10, 10))
    ring.insert_hole(kdb.DBox(1, 1, 9, 9))
    [marker] = markers(*layout_of(ring), (">=", 40))
    assert marker.measured == pytest.approx(36)


def test_all_angle_shape():
    # a parallelogram spanned by (30, 10) and (-1, 3): 30 * 3 + 10 * 1 = 100 um2
    shape = polygon((0, 0), (30, 10), (29, 13), (-1, 3))
    assert markers(*layout_of(shape), (">=", 100)) == []
    [marker] = markers(*layout_of(shape), (">=", 120))
    assert marker.measured == pytest.approx(100)
    assert box_of(marker) == (-1, 0, 30, 13)


def test_shapes_in_instances_are_merged_across_cells():
    layout, top = layout_of(kdb.DBox(0, 0, 2, 4))
    half = layout.create_cell("HALF")
    half.shapes(layout.layer(*PAD)).insert(kdb.DBox(0, 0, 4, 2))
    # R90 turns the 4 x 2 box upright: x -2 .. 0, y 0 .. 4; moved to x 2 .. 4 next to the TOP box
    top.insert(kdb.DCellInstArray(half.cell_index(), kdb.DTrans(kdb.DTrans.R90, kdb.DVector(4, 0))))
    # and an array of four separate 8 um2 copies far away
    top.insert(
        kdb.DCellInstArray(
            half.cell_index(),
            kdb.DTrans(kdb.DVector(100, 0)),
            kdb.DVector(10, 0),
            kdb.DVector(0, 10),
            2,
            2,
        )
    )
    found = markers(layout, top, (">=", 10))
    assert [box_of(m) for m in found] == [
        (100, 0, 104, 2),
        (100, 10, 104, 12),
        (110, 0, 114, 2),
        (110, 10, 114, 12),
    ]


def test_empty_layer_passes():
    layout, top = new_layout()
    assert markers(layout, top, (">=", 1)) == []
