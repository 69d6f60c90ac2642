"""space: minimum space between and within the merged shapes of one layer."""

from __future__ import annotations

import math

import klayout.db as kdb
import pytest

from adk.checks import runner
from adk.lang.units import Dim
from tests.util import box_of, check, context, new_layout, polygon

run = runner("space")
M = (1, 0)


def layout_of(*shapes) -> tuple[kdb.Layout, kdb.Cell]:
    layout, top = new_layout()
    for shape in shapes:
        top.shapes(layout.layer(*M)).insert(shape)
    return layout, top


def markers(layout, top, value: float = 2.0, op: str = ">="):
    rule = check("space", "M", constraints=((None, op, value, Dim.LENGTH),))
    return run(rule, context(layout, top, {"M": M}))


def test_far_apart_shapes_pass():
    assert markers(*layout_of(kdb.DBox(0, 0, 10, 10), kdb.DBox(12, 0, 20, 10))) == []


def test_close_shapes_give_one_edge_pair_across_the_gap():
    [marker] = markers(*layout_of(kdb.DBox(0, 0, 10, 10), kdb.DBox(11.5, 2, 20, 8)))
    assert isinstance(marker.shape, kdb.DEdgePair)
    # Euclidean: the long edge is marked as far as it lies within 2 um of the short one
    assert box_of(marker) == (10, 0.677, 11.5, 9.323)
    assert marker.measured == pytest.approx(1.5)
    assert marker.text == "space 1.5 um < 2 um"


def test_space_exactly_at_the_limit_passes_and_fails_a_strict_limit():
    layout, top = layout_of(kdb.DBox(0, 0, 10, 10), kdb.DBox(12, 0, 20, 10))
    assert markers(layout, top) == []
    [marker] = markers(layout, top, op=">")
    assert marker.text == "space 2 um <= 2 um"


def test_notch_within_one_shape_counts():
    # a U: two arms 1 um apart joined at the bottom
    layout, top = layout_of(kdb.DBox(0, 0, 3, 10), kdb.DBox(4, 0, 7, 10), kdb.DBox(0, 0, 7, 3))
    [marker] = markers(layout, top)
    assert box_of(marker) == (3, 3, 4, 10)
    assert marker.measured == pytest.approx(1.0)


def test_touching_and_overlapping_shapes_are_one_shape():
    assert markers(*layout_of(kdb.DBox(0, 0, 10, 10), kdb.DBox(10, 0, 20, 10))) == []
    assert markers(*layout_of(kdb.DBox(0, 20, 10, 30), kdb.DBox(5, 25, 20, 35))) == []


def test_corner_to_corner_is_euclidean():
    # corners 0.3 um and 0.4 um apart: 0.5 um diagonally, one pair per pair of facing edges
    found = markers(*layout_of(kdb.DBox(0, 0, 1, 1), kdb.DBox(1.3, 1.4, 2.5, 2)), value=1.0)
    assert len(found) == 2
    assert [m.measured for m in found] == pytest.approx([0.5, 0.5])
    assert [box_of(m) for m in found] == [(0.383, 1, 1.917, 1.4), (1, 0.446, 1.3, 1.954)]
    assert markers(*layout_of(kdb.DBox(0, 0, 1, 1), kdb.DBox(1.3, 1.4, 2.5, 2)), value=0.5) == []


def test_45_degree_gap_is_measured_square_to_the_edges():
    # two 45 degree strips whose facing edges are 2 * sqrt(2) / 2 = 1.414 um apart
    a = polygon((0, 0), (10, 10), (9, 11), (-1, 1))
    b = polygon((1, -1), (11, 9), (12, 8), (2, -2))
    [marker] = markers(*layout_of(a, b))
    assert marker.measured == round(math.sqrt(2), 3)  # to the nearest nm
    assert box_of(marker) == (0, -1, 11, 10)


def test_array_of_instances():
    layout, top = new_layout()
    child = layout.create_cell("PAD")
    child.shapes(layout.layer(*M)).insert(kdb.DBox(0, 0, 10, 10))
    top.insert(
        kdb.DCellInstArray(
            child.cell_index(), kdb.DTrans(), kdb.DVector(11.5, 0), kdb.DVector(0, 20), 3, 1
        )
    )
    found = markers(layout, top)
    assert [box_of(m) for m in found] == [(10, 0, 11.5, 10), (21.5, 0, 23, 10)]


def test_rotated_instance_next_to_a_top_shape():
    layout, top = layout_of(kdb.DBox(0, 0, 10, 10))
    child = layout.create_cell("BAR")
    child.shapes(layout.layer(*M)).insert(kdb.DBox(0, 0, 10, 3))
    # R270 turns the bar upright: x in [0, 3], y in [-10, 0]; moved to x 11 .. 14, y 0 .. 10
    trans = kdb.DTrans(kdb.DTrans.R270, kdb.DVector(11, 10))
    top.insert(kdb.DCellInstArray(child.cell_index(), trans))
    [marker] = markers(layout, top)
    assert box_of(marker) == (10, 0, 11, 10)


def test_empty_layer_passes():
    layout, top = new_layout()
    assert markers(layout, top) == []
