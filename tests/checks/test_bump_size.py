"""bump_size: outline kind and diameter of every bump."""

from __future__ import annotations

import math

import klayout.db as kdb
import numpy as np
import pytest

from adk.checks import runner
from adk.checks.kinds.bump_size import classify
from adk.examples.geometry import circle, octagon
from adk.lang.model import LayerRef, Sizing
from adk.lang.units import Dim
from tests.util import check, context, new_layout

run = runner("bump_size")
UB = (1, 0)


def regular(n: int, diameter: float, flats: bool = True) -> kdb.DPolygon:
    """A regular n-gon centred at 0: ``diameter`` across flats, or across corners."""
    radius = diameter / 2 / (math.cos(math.pi / n) if flats else 1.0)
    start = math.pi / n
    return kdb.DPolygon(
        [
            kdb.DPoint(
                radius * math.cos(start + 2 * math.pi * k / n),
                radius * math.sin(start + 2 * math.pi * k / n),
            )
            for k in range(n)
        ]
    )


def layout_with(shape, trans: kdb.DCplxTrans | None = None, na: int = 3, nb: int = 2):
    layout, top = new_layout()
    cell = layout.create_cell("BUMP")
    cell.shapes(layout.layer(*UB)).insert(shape)
    step = kdb.DVector(100, 0), kdb.DVector(0, 100)
    top.insert(kdb.DCellInstArray(cell.cell_index(), trans or kdb.DCplxTrans(), *step, na, nb))
    return layout, top


def size_rule(op: str = "==", value: float = 25.0, **params):
    return check("bump_size", "UB", params=params, constraints=((None, op, value, Dim.LENGTH),))


def markers_of(layout, top, rule):
    return run(rule, context(layout, top, {"UB": UB}))


def test_octagon_array_passes_on_the_grid_with_rotation_and_mirror():
    layout, top = layout_with(regular(8, 25), kdb.DCplxTrans(1, 90, True, 0, 0))
    assert markers_of(layout, top, size_rule(shape="octagon")) == []
    assert markers_of(layout, top, size_rule(shape="any")) == []


def test_octagon_at_an_arbitrary_angle_is_still_an_octagon():
    layout, top = layout_with(regular(8, 25), kdb.DCplxTrans(1, 22.5, False, 0, 0))
    assert markers_of(layout, top, size_rule(shape="octagon")) == []


def test_magnified_placement_scales_the_diameter():
    layout, top = layout_with(regular(8, 25), kdb.DCplxTrans(1.2, 0, False, 0, 0))
    markers = markers_of(layout, top, size_rule(shape="octagon"))
    assert len(markers) == 6
    assert all(abs(m.measured - 30) < 0.01 for m in markers)
    assert markers[0].text == "size 30 um != 25 um (octagon)"
    assert isinstance(markers[0].shape, kdb.DPolygon)
    assert markers[0].shape.num_points() == 8
    box = markers[0].shape.bbox()
    assert abs(box.center().x) < 0.01 and abs(box.center().y) < 0.01
    assert abs(box.width() - 30) < 0.01
    assert [round(m.shape.bbox().center().x) for m in markers] == [0, 0, 100, 100, 200, 200]


def test_circle_is_not_an_octagon():
    layout, top = layout_with(regular(32, 25, flats=False), na=1, nb=1)
    assert markers_of(layout, top, size_rule(shape="circle")) == []
    assert markers_of(layout, top, size_rule(shape="any")) == []
    markers = markers_of(layout, top, size_rule(shape="octagon"))
    assert len(markers) == 1
    assert markers[0].text.startswith("shape circle, expected octagon, size 25")
    assert markers[0].measured == pytest.approx(25, abs=0.002)


def test_octagon_is_not_a_circle():
    layout, top = layout_with(regular(8, 25), na=2, nb=1)
    markers = markers_of(layout, top, size_rule(shape="circle"))
    assert [m.text for m in markers] == ["shape octagon, expected circle, size 25 um"] * 2


def test_elongated_outline_fails_on_its_long_side():
    layout, top = layout_with(kdb.DBox(-12.5, -15, 12.5, 15), na=1, nb=1)
    markers = markers_of(layout, top, size_rule(shape="any"))
    assert len(markers) == 1
    assert markers[0].measured == pytest.approx(30)
    assert markers[0].text == "size 30 um != 25 um (rectangle)"
    assert markers_of(layout, top, size_rule(">=", 25, shape="any")) == []
    low = markers_of(layout, top, size_rule(">=", 26, shape="any"))
    assert [m.text for m in low] == ["size 25 um < 26 um (rectangle)"]


def test_tolerance():
    layout, top = layout_with(regular(8, 24.6), na=1, nb=1)
    assert markers_of(layout, top, size_rule(shape="octagon", tolerance=0.5)) == []
    layout, top = layout_with(regular(8, 24.4), na=1, nb=1)
    markers = markers_of(layout, top, size_rule(shape="octagon", tolerance=0.5))
    assert len(markers) == 1 and markers[0].measured == pytest.approx(24.4, abs=0.002)


def test_value_exactly_at_a_minimum_passes():
    layout, top = layout_with(kdb.DBox(-12.5, -12.5, 12.5, 12.5), na=1, nb=1)
    assert markers_of(layout, top, size_rule(">=", 25)) == []
    assert len(markers_of(layout, top, size_rule(">", 25.01))) == 1


def test_placements_with_different_magnifications_are_measured_apart():
    layout, top = new_layout()
    cell = layout.create_cell("BUMP")
    cell.shapes(layout.layer(*UB)).insert(regular(8, 25))
    top.insert(kdb.DCellInstArray(cell.cell_index(), kdb.DCplxTrans(1, 0, False, 0, 0)))
    top.insert(kdb.DCellInstArray(cell.cell_index(), kdb.DCplxTrans(2, 45, False, 500, 0)))
    top.shapes(layout.layer(*UB)).insert(regular(8, 25).moved(-500, 0))
    markers = markers_of(layout, top, size_rule(shape="octagon"))
    assert len(markers) == 1
    assert markers[0].measured == pytest.approx(50, abs=0.005)
    assert abs(markers[0].shape.bbox().center().x - 500) < 0.01


def test_empty_layer():
    layout, top = new_layout()
    assert markers_of(layout, top, size_rule(shape="octagon")) == []


def test_derived_layer_measures_merged_polygons():
    layout, top = layout_with(kdb.DBox(-10, -10, 10, 10), na=2, nb=1)
    grown = Sizing("grow", LayerRef("UB"), 2.5)
    rule = check("bump_size", grown, constraints=((None, "==", 25.0, Dim.LENGTH),))
    assert run(rule, context(layout, top, {"UB": UB})) == []


def test_classify():
    square = np.array([(0, 0), (10, 0), (10, 10), (0, 10)], dtype=float)
    assert classify(square) == ("rectangle", 10.0, 10.0)
    l_shape = np.array([(0, 0), (20, 0), (20, 10), (10, 10), (10, 20), (0, 20)], dtype=float)
    kind, low, high = classify(l_shape)
    # the convex hull cuts the notch: 20 across the sides, 30/sqrt(2) across the cut
    assert (kind, low, high) == ("polygon", 20.0, pytest.approx(30 / math.sqrt(2)))
    points = np.array([(p.x, p.y) for p in regular(8, 1000).each_point_hull()])
    kind, low, high = classify(points)
    assert kind == "octagon" and low == pytest.approx(1000) and high == pytest.approx(1000)


# ---------------------------------------------------------------- precision of values and markers
def placed_once(shape: kdb.Polygon, trans: kdb.DCplxTrans | None = None):
    return layout_with(shape, trans, na=1, nb=1)


def measured_texts(shape: kdb.Polygon, rule, trans: kdb.DCplxTrans | None = None):
    return [(m.measured, m.text) for m in markers_of(*placed_once(shape, trans), rule)]


def test_octagon_and_circle_drawn_20_um_on_the_grid_are_20_um():
    # the octagon's 45° flats snap to 19999.8 nm apart, the circle's vertices to 10 um
    # from its centre within half a nanometre: 20 um to the nearest nanometre
    assert measured_texts(octagon(20), size_rule("==", 25)) == [
        (20.0, "size 20 um != 25 um (octagon)")
    ]
    assert measured_texts(circle(20), size_rule("==", 25)) == [
        (20.0, "size 20 um != 25 um (circle)")
    ]
    assert measured_texts(octagon(20), size_rule("==", 20, shape="circle")) == [
        (20.0, "shape octagon, expected circle, size 20 um")
    ]
    assert measured_texts(octagon(20), size_rule("==", 20, shape="octagon")) == []
    assert measured_texts(circle(20), size_rule("==", 20, shape="circle")) == []


def test_one_grid_step_larger_is_one_grid_step_larger():
    # 20.001 um across: the octagon's 45° flats 20001.2 nm apart, its others 20002 nm
    # (its corners at half a nanometre snap outwards); the circle 20000.9 nm across
    assert measured_texts(octagon(20.001), size_rule("==", 25)) == [
        (20.001, "size 20.001 um != 25 um (octagon)")
    ]
    assert measured_texts(circle(20.001), size_rule("==", 25)) == [
        (20.001, "size 20.001 um != 25 um (circle)")
    ]


def test_a_magnified_diameter_is_rounded_as_placed():
    # 10299.7 nm across the 45° flats, twice that placed: 20599.4 nm, so 20.599 um
    assert measured_texts(
        octagon(10.3), size_rule("==", 20), kdb.DCplxTrans(2, 0, False, 0, 0)
    ) == [(20.599, "size 20.599 um != 20 um (octagon)")]


@pytest.mark.parametrize(
    "trans",
    [
        kdb.DCplxTrans(1, 45, False, 3000, 3000),
        kdb.DCplxTrans(1.5, 22.5, True, 2999.9, 0.0005),
        kdb.DCplxTrans(1.2, 90, True, 3000, -0.001),
    ],
)
def test_marker_is_the_bump_as_flattened_with_its_vertices_on_the_grid(trans):
    layout, top = placed_once(octagon(20), trans)
    [marker] = markers_of(layout, top, size_rule("==", 25, shape="circle"))
    flattened = kdb.Region(top.begin_shapes_rec(layout.layer(*UB)))
    assert [marker.shape] == [polygon.to_dtype(layout.dbu) for polygon in flattened.each()]
    for point in marker.shape.each_point_hull():
        for value in (point.x, point.y):
            assert abs(value / layout.dbu - round(value / layout.dbu)) < 1e-9
    mag = trans.mag
    assert marker.measured == round(20 * mag, 3)
