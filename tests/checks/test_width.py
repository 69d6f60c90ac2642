"""width: minimum width of the merged shapes of one layer."""

from __future__ import annotations

import math

import klayout.db as kdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adk.checks import runner
from adk.checks.kinds import width
from adk.lang.units import Dim
from tests.checks.test_polygon_differential import layers
from tests.util import box_of, check, context, new_layout, polygon

run = runner("width")
M = (1, 0)


def layout_of(*shapes) -> tuple[kdb.Layout, kdb.Cell]:
    layout, top = new_layout()
    for shape in shapes:
        top.shapes(layout.layer(*M)).insert(shape)
    return layout, top


def markers(layout, top, value: float = 2.0, op: str = ">="):
    rule = check("width", "M", constraints=((None, op, value, Dim.LENGTH),))
    return run(rule, context(layout, top, {"M": M}))


def test_wide_shapes_pass():
    assert markers(*layout_of(kdb.DBox(0, 0, 10, 5), kdb.DBox(20, 0, 22, 30))) == []


def test_narrow_line_gives_one_edge_pair_across_it():
    [marker] = markers(*layout_of(kdb.DBox(0, 0, 10, 1.5)))
    assert isinstance(marker.shape, kdb.DEdgePair)
    assert box_of(marker) == (0, 0, 10, 1.5)
    assert marker.measured == pytest.approx(1.5)
    assert marker.text == "width 1.5 um < 2 um"


def test_width_exactly_at_the_limit_passes_and_fails_a_strict_limit():
    layout, top = layout_of(kdb.DBox(0, 0, 10, 2))
    assert markers(layout, top) == []
    [marker] = markers(layout, top, op=">")
    assert marker.measured == pytest.approx(2.0)
    assert marker.text == "width 2 um <= 2 um"


def test_limit_not_exact_in_floating_point_is_met_exactly():
    # 0.3 um is 299.99999999999994 database units in floating point
    layout, top = layout_of(kdb.DBox(0, 0, 10, 0.3))
    assert markers(layout, top, value=0.3) == []
    assert [m.text for m in markers(layout, top, value=0.3, op=">")] == ["width 0.3 um <= 0.3 um"]


def test_several_limits_report_the_first_one_broken():
    layout, top = layout_of(
        kdb.DBox(0, 0, 10, 0.5), kdb.DBox(0, 10, 10, 11.5), kdb.DBox(0, 20, 10, 23)
    )
    limits = ((None, ">=", 1, Dim.LENGTH), (None, ">", 2, Dim.LENGTH))
    rule = check("width", "M", constraints=limits)
    found = run(rule, context(layout, top, {"M": M}))
    assert [m.text for m in found] == ["width 0.5 um < 1 um", "width 1.5 um <= 2 um"]


def test_only_the_narrow_part_of_a_shape_is_marked():
    # a 5 um pad with a 1 um neck: the marker covers the neck only
    pads = (kdb.DBox(0, 0, 5, 5), kdb.DBox(5, 2, 15, 3), kdb.DBox(15, 0, 20, 5))
    [marker] = markers(*layout_of(*pads))
    assert box_of(marker) == (5, 2, 15, 3)
    assert marker.measured == pytest.approx(1.0)


def test_touching_and_overlapping_shapes_are_merged_first():
    # two 1 um lines side by side make one 2 um line; an overlapping pair makes 2.5 um
    assert markers(*layout_of(kdb.DBox(0, 0, 10, 1), kdb.DBox(0, 1, 10, 2))) == []
    assert markers(*layout_of(kdb.DBox(0, 10, 10, 11.5), kdb.DBox(0, 11, 10, 12.5))) == []


def test_45_degree_line_is_measured_square_to_its_edges():
    # a 45 degree rectangle: long sides (0,0)-(10,10) and (-1,1)-(9,11), width sqrt(2)
    strip = polygon((0, 0), (10, 10), (9, 11), (-1, 1))
    layout, top = layout_of(strip)
    [marker] = markers(layout, top)
    assert marker.measured == round(math.sqrt(2), 3)  # to the nearest nm
    assert box_of(marker) == (-1, 0, 10, 11)
    assert markers(layout, top, value=1.414) == []


def test_45_degree_jog_drawn_at_the_limit_passes_on_the_grid():
    # snapped to the 1 nm grid the 45 degree part of a 10 um wire is 9999.95 nm wide: at the
    # limit to the nearest database unit (KLayout alone reports it, measuring a point as 0 away)
    def wire(width: float) -> kdb.Polygon:
        points = [kdb.DPoint(x, y) for x, y in ((100, 1100), (100, 600), (0, 500), (0, 100))]
        return kdb.DPath(points, width).polygon().to_itype(0.001)

    assert markers(*layout_of(wire(10)), value=10) == []
    found = markers(*layout_of(wire(9.99)), value=10)
    assert found and all(m.measured == pytest.approx(9.99) for m in found)


def test_all_angle_line_is_measured_square_to_its_edges():
    # direction (3, 1), width sqrt(10) = 3.1623
    strip = polygon((0, 0), (30, 10), (29, 13), (-1, 3))
    layout, top = layout_of(strip)
    [marker] = markers(layout, top, value=3.5)
    assert marker.measured == round(math.sqrt(10), 3)
    assert marker.text == "width 3.162 um < 3.5 um"
    assert markers(layout, top, value=3.16) == []


def test_sharp_corner_tip_has_width_zero():
    # the 45 degree corners of a right triangle are thinner than any limit at their tip
    found = markers(*layout_of(polygon((0, 0), (10, 0), (10, 10))), value=1.0)
    assert [m.measured for m in found] == [0.0, 0.0]
    assert [box_of(m) for m in found] == [(0, 0, 1.414, 1), (9, 8.586, 10, 10)]
    assert all(m.text == "width 0 um < 1 um" for m in found)


def test_shapes_in_rotated_and_mirrored_instances():
    layout, top = new_layout()
    child = layout.create_cell("LINE")
    child.shapes(layout.layer(*M)).insert(kdb.DBox(0, 0, 10, 1.5))
    trans = kdb.DTrans(kdb.DTrans.R90, kdb.DVector(100, 0))
    top.insert(kdb.DCellInstArray(child.cell_index(), trans))
    trans = kdb.DTrans(kdb.DTrans.M0, kdb.DVector(0, 50))
    top.insert(kdb.DCellInstArray(child.cell_index(), trans))
    found = markers(layout, top)
    assert [box_of(m) for m in found] == [(0, 48.5, 10, 50), (98.5, 0, 100, 10)]
    assert [m.measured for m in found] == pytest.approx([1.5, 1.5])


def test_shapes_are_merged_across_cells():
    # a 1 um line in TOP and a 1 um line in a child instance make one 2 um line
    layout, top = layout_of(kdb.DBox(0, 0, 10, 1))
    child = layout.create_cell("HALF")
    child.shapes(layout.layer(*M)).insert(kdb.DBox(0, 0, 10, 1))
    top.insert(kdb.DCellInstArray(child.cell_index(), kdb.DTrans(kdb.DVector(0, 1))))
    assert markers(layout, top) == []


def test_markers_are_sorted_by_location():
    lines = (kdb.DBox(50, 0, 60, 1), kdb.DBox(0, 20, 10, 21), kdb.DBox(0, 0, 10, 1))
    found = markers(*layout_of(*lines))
    assert [box_of(m) for m in found] == [(0, 0, 10, 1), (0, 20, 10, 21), (50, 0, 60, 1)]


def test_empty_layer_passes():
    layout, top = new_layout()
    assert markers(layout, top) == []


# ---------------------------------------------------------------- maximum
def too_wide(*shapes, value: float = 10.0, op: str = "<="):
    layout, top = layout_of(*shapes)
    return markers(layout, top, value, op)


def test_a_rectangle_fails_when_its_shorter_side_is_over_the_maximum():
    assert too_wide(kdb.DBox(0, 0, 100, 10), kdb.DBox(0, 20, 10, 30)) == []
    [marker] = too_wide(kdb.DBox(0, 0, 30, 20))
    assert isinstance(marker.shape, kdb.DPolygon)
    assert box_of(marker) == (0, 0, 30, 20)
    assert marker.measured == 20
    assert marker.text == "width 20 um > 10 um"


def test_a_maximum_passes_at_the_limit_and_a_strict_one_fails_there():
    assert [m.text for m in too_wide(kdb.DBox(0, 0, 100, 10.001))] == ["width 10.001 um > 10 um"]
    assert [m.text for m in too_wide(kdb.DBox(0, 0, 100, 10), op="<")] == ["width 10 um >= 10 um"]
    assert too_wide(kdb.DBox(0, 0, 100, 9.999), op="<") == []


def test_a_maximum_not_exact_in_floating_point_is_met_exactly():
    assert too_wide(kdb.DBox(0, 0, 10, 0.3), value=0.3) == []
    assert [m.text for m in too_wide(kdb.DBox(0, 0, 10, 0.3), value=0.3, op="<")] == [
        "width 0.3 um >= 0.3 um"
    ]


def test_an_odd_maximum_in_database_units_is_exact():
    # 9.999 um is an odd number of units: its half is not a whole one
    assert too_wide(kdb.DBox(0, 0, 100, 9.999), value=9.999) == []
    assert [m.measured for m in too_wide(kdb.DBox(0, 0, 100, 10), value=9.999)] == [10]


@pytest.mark.parametrize(
    "arms",
    [
        [(0, 0, 100, 10), (0, 0, 10, 100)],  # L
        [(0, 0, 100, 10), (45, 10, 55, 100)],  # T
        [(0, 45, 100, 55), (45, 0, 55, 100)],  # cross
        [(0, 0, 50, 10), (0, 40, 50, 50), (0, 0, 10, 50), (40, 0, 50, 50)],  # square ring
    ],
)
def test_junctions_of_arms_within_the_maximum_pass(arms):
    assert too_wide(*(kdb.DBox(*arm) for arm in arms)) == []


def test_an_arm_over_the_maximum_is_marked_into_its_corner_only():
    # an L of an 8 um and a 15 um arm: the 15 um arm, corner included
    [marker] = too_wide(kdb.DBox(0, 0, 8, 100), kdb.DBox(0, 0, 100, 15))
    assert box_of(marker) == (0, 0, 100, 15)
    assert marker.text == "width 15 um > 10 um"


def test_each_part_over_the_maximum_has_its_own_width():
    found = too_wide(kdb.DBox(0, 0, 20, 30), kdb.DBox(20, 10, 60, 15), kdb.DBox(60, 0, 72, 12))
    assert [(box_of(m), m.measured) for m in found] == [((0, 0, 20, 30), 20), ((60, 0, 72, 12), 12)]


def test_the_width_of_a_part_is_its_widest_place():
    # a 12 um line widening to a 16 um block: one part, 16 um
    [marker] = too_wide(kdb.DBox(0, 0, 50, 12), kdb.DBox(50, 0, 70, 16))
    assert marker.measured == 16


def test_a_45_degree_line_is_measured_square_to_its_edges():
    # sqrt(2) * 7.072 = 10.0013 um across once its corners are snapped to the grid
    line = polygon((0, 0), (7.072, -7.072), (17.072, 2.928), (10, 10))
    [marker] = too_wide(line)
    assert marker.measured == 10.001
    assert too_wide(line, value=10.002) == []


def test_a_line_bent_by_45_degrees_within_the_maximum_passes():
    def bend(width: float) -> kdb.Polygon:
        points = [kdb.DPoint(x, y) for x, y in ((0, 0), (50, 0), (100, 50))]
        return kdb.DPath(points, width).polygon()

    assert too_wide(bend(9.99)) == []
    assert [m.text for m in too_wide(bend(10.1))] == ["width 10.1 um > 10 um"]


def test_minimum_and_maximum_together():
    layout, top = layout_of(kdb.DBox(0, 0, 12, 12), kdb.DBox(12, 5, 30, 6.5))
    limits = ((None, ">=", 2.0, Dim.LENGTH), (None, "<=", 10.0, Dim.LENGTH))
    found = run(check("width", "M", constraints=limits), context(layout, top, {"M": M}))
    assert [m.text for m in found] == ["width 12 um > 10 um", "width 1.5 um < 2 um"]


def test_a_layout_too_large_for_quarter_units_is_refused():
    from adk.errors import AdkError

    with pytest.raises(AdkError, match="quarter database units"):
        too_wide(kdb.DBox(0, 0, 600000, 20))


# ---------------------------------------------------------------- maximum against KLayout
manhattan = st.integers(0, 60).map(lambda v: v * 500)
extent = st.integers(1, 40).map(lambda v: v * 500)
boxes = st.lists(
    st.builds(lambda x, y, w, h: kdb.Box(x, y, x + w, y + h), manhattan, manhattan, extent, extent),
    max_size=8,
)


@settings(max_examples=80, deadline=None)
@given(boxes, st.sampled_from([2000, 5000, 7500, 10000]))
def test_maximum_matches_klayout_s_idiom_on_manhattan_layouts(drawn, limit):
    """The parts over an even maximum are KLayout's ``sized(-max / 2).sized(max / 2)``
    (the part of the shape kept), each with the width at which it vanishes."""
    layout, top = layout_of(*drawn)
    found = markers(layout, top, value=limit / 1000, op="<=")
    region = kdb.Region(drawn).merged()
    opened = (region.sized(-limit // 2).sized(limit // 2) & region).merged()
    assert sorted(str(m.shape) for m in found) == sorted(
        str(p.to_dtype(0.001)) for p in opened.each()
    )
    for marker in found:
        units = round(marker.measured * 1000)
        doubled = kdb.Region(marker.shape.to_itype(0.001)).transformed(kdb.ICplxTrans(2.0))
        assert units > limit
        assert not doubled.sized(-(units - 1)).is_empty() and doubled.sized(-units).is_empty()


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(layers, boxes.map(lambda drawn: [kdb.Polygon(box) for box in drawn])),
    st.sampled_from([0.5, 1.0, 1.3, 2.0, 3.7, 5.0]),
    st.sampled_from(["<=", "<"]),
)
def test_maximum_shrinks_only_the_shapes_wide_enough_and_marks_the_same(drawn, value, op):
    """Shrinking only the shapes whose bounding box is wide enough both ways, and cutting
    the grown core by the shapes it meets on a Manhattan layer, give the markers of
    doing both with every shape."""
    layout, top = layout_of(*drawn)
    rule = check("width", "M", constraints=((None, op, value, Dim.LENGTH),))
    found = run(rule, context(layout, top, {"M": M}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(width, "wide_enough", lambda region, allowed: region)
        patch.setattr(width, "cut_by", lambda grown, quarters: quarters)
        every = run(rule, context(layout, top, {"M": M}))
    assert found == every
