"""overlap: where two layers overlap, how far each reaches into the other."""

from __future__ import annotations

import klayout.db as kdb
import pytest

from adk.checks import runner
from adk.lang.units import Dim
from tests.util import box_of, check, context, new_layout, polygon

run = runner("overlap")
LAYERS = {"BRIDGE": (1, 0), "DIE": (2, 0)}
DIE = kdb.DBox(0, 0, 100, 100)


def layout_of(bridge=(), die=(DIE,)) -> tuple[kdb.Layout, kdb.Cell]:
    layout, top = new_layout()
    for name, shapes in (("BRIDGE", bridge), ("DIE", die)):
        for shape in shapes:
            top.shapes(layout.layer(*LAYERS[name])).insert(shape)
    return layout, top


def markers(layout, top, value: float = 10.0, op: str = ">="):
    rule = check("overlap", "BRIDGE", "DIE", constraints=((None, op, value, Dim.LENGTH),))
    return run(rule, context(layout, top, LAYERS))


def test_deep_overlap_passes():
    assert markers(*layout_of([kdb.DBox(80, 20, 150, 60)])) == []


def test_shallow_overlap_gives_an_edge_pair():
    [marker] = markers(*layout_of([kdb.DBox(95, 20, 150, 60)]))
    assert isinstance(marker.shape, kdb.DEdgePair)
    # Euclidean: the die edge is marked as far as it lies within 10 um of the bridge edge
    assert box_of(marker) == (95, 11.34, 100, 68.66)
    assert marker.measured == pytest.approx(5.0)
    assert marker.text == "overlap 5 um < 10 um"


def test_overlap_exactly_at_the_limit_passes():
    layout, top = layout_of([kdb.DBox(90, 20, 150, 60)])
    assert markers(layout, top) == []
    [marker] = markers(layout, top, op=">")
    assert marker.text == "overlap 10 um <= 10 um"


def test_touching_shapes_overlap_by_zero():
    [marker] = markers(*layout_of([kdb.DBox(100, 20, 150, 60)]))
    assert marker.measured == 0.0
    assert box_of(marker) == (100, 10, 100, 70)


def test_separate_shapes_and_shapes_inside_are_not_checked():
    assert markers(*layout_of([kdb.DBox(101, 20, 150, 60)])) == []
    assert markers(*layout_of([kdb.DBox(40, 40, 45, 45)])) == []  # wholly inside the die
    assert markers(*layout_of([kdb.DBox(-10, 40, 110, 45)])) == []  # a thin strip reaching through


def test_corner_overlap_is_measured_both_ways():
    found = markers(*layout_of([kdb.DBox(95, 95, 200, 200)]))
    assert [m.measured for m in found] == pytest.approx([5.0, 5.0])
    assert [box_of(m) for m in found] == [(86.34, 95, 108.66, 100), (95, 86.34, 100, 108.66)]


def test_45_degree_overlap_is_measured_square_to_the_edges():
    # a 45 degree bridge crossing the die's chamfer (x + y = 150) square, ending 5 / sqrt(2) inside
    die = polygon((0, 0), (100, 0), (100, 50), (50, 100), (0, 100))
    bridge = polygon((70, 75), (75, 70), (125, 120), (120, 125))
    [marker] = markers(*layout_of([bridge], [die]), value=5.0)
    assert marker.measured == 3.536  # 5 / sqrt(2) to the nearest nm
    assert markers(*layout_of([bridge], [die]), value=3.5) == []


def test_edge_crossing_at_45_degrees_overlaps_by_zero_at_the_crossing():
    # the bridge's edge (95, 100) - (100, 95) cuts the die's corner: the overlap is a
    # triangle whose sharp corners are overlaps of 0
    bridge = polygon((95, 100), (100, 95), (200, 95), (200, 200), (95, 200))
    found = markers(*layout_of([bridge]), value=5.0)
    assert [(box_of(m), m.measured) for m in found] == [((95, 95, 100, 100), 0.0)] * 2


def test_bridge_in_a_mirrored_instance():
    layout, top = layout_of()
    cell = layout.create_cell("BRIDGE")
    cell.shapes(layout.layer(*LAYERS["BRIDGE"])).insert(kdb.DBox(0, 0, 50, 10))
    # M45 swaps x and y: x 0 .. 10, y 0 .. 50; moved to x 96 .. 106
    trans = kdb.DTrans(kdb.DTrans.M45, kdb.DVector(96, 20))
    top.insert(kdb.DCellInstArray(cell.cell_index(), trans))
    [marker] = markers(layout, top)
    assert box_of(marker) == (96, 10.835, 100, 79.165)
    assert marker.measured == pytest.approx(4.0)


def test_empty_layer_passes():
    assert markers(*layout_of()) == []
