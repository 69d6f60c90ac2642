"""distance: nearest distance from each shape of one layer to another layer."""

from __future__ import annotations

import math

import klayout.db as kdb
from hypothesis import given, settings
from hypothesis import strategies as st

from adk.checks import runner
from adk.checks.kinds.distance import polygon_distance
from adk.lang.units import Dim, Quantity
from tests.util import check, context, new_layout

run = runner("distance")
A, B = (1, 0), (2, 0)


def mm(um: float) -> str:
    return Quantity(um, Dim.LENGTH).format("um")


def rule(*limits, second="B"):
    return check(
        "distance",
        "A",
        second,
        constraints=tuple((None, op, value, Dim.LENGTH) for op, value in limits),
    )


def markers_of(layout, top, r):
    return run(r, context(layout, top, {"A": A, "B": B}))


def put(layout, top, ld, *shapes):
    for shape in shapes:
        top.shapes(layout.layer(*ld)).insert(shape)


def test_maximum_distance_marks_the_gap():
    layout, top = new_layout()
    put(layout, top, A, kdb.DBox(0, 0, 1000, 1000), kdb.DBox(0, 5000, 1000, 6000))
    put(layout, top, B, kdb.DBox(3500, 200, 4500, 800), kdb.DBox(0, 7500, 1000, 8000))
    markers = markers_of(layout, top, rule(("<=", 2000)))
    assert [(m.shape, m.measured, m.text) for m in markers] == [
        (kdb.DEdge(1000, 500, 3500, 500), 2500, f"distance {mm(2500)} > {mm(2000)}")
    ]


def test_corner_to_corner_is_euclidean():
    layout, top = new_layout()
    put(layout, top, A, kdb.DBox(0, 0, 100, 100))
    put(layout, top, B, kdb.DBox(400, 500, 500, 600))
    markers = markers_of(layout, top, rule((">=", 600)))
    assert [(m.shape, m.measured) for m in markers] == [(kdb.DEdge(100, 100, 400, 500), 500)]
    assert markers_of(layout, top, rule((">=", 500), ("<=", 500))) == []


def test_overlap_and_touch_are_zero_and_marked_with_the_shape():
    layout, top = new_layout()
    put(layout, top, A, kdb.DBox(0, 0, 100, 100), kdb.DBox(1000, 0, 1100, 100))
    put(layout, top, B, kdb.DBox(50, 50, 300, 300), kdb.DBox(1100, 100, 1200, 200))
    markers = markers_of(layout, top, rule((">=", 200)))
    assert [(m.shape, m.measured, m.text) for m in markers] == [
        (kdb.DPolygon(kdb.DBox(0, 0, 100, 100)), 0, "distance 0 um < 200 um"),
        (kdb.DPolygon(kdb.DBox(1000, 0, 1100, 100)), 0, "distance 0 um < 200 um"),
    ]


def test_shape_inside_a_hole_measures_to_the_hole():
    layout, top = new_layout()
    ring = kdb.DPolygon(kdb.DBox(0, 0, 1000, 1000))
    ring.insert_hole(kdb.DBox(100, 100, 900, 900))
    put(layout, top, B, ring)
    put(layout, top, A, kdb.DBox(400, 150, 600, 300), kdb.DBox(2000, 0, 2100, 100))
    markers = markers_of(layout, top, rule((">=", 100)))
    assert [(m.shape, m.measured) for m in markers] == [(kdb.DEdge(500, 150, 500, 100), 50)]


def test_no_other_shape_breaks_only_a_maximum():
    layout, top = new_layout()
    put(layout, top, A, kdb.DBox(0, 0, 10, 10))
    assert markers_of(layout, top, rule((">=", 100))) == []
    markers = markers_of(layout, top, rule(("<=", 100)))
    assert [(m.shape, m.measured, m.text) for m in markers] == [
        (kdb.DPolygon(kdb.DBox(0, 0, 10, 10)), None, "distance: no shape on the other layer")
    ]


def test_empty_first_layer():
    layout, top = new_layout()
    put(layout, top, B, kdb.DBox(0, 0, 10, 10))
    assert markers_of(layout, top, rule(("<=", 100))) == []


def test_same_layer_measures_to_the_other_shapes():
    layout, top = new_layout()
    put(layout, top, A, kdb.DBox(0, 0, 10, 10), kdb.DBox(50, 0, 60, 10), kdb.DBox(500, 0, 510, 10))
    markers = markers_of(layout, top, rule((">=", 100), second="A"))
    # one marker from each of the two near shapes, across the middle of their facing sides
    assert {(m.shape, m.measured) for m in markers} == {
        (kdb.DEdge(10, 5, 50, 5), 40),
        (kdb.DEdge(50, 5, 10, 5), 40),
    }


def test_shapes_in_cells_and_arrays():
    layout, top = new_layout()
    cell = layout.create_cell("PASSIVE")
    cell.shapes(layout.layer(*A)).insert(kdb.DBox(0, 0, 20, 10))
    top.insert(
        kdb.DCellInstArray(
            cell.cell_index(),
            kdb.DCplxTrans(1, 90, False, 0, 0),
            kdb.DVector(100, 0),
            kdb.DVector(0, 0),
            4,
            1,
        )
    )
    put(layout, top, B, kdb.DBox(-1000, 30, 1000, 40))
    markers = markers_of(layout, top, rule((">=", 15)))
    # each rotated passive spans y 0..20: 10 um below the die
    assert [m.measured for m in markers] == [10, 10, 10, 10]


def brute_distance(a: kdb.Polygon, b: kdb.Polygon) -> float:
    """Every edge end against every edge, in floating point; 0 when the polygons interact."""
    if kdb.Region(a).interacting(kdb.Region(b)):
        return 0.0
    ea, eb = list(a.to_dtype(1.0).each_edge()), list(b.to_dtype(1.0).each_edge())
    return min(
        min(
            e.euclidian_distance(f.p1),
            e.euclidian_distance(f.p2),
            f.euclidian_distance(e.p1),
            f.euclidian_distance(e.p2),
        )
        for e in eb
        for f in ea
    )


POLYGONS = st.builds(
    lambda x, y, w, h, cut: kdb.Polygon(
        [kdb.Point(x, y), kdb.Point(x + w, y), kdb.Point(x + w, y + h - cut), kdb.Point(x, y + h)]
    ),
    st.integers(0, 20000),
    st.integers(0, 20000),
    st.integers(100, 4000),
    st.integers(100, 4000),
    st.integers(0, 90),
)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(POLYGONS, min_size=1, max_size=6), st.lists(POLYGONS, max_size=8), st.floats(0.5, 15.0)
)
def test_distance_equals_brute_force(first, second, limit):
    layout, top = new_layout()
    put(layout, top, A, *first)
    put(layout, top, B, *second)
    markers = markers_of(layout, top, rule((">=", limit)))
    a_region, b_region = kdb.Region(first).merged(), kdb.Region(second).merged()
    expected = []
    for a in a_region.each():
        d = min((brute_distance(a, b) for b in b_region.each()), default=math.inf) * 0.001
        if d < limit:
            expected.append(round(d, 6))
    assert sorted(round(m.measured, 6) for m in markers) == sorted(expected)


def test_polygon_distance_points():
    a = kdb.Polygon(kdb.Box(0, 0, 10, 10))
    b = kdb.Polygon([kdb.Point(20, 5), kdb.Point(30, 0), kdb.Point(30, 10)])
    assert polygon_distance(a, b) == (10.0, (10.0, 5.0), (20.0, 5.0))
    assert polygon_distance(a, kdb.Polygon(kdb.Box(10, 10, 20, 20)))[0] == 0
    assert polygon_distance(b, a) == (10.0, (20.0, 5.0), (10.0, 5.0))
    # parallel sides facing over x 5..10: the middle of that stretch
    c = kdb.Polygon(kdb.Box(5, 30, 40, 40))
    assert polygon_distance(a, c) == (20.0, (7.5, 10.0), (7.5, 30.0))
    # equal distances at two corners: one of them, not a point in between
    d = kdb.Polygon(
        [
            kdb.Point(-3, 14),
            kdb.Point(5, 30),
            kdb.Point(13, 14),
            kdb.Point(13, 40),
            kdb.Point(-3, 40),
        ]
    )
    distance, on_a, on_d = polygon_distance(a, d)
    assert distance == 5.0
    assert (on_a, on_d) in (((0.0, 10.0), (-3.0, 14.0)), ((10.0, 10.0), (13.0, 14.0)))
