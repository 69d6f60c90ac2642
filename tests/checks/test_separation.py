"""separation: minimum distance between the shapes of two layers; overlap and touch are 0."""

from __future__ import annotations

import math

import klayout.db as kdb
import pytest

from adk.checks import runner
from adk.lang.units import Dim
from tests.util import box_of, check, context, new_layout, polygon

run = runner("separation")
LAYERS = {"TMV": (1, 0), "RDL1": (2, 0)}


def layout_of(tmv=(), rdl=()) -> tuple[kdb.Layout, kdb.Cell]:
    layout, top = new_layout()
    for name, shapes in (("TMV", tmv), ("RDL1", rdl)):
        for shape in shapes:
            top.shapes(layout.layer(*LAYERS[name])).insert(shape)
    return layout, top


def markers(layout, top, value: float = 2.0, op: str = ">="):
    rule = check("separation", "TMV", "RDL1", constraints=((None, op, value, Dim.LENGTH),))
    return run(rule, context(layout, top, LAYERS))


def test_far_apart_layers_pass():
    assert markers(*layout_of([kdb.DBox(0, 0, 10, 10)], [kdb.DBox(12, 0, 20, 10)])) == []


def test_close_shapes_give_an_edge_pair():
    [marker] = markers(*layout_of([kdb.DBox(0, 0, 10, 10)], [kdb.DBox(10.5, 0, 20, 10)]))
    assert isinstance(marker.shape, kdb.DEdgePair)
    assert box_of(marker) == (10, 0, 10.5, 10)
    assert marker.measured == pytest.approx(0.5)
    assert marker.text == "separation 0.5 um < 2 um"


def test_separation_exactly_at_the_limit_passes():
    layout, top = layout_of([kdb.DBox(0, 0, 10, 10)], [kdb.DBox(12, 0, 20, 10)])
    assert markers(layout, top) == []
    assert len(markers(layout, top, op=">")) == 1


def test_shapes_of_one_layer_are_not_measured_against_each_other():
    assert markers(*layout_of([kdb.DBox(0, 0, 10, 10), kdb.DBox(10.5, 0, 20, 10)])) == []


def test_touching_shapes_are_at_distance_zero():
    [marker] = markers(*layout_of([kdb.DBox(0, 0, 10, 10)], [kdb.DBox(10, 2, 20, 8)]))
    assert isinstance(marker.shape, kdb.DEdgePair)
    # the touching edges, as far as they lie within the limit of each other
    assert box_of(marker) == (10, 0, 10, 10)
    assert marker.measured == 0.0
    assert marker.text == "separation 0 um < 2 um"


def test_shapes_touching_at_a_corner_are_at_distance_zero():
    found = markers(*layout_of([kdb.DBox(0, 0, 10, 10)], [kdb.DBox(10, 10, 20, 20)]))
    assert [m.measured for m in found] == [0.0, 0.0]
    assert [box_of(m) for m in found] == [(8, 10, 12, 10), (10, 8, 10, 12)]


def test_overlapping_shapes_give_the_overlap_polygon():
    [marker] = markers(*layout_of([kdb.DBox(0, 0, 10, 10)], [kdb.DBox(8, 5, 20, 20)]))
    assert isinstance(marker.shape, kdb.DPolygon)
    assert box_of(marker) == (8, 5, 10, 10)
    assert marker.measured == 0.0
    assert marker.text == "separation: TMV overlaps RDL1"


def test_overlap_and_gap_together():
    # one RDL1 shape overlaps the TMV, another is 1 um from it
    found = markers(
        *layout_of([kdb.DBox(0, 0, 10, 10)], [kdb.DBox(-5, 4, 2, 6), kdb.DBox(11, 0, 20, 10)])
    )
    assert [(box_of(m), m.measured) for m in found] == [((0, 4, 2, 6), 0.0), ((10, 0, 11, 10), 1.0)]


def test_all_angle_gap():
    # a TMV triangle whose hypotenuse (direction (3, 1)) runs parallel below an RDL1 edge
    # moved up by 1 um: square to the edges that is 3 / sqrt(10) = 0.9487 um
    tmv = polygon((0, 0), (30, 10), (30, 0))
    rdl = polygon((0, 1), (0, 20), (30, 11))
    [marker] = markers(*layout_of([tmv], [rdl]), value=1.0)
    assert marker.measured == round(3 / math.sqrt(10), 3)  # to the nearest nm
    assert marker.text == "separation 0.949 um < 1 um"
    assert markers(*layout_of([tmv], [rdl]), value=0.948) == []


def test_shapes_in_mirrored_instances():
    layout, top = layout_of(rdl=[kdb.DBox(0, 0, 100, 10)])
    via = layout.create_cell("TMV")
    via.shapes(layout.layer(*LAYERS["TMV"])).insert(kdb.DBox(0, 1, 5, 6))
    # mirrored at the x axis: y in [-6, -1], moved up by 17: y 11 .. 16, 1 um above the RDL1
    top.insert(kdb.DCellInstArray(via.cell_index(), kdb.DTrans(kdb.DTrans.M0, kdb.DVector(50, 17))))
    [marker] = markers(layout, top)
    assert box_of(marker) == (48.268, 10, 56.732, 11)  # Euclidean: the RDL1 edge within 2 um
    assert marker.measured == pytest.approx(1.0)


def test_empty_layer_passes():
    assert markers(*layout_of([kdb.DBox(0, 0, 10, 10)])) == []
    assert markers(*layout_of(rdl=[kdb.DBox(0, 0, 10, 10)])) == []
