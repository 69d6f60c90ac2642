"""extension: how far the first layer reaches past the edges of the second that it covers."""

from __future__ import annotations

import klayout.db as kdb
import pytest

from adk.checks import runner
from adk.lang.units import Dim
from tests.util import box_of, check, context, new_layout, polygon

run = runner("extension")
LAYERS = {"UBM": (1, 0), "PASSIV": (2, 0)}
OPENING = kdb.DBox(0, 0, 10, 10)


def layout_of(ubm=(), passiv=(OPENING,)) -> tuple[kdb.Layout, kdb.Cell]:
    layout, top = new_layout()
    for name, shapes in (("UBM", ubm), ("PASSIV", passiv)):
        for shape in shapes:
            top.shapes(layout.layer(*LAYERS[name])).insert(shape)
    return layout, top


def markers(layout, top, value: float = 1.0, op: str = ">="):
    rule = check("extension", "UBM", "PASSIV", constraints=((None, op, value, Dim.LENGTH),))
    return run(rule, context(layout, top, LAYERS))


def found(*ubm: kdb.DPolygon | kdb.DBox, value: float = 1.0) -> list[tuple]:
    return [(box_of(m), round(m.measured, 6)) for m in markers(*layout_of(ubm), value=value)]


def test_long_extension_passes():
    assert found(kdb.DBox(4, -3, 5, 13)) == []


def test_short_extension_past_one_edge():
    # a line crossing the opening: 0.5 um past the top edge, 3 um past the bottom edge
    [marker] = markers(*layout_of([kdb.DBox(4, -3, 5, 10.5)]))
    assert isinstance(marker.shape, kdb.DEdgePair)
    assert box_of(marker) == (4, 10, 5, 10.5)
    assert marker.shape.first.bbox().top == 10.5  # the extending layer's edge first
    assert marker.measured == pytest.approx(0.5)
    assert marker.text == "extension 0.5 um < 1 um"
    assert found(kdb.DBox(4, -3, 5, 10.5), value=4) == [
        ((4, -3, 5, 0), 3.0),
        ((4, 10, 5, 10.5), 0.5),
    ]


def test_extension_exactly_at_the_limit_passes():
    assert found(kdb.DBox(4, -1, 5, 11)) == []
    layout, top = layout_of([kdb.DBox(4, -1, 5, 11)])
    assert len(markers(layout, top, op=">")) == 2


def test_layer_covering_the_whole_opening_is_an_enclosure():
    assert found(kdb.DBox(-0.5, -2, 12, 12)) == [((-0.5, -0.866, 0, 10.866), 0.5)]


def test_flush_end_and_flush_side_are_zero():
    assert found(kdb.DBox(4, -3, 5, 10)) == [((4, 10, 5, 10), 0.0)]
    assert found(kdb.DBox(0, -3, 1, 13)) == [((0, -1, 0, 11), 0.0)]


def test_edges_not_covered_are_not_checked():
    # the line ends inside the opening; an edge of the opening it does not reach is no concern
    assert found(kdb.DBox(4, -3, 5, 5)) == []
    # a line only touching the opening from outside covers none of its edges
    assert found(kdb.DBox(10, 0, 12, 5)) == []


def test_chamfered_end_is_measured_to_both_chamfers():
    chamfered = polygon((4, -3), (5, -3), (5, 10.5), (4.5, 11), (4, 10.5))
    assert found(chamfered) == [((4, 10, 4.914, 11), 0.5), ((4.086, 10, 5, 11), 0.5)]


def test_chamfer_starting_on_the_edge_is_zero_there():
    chamfered = polygon((4, -3), (5, -3), (5, 10), (4.5, 10.5), (4, 10))
    assert found(chamfered) == [((4, 10, 5, 10.5), 0.0)] * 2


def test_side_crossing_at_45_degrees_is_zero_at_the_crossing():
    # a line crossing the slanted edge of a triangular opening: its sides meet that edge at 45
    # degrees, so the extension there falls to 0; its top is 0.5 um past the apex edges
    layout, top = layout_of([kdb.DBox(8, -2, 12, 10.5)], [polygon((0, 0), (10, 10), (20, 0))])
    hits = [(box_of(m), round(m.measured, 6)) for m in markers(layout, top)]
    assert hits == [
        ((8, 8, 9, 9.414), 0.0),
        ((9.086, 9.5, 10.5, 10.5), 0.5),
        ((9.5, 9.5, 10.914, 10.5), 0.5),
        ((11, 8, 12, 9.414), 0.0),
    ]


def test_edges_across_a_gap_of_the_first_layer_are_measured_too():
    # the near end (0.5 um) and a second shape 2 um past the edge, both within 3 um
    assert found(kdb.DBox(4, -5, 5, 10.5), kdb.DBox(4, 11, 5, 12), value=3) == [
        ((4, 10, 5, 10.5), 0.5),
        ((4, 10, 5, 12), 2.0),
    ]


def test_shapes_in_rotated_instances():
    layout, top = layout_of()
    line = layout.create_cell("LINE")
    line.shapes(layout.layer(*LAYERS["UBM"])).insert(kdb.DBox(0, 0, 13, 1))
    # R90: x in [-1, 0], y in [0, 13]; moved to x 3 .. 4, y -2.5 .. 10.5
    trans = kdb.DTrans(kdb.DTrans.R90, kdb.DVector(4, -2.5))
    top.insert(kdb.DCellInstArray(line.cell_index(), trans))
    assert [(box_of(m), m.measured) for m in markers(layout, top)] == [((3, 10, 4, 10.5), 0.5)]


def test_empty_layers_pass():
    assert found() == []
    assert markers(*layout_of([kdb.DBox(4, -3, 5, 10.5)], ())) == []
