"""enclosure: the inner layer inside the outer one with a margin; outside is a violation."""

from __future__ import annotations

import klayout.db as kdb
import pytest

from adk.checks import runner
from adk.lang.units import Dim
from tests.util import box_of, check, context, new_layout, polygon

run = runner("enclosure")
LAYERS = {"VIA1": (1, 0), "RDL1": (2, 0)}


def layout_of(via=(), rdl=()) -> tuple[kdb.Layout, kdb.Cell]:
    layout, top = new_layout()
    for name, shapes in (("VIA1", via), ("RDL1", rdl)):
        for shape in shapes:
            top.shapes(layout.layer(*LAYERS[name])).insert(shape)
    return layout, top


def markers(layout, top, value: float = 1.0, op: str = ">="):
    rule = check("enclosure", "VIA1", "RDL1", constraints=((None, op, value, Dim.LENGTH),))
    return run(rule, context(layout, top, LAYERS))


PAD = kdb.DBox(0, 0, 10, 10)


def test_via_well_inside_its_pad_passes():
    assert markers(*layout_of([kdb.DBox(2, 2, 5, 5)], [PAD])) == []


def test_thin_enclosure_gives_an_edge_pair():
    [marker] = markers(*layout_of([kdb.DBox(0.5, 2, 5, 5)], [PAD]))
    assert isinstance(marker.shape, kdb.DEdgePair)
    assert marker.shape.first.bbox().left == 0  # the outer edge first
    assert box_of(marker) == (0, 1.134, 0.5, 5.866)
    assert marker.measured == pytest.approx(0.5)
    assert marker.text == "enclosure 0.5 um < 1 um"


def test_enclosure_exactly_at_the_limit_passes():
    layout, top = layout_of([kdb.DBox(1, 1, 9, 9)], [PAD])
    assert markers(layout, top) == []
    assert len(markers(layout, top, op=">")) == 4


def test_via_on_the_pad_edge_has_enclosure_zero():
    [marker] = markers(*layout_of([kdb.DBox(0, 2, 5, 5)], [PAD]))
    assert marker.measured == 0.0
    assert marker.text == "enclosure 0 um < 1 um"


def test_via_partly_outside_its_pad():
    [marker] = markers(*layout_of([kdb.DBox(-0.5, 2, 5, 5)], [PAD]))
    assert isinstance(marker.shape, kdb.DPolygon)
    assert box_of(marker) == (-0.5, 2, 0, 5)
    assert marker.measured == 0.0
    assert marker.text == "enclosure: VIA1 outside RDL1"


def test_via_wholly_outside_or_without_pad():
    found = markers(*layout_of([kdb.DBox(20, 0, 22, 2), kdb.DBox(-3, 0, 0, 2)], [PAD]))
    # the via touching the pad from outside also meets the pad's bottom edge at (0, 0):
    # KLayout reports those collinear edges touching at a point as enclosure 0
    assert [(box_of(m), m.text) for m in found] == [
        ((-3, 0, 0, 2), "enclosure: VIA1 outside RDL1"),
        ((-1, 0, 1, 0), "enclosure 0 um < 1 um"),
        ((20, 0, 22, 2), "enclosure: VIA1 outside RDL1"),
    ]
    [alone] = markers(*layout_of([kdb.DBox(2, 2, 4, 4)]))
    assert box_of(alone) == (2, 2, 4, 4)


def test_via_in_a_hole_of_its_pad_is_outside():
    pad = kdb.DPolygon(PAD)
    pad.insert_hole(kdb.DBox(3, 3, 7, 7))
    [marker] = markers(*layout_of([kdb.DBox(4, 4, 6, 6)], [pad]))
    assert box_of(marker) == (4, 4, 6, 6)
    assert marker.text == "enclosure: VIA1 outside RDL1"


def test_diamond_via_in_a_square_pad_is_measured_at_its_corners():
    # the diamond's corners are 1 um from the pad's edges; its edges are at 45 degrees to them
    diamond = polygon((5, 1), (9, 5), (5, 9), (1, 5))
    layout, top = layout_of([diamond], [PAD])
    assert markers(layout, top) == []
    found = markers(layout, top, value=1.5)
    assert len(found) == 8  # each corner: its two edges against the pad edge it faces
    assert [m.measured for m in found] == pytest.approx([1.0] * 8)


def test_pad_made_of_several_shapes_and_cells_is_merged():
    # two half pads, one in a child cell, make one pad around the via
    layout, top = layout_of([kdb.DBox(4, 2, 6, 8)], [kdb.DBox(0, 0, 5, 10)])
    half = layout.create_cell("HALF")
    half.shapes(layout.layer(*LAYERS["RDL1"])).insert(kdb.DBox(0, 0, 5, 10))
    top.insert(kdb.DCellInstArray(half.cell_index(), kdb.DTrans(kdb.DVector(5, 0))))
    assert markers(layout, top) == []


def test_vias_in_rotated_and_mirrored_instances():
    layout, top = layout_of(rdl=[kdb.DBox(0, 0, 100, 100)])
    via = layout.create_cell("VIA")
    via.shapes(layout.layer(*LAYERS["VIA1"])).insert(kdb.DBox(0.5, 10, 3, 12))
    top.insert(kdb.DCellInstArray(via.cell_index(), kdb.DTrans()))
    # R180: x in [-3, -0.5] moved right by 100: x 97 .. 99.5, 0.5 um from the right edge
    trans = kdb.DTrans(kdb.DTrans.R180, kdb.DVector(100, 50))
    top.insert(kdb.DCellInstArray(via.cell_index(), trans))
    # M90 (mirror at the y axis): x in [-3, -0.5] moved right by 102: x 99 .. 101.5, sticks out
    trans = kdb.DTrans(kdb.DTrans.M90, kdb.DVector(102, 60))
    top.insert(kdb.DCellInstArray(via.cell_index(), trans))
    found = markers(layout, top)
    assert [(box_of(m), m.measured) for m in found] == [
        ((0, 9.134, 0.5, 12.866), pytest.approx(0.5)),
        ((99.5, 37.134, 100, 40.866), pytest.approx(0.5)),
        ((100, 70, 101.5, 72), 0.0),
    ]


def test_empty_inner_layer_passes():
    assert markers(*layout_of(rdl=[PAD])) == []


def test_a_pad_touching_a_corner_of_another_is_not_measured_across_its_pocket():
    # the via fills its pad; a U-shaped pad, joined to that pad at one corner, opens
    # around it: the via's right edge is 2 um from the U's far edge, but not inside the U
    u_shape = [
        kdb.DBox(2, 0, 3, 4),
        kdb.DPolygon([kdb.DPoint(0, 2), kdb.DPoint(0, 3), kdb.DPoint(1, 3), kdb.DPoint(2, 2)]),
    ]
    layout, top = layout_of([kdb.DBox(0, 0, 1, 1)], [kdb.DBox(0, 0, 1, 1)] + u_shape)
    found = markers(layout, top, value=5.0)
    assert [m.measured for m in found] == [0.0] * 4
    assert {box_of(m) for m in found} == {(0, 0, 0, 1), (0, 0, 1, 0), (1, 0, 1, 1), (0, 1, 1, 1)}


def test_the_layers_are_left_as_the_other_checks_want_them():
    layout, top = layout_of([kdb.DBox(2, 2, 5, 5)], [PAD, kdb.DBox(5, 5, 12, 12)])
    ctx = context(layout, top, LAYERS)
    rule = check("enclosure", "VIA1", "RDL1", constraints=((None, ">=", 1.0, Dim.LENGTH),))
    run(rule, ctx)
    assert [ctx.region(rule.layers[i]).merged_semantics for i in (0, 1)] == [False, False]
