"""count: shapes of a layer whose centre lies in each region shape."""

from __future__ import annotations

import klayout.db as kdb

from adk.checks import runner
from adk.lang.model import BoolOp, LayerRef, Sizing
from adk.lang.units import Dim
from tests.util import check, context, new_layout

run = runner("count")
LASER, ENGINE = (1, 0), (2, 0)


def count_rule(op="==", value=1, layer="LASER"):
    return check(
        "count",
        layer,
        params={"within": "ENGINE"},
        constraints=((None, op, float(value), Dim.NUMBER),),
    )


def markers_of(layout, top, rule=None):
    return run(rule or count_rule(), context(layout, top, {"LASER": LASER, "ENGINE": ENGINE}))


def engines(layout, top, *boxes):
    for box in boxes:
        top.shapes(layout.layer(*ENGINE)).insert(box)


def lasers(layout, top, *boxes):
    for box in boxes:
        top.shapes(layout.layer(*LASER)).insert(box)


def test_one_laser_per_engine():
    layout, top = new_layout()
    engines(
        layout,
        top,
        kdb.DBox(0, 0, 100, 100),
        kdb.DBox(200, 0, 300, 100),
        kdb.DBox(400, 0, 500, 100),
    )
    # one laser sticking out with its centre inside; two in the second engine; none in the third
    lasers(
        layout,
        top,
        kdb.DBox(80, 40, 120, 60),
        kdb.DBox(210, 10, 230, 30),
        kdb.DBox(250, 50, 270, 70),
        kdb.DBox(600, 0, 620, 20),
    )
    markers = markers_of(layout, top)
    assert [(m.shape, m.measured, m.text) for m in markers] == [
        (kdb.DPolygon(kdb.DBox(200, 0, 300, 100)), 2.0, "count 2 != 1"),
        (kdb.DPolygon(kdb.DBox(400, 0, 500, 100)), 0.0, "count 0 != 1"),
    ]


def test_centre_on_the_boundary_counts():
    layout, top = new_layout()
    engines(layout, top, kdb.DBox(0, 0, 100, 100))
    lasers(layout, top, kdb.DBox(90, 90, 110, 110))
    assert markers_of(layout, top) == []


def test_minimum_and_maximum():
    layout, top = new_layout()
    engines(layout, top, kdb.DBox(0, 0, 100, 100))
    lasers(layout, top, kdb.DBox(10, 10, 20, 20), kdb.DBox(30, 30, 40, 40))
    assert markers_of(layout, top, count_rule(">=", 2)) == []
    assert markers_of(layout, top, count_rule("<=", 2)) == []
    assert [m.text for m in markers_of(layout, top, count_rule("<=", 1))] == ["count 2 > 1"]
    assert [m.text for m in markers_of(layout, top, count_rule(">", 2))] == ["count 2 <= 2"]


def test_shapes_in_arrays_and_cells_count_once_per_placement():
    layout, top = new_layout()
    engines(
        layout,
        top,
        kdb.DPolygon(
            [
                kdb.DPoint(0, 0),
                kdb.DPoint(100, 0),
                kdb.DPoint(100, 50),
                kdb.DPoint(50, 50),
                kdb.DPoint(50, 100),
                kdb.DPoint(0, 100),
            ]
        ),
    )
    cell = layout.create_cell("LASER")
    cell.shapes(layout.layer(*LASER)).insert(kdb.DBox(-2, -1, 2, 1))
    top.insert(
        kdb.DCellInstArray(
            cell.cell_index(),
            kdb.DCplxTrans(1, 90, True, 25, 25),
            kdb.DVector(50, 0),
            kdb.DVector(0, 50),
            3,
            3,
        )
    )
    # centres at 25, 75, 125 in x and y: (25,25) (75,25) (25,75) are in the L
    assert [m.measured for m in markers_of(layout, top, count_rule("==", 0))] == [3.0]


def test_empty_layers():
    layout, top = new_layout()
    assert markers_of(layout, top) == []
    engines(layout, top, kdb.DBox(0, 0, 10, 10))
    assert [m.text for m in markers_of(layout, top)] == ["count 0 != 1"]
    assert markers_of(layout, top, count_rule("==", 0)) == []


def test_overlapping_shapes_count_once():
    layout, top = new_layout()
    engines(layout, top, kdb.DBox(0, 0, 100, 100))
    # a fiducial cross drawn as two boxes, and a second one in a cell
    lasers(layout, top, kdb.DBox(10, 18, 30, 22), kdb.DBox(18, 10, 22, 30))
    cell = layout.create_cell("CROSS")
    cell.shapes(layout.layer(*LASER)).insert(kdb.DBox(-10, -2, 10, 2))
    cell.shapes(layout.layer(*LASER)).insert(kdb.DBox(-2, -10, 2, 10))
    top.insert(kdb.DCellInstArray(cell.cell_index(), kdb.DTrans(kdb.DVector(70, 70))))
    assert [m.measured for m in markers_of(layout, top)] == [2.0]


def test_derived_layer():
    layout, top = new_layout()
    engines(layout, top, kdb.DBox(0, 0, 100, 100))
    lasers(layout, top, kdb.DBox(10, 10, 20, 20), kdb.DBox(40, 10, 50, 20))
    # grown, the two overlap; clipped to the engine they are one shape
    joined = BoolOp("and", Sizing("grow", LayerRef("LASER"), 20.0), LayerRef("ENGINE"))
    rule = check(
        "count", joined, params={"within": "ENGINE"}, constraints=((None, "==", 1.0, Dim.NUMBER),)
    )
    assert run(rule, context(layout, top, {"LASER": LASER, "ENGINE": ENGINE})) == []
