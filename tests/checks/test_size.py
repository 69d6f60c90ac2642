"""size: every merged shape a rectangle whose sides meet the constraints exactly."""

from __future__ import annotations

import klayout.db as kdb
from hypothesis import given, settings
from hypothesis import strategies as st

from adk.checks import runner
from adk.checks.kinds import size
from adk.lang.units import Dim
from tests.util import check, context, new_layout, polygon

run = runner("size")
V = (1, 0)


def markers(*shapes, constraints=((None, "==", 0.2, Dim.LENGTH),), unit: str = "um"):
    layout, top = new_layout()
    for shape in shapes:
        top.shapes(layout.layer(*V)).insert(shape)
    ctx = context(layout, top, {"V": V})
    ctx.length_unit = unit
    return run(check("size", "V", constraints=constraints), ctx)


def texts(found) -> list[str]:
    return [m.text for m in found]


def test_exact_squares_pass_in_either_orientation_of_a_bar():
    assert markers(kdb.DBox(0, 0, 0.2, 0.2), kdb.DBox(1, 0, 1.2, 0.2)) == []
    bar = ((("width", "==", 0.2, Dim.LENGTH)), ("length", "==", 0.4, Dim.LENGTH))
    assert markers(kdb.DBox(0, 0, 0.2, 0.4), kdb.DBox(1, 0, 1.4, 0.2), constraints=bar) == []


def test_no_slack_one_database_unit_off_fails():
    found = markers(kdb.DBox(0, 0, 0.2, 0.201), kdb.DBox(1, 0, 1.199, 0.2))
    assert texts(found) == [
        "length 0.201 um != 0.2 um (0.2 um x 0.201 um)",
        "width 0.199 um != 0.2 um (0.199 um x 0.2 um)",
    ]
    assert [m.measured for m in found] == [0.201, 0.199]
    assert all(isinstance(m.shape, kdb.DPolygon) for m in found)


def test_a_limit_between_two_grid_steps_is_never_met():
    equal = ((None, "==", 0.2005, Dim.LENGTH),)
    found = markers(kdb.DBox(0, 0, 0.2, 0.2), kdb.DBox(1, 0, 1.201, 1.201), constraints=equal)
    assert len(found) == 2


def test_limit_not_exact_in_floating_point_is_met_exactly():
    # 0.3 um is 299.99999999999994 database units in floating point
    assert markers(kdb.DBox(0, 0, 0.3, 0.3), constraints=((None, "==", 0.3, Dim.LENGTH),)) == []


def test_the_first_constraint_broken_in_the_deck_s_order_names_the_side():
    limits = (("length", "<=", 1.0, Dim.LENGTH), (None, ">=", 0.5, Dim.LENGTH))
    found = markers(kdb.DBox(0, 0, 0.3, 2), kdb.DBox(10, 0, 10.3, 0.8), constraints=limits)
    assert texts(found) == [
        "length 2 um > 1 um (0.3 um x 2 um)",
        "width 0.3 um < 0.5 um (0.3 um x 0.8 um)",
    ]


def test_shapes_that_are_no_rectangles():
    ell = polygon((0, 0), (0.4, 0), (0.4, 0.2), (0.2, 0.2), (0.2, 0.4), (0, 0.4))
    diamond = polygon((10, 0), (10.1, 0.1), (10, 0.2), (9.9, 0.1))
    ring = kdb.DPolygon(kdb.DBox(20, 0, 21, 1))
    ring.insert_hole(kdb.DBox(20.4, 0.4, 20.6, 0.6))
    found = markers(ell, diamond, ring)
    assert texts(found) == ["size: not a rectangle"] * 3
    assert [m.measured for m in found] == [None] * 3


def test_overlapping_shapes_merge_into_no_rectangle_and_abutting_into_one():
    found = markers(kdb.DBox(0, 0, 0.2, 0.2), kdb.DBox(0.1, 0.1, 0.3, 0.3))
    assert texts(found) == ["size: not a rectangle"]
    found = markers(kdb.DBox(0, 0, 0.2, 0.2), kdb.DBox(0.2, 0, 0.4, 0.2))
    assert texts(found) == ["length 0.4 um != 0.2 um (0.2 um x 0.4 um)"]


def test_texts_in_the_deck_unit():
    found = markers(kdb.DBox(0, 0, 0.2, 0.4), unit="nm")
    assert texts(found) == ["length 400 nm != 200 nm (200 nm x 400 nm)"]


# ---------------------------------------------------------------- against KLayout
step = st.integers(1, 8).map(lambda v: v * 100)  # database units
corner = st.integers(0, 60).map(lambda v: v * 1000)


@st.composite
def shapes(draw) -> kdb.Polygon:
    x, y, w, h = draw(corner), draw(corner), draw(step), draw(step)
    if draw(st.booleans()):
        return kdb.Polygon(kdb.Box(x, y, x + w, y + h))
    cut = draw(st.integers(1, 99))  # an L: the box less a corner
    corners = [
        (x + cut, y),
        (x + w, y),
        (x + w, y + h),
        (x, y + h),
        (x, y + cut),
        (x + cut, y + cut),
    ]
    return kdb.Polygon([kdb.Point(*point) for point in corners])


@settings(max_examples=80, deadline=None)
@given(st.lists(shapes(), max_size=10))
def test_matches_klayout_s_rectangle_and_box_filters(drawn):
    """Boxes and Ls on a 0.1 um grid, overlapping at will: the markers are the merged
    shapes KLayout calls no rectangles and its rectangles but those of 0.2 x 0.4 um."""
    layout, top = new_layout()
    region = kdb.Region()
    for shape in drawn:
        top.shapes(layout.layer(*V)).insert(shape)
        region.insert(shape)
    bar = (("width", "==", 0.2, Dim.LENGTH), ("length", "==", 0.4, Dim.LENGTH))
    found = run(check("size", "V", constraints=bar), context(layout, top, {"V": V}))
    rectangles = region.rectangles()
    right = rectangles.with_bbox_min(200, 201, False).with_bbox_max(400, 401, False)
    expected = region.non_rectangles() + (rectangles - right)
    assert sorted(str(m.shape) for m in found) == sorted(
        str(p.to_dtype(0.001)) for p in expected.merged().each()
    )
    broken = sum(1 for m in found if m.text != "size: not a rectangle")
    assert broken == (rectangles - right).count()


side = st.sampled_from([100, 199, 200, 201, 300, 399, 400, 401, 1000])
limits = st.sampled_from([0.1, 0.2, 0.2005, 0.3, 0.4, 1.0])
ops = st.sampled_from([">=", ">", "<=", "<", "=="])
props = st.sampled_from(["size", "width", "length"])


@st.composite
def shapes(draw) -> kdb.Polygon:
    x, y = draw(st.integers(0, 40)) * 2000, draw(st.integers(0, 40)) * 2000
    w, h = draw(side), draw(side)
    kind = draw(st.sampled_from(["box", "box", "box", "slanted", "holed", "L"]))
    if kind == "box":
        return kdb.Polygon(kdb.Box(x, y, x + w, y + h))
    if kind == "slanted":  # four vertices, not a rectangle
        return kdb.Polygon(
            [kdb.Point(*p) for p in ((x, y), (x + 50, y + h), (x + w, y + h), (x + w, y))]
        )
    if kind == "holed":
        ring = kdb.Polygon(kdb.Box(x, y, x + w + 200, y + h + 200))
        ring.insert_hole(kdb.Box(x + 100, y + 100, x + w + 100, y + h + 100))
        return ring
    return kdb.Polygon(kdb.Box(x, y, x + w, y + h)) if w == h else polygon_l(x, y, w, h)


def polygon_l(x: int, y: int, w: int, h: int) -> kdb.Polygon:
    return (
        kdb.Region(kdb.Box(x, y, x + w, y + 100)) + kdb.Region(kdb.Box(x, y, x + 100, y + h))
    ).merged()[0]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(shapes(), max_size=12),
    st.lists(st.tuples(props, ops, limits), min_size=1, max_size=3),
)
def test_filtered_rectangles_give_the_markers_of_testing_every_shape(drawn, limits):
    """Only the shapes KLayout's filters leave are tested one by one; the markers are
    those of testing every shape."""
    layout, top = new_layout()
    for shape in drawn:
        top.shapes(layout.layer(*V)).insert(shape)
    ctx = context(layout, top, {"V": V})
    rule = check("size", "V", constraints=tuple((p, o, v, Dim.LENGTH) for p, o, v in limits))
    every = [size._marker(p, rule.constraints, ctx) for p in ctx.region(rule.layers[0]).each()]
    assert run(rule, ctx) == sorted((m for m in every if m), key=lambda m: m.sort_key())
