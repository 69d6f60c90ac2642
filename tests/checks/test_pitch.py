"""pitch: nearest-neighbour centre distance of bumps."""

from __future__ import annotations

import itertools
from collections import Counter

import klayout.db as kdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from adk.checks import runner
from adk.checks.kinds import pitch
from adk.lang.units import Dim
from tests.util import check, context, new_layout

run = runner("pitch")
UB = (1, 0)


def bump_cell(layout: kdb.Layout, size: float = 10.0) -> kdb.Cell:
    cell = layout.create_cell("BUMP")
    cell.shapes(layout.layer(*UB)).insert(kdb.DBox(-size / 2, -size / 2, size / 2, size / 2))
    return cell


def place_bumps(layout: kdb.Layout, top: kdb.Cell, points, size: float = 10.0) -> None:
    shapes = top.shapes(layout.layer(*UB))
    for x, y in points:
        shapes.insert(kdb.DBox(x - size / 2, y - size / 2, x + size / 2, y + size / 2))


def pitch_rule(op: str = ">=", value: float = 40.0):
    return check("pitch", "UB", constraints=((None, op, value, Dim.LENGTH),))


def markers_of(layout, top, rule=None):
    return run(rule or pitch_rule(), context(layout, top, {"UB": UB}))


def edge_points(marker) -> tuple:
    e = marker.shape
    return tuple(sorted((round(p.x, 6), round(p.y, 6)) for p in (e.p1, e.p2)))


def test_regular_array_at_the_limit_passes():
    layout, top = new_layout()
    cell = bump_cell(layout)
    top.insert(
        kdb.DCellInstArray(
            cell.cell_index(), kdb.DTrans(), kdb.DVector(40, 0), kdb.DVector(0, 40), 20, 20
        )
    )
    assert markers_of(layout, top) == []


def test_single_close_pair_is_one_marker():
    layout, top = new_layout()
    place_bumps(layout, top, [(0, 0), (100, 0), (138.5, 0), (300, 0)])
    markers = markers_of(layout, top)
    assert len(markers) == 1
    marker = markers[0]
    assert isinstance(marker.shape, kdb.DEdge)
    assert edge_points(marker) == ((100.0, 0.0), (138.5, 0.0))
    assert abs(marker.measured - 38.5) < 1e-9
    assert marker.text == "pitch 38.5 um < 40 um"


def test_strict_operator_fails_at_the_limit():
    layout, top = new_layout()
    place_bumps(layout, top, [(0, 0), (40, 0)])
    assert len(markers_of(layout, top, pitch_rule(">", 40))) == 1
    assert markers_of(layout, top, pitch_rule(">=", 40)) == []


def test_staggered_array_pitch_is_the_diagonal():
    # two 3x2 arrays on a 100 um grid, the second shifted by (50, 50): pitch 70.71 um
    layout, top = new_layout()
    cell = bump_cell(layout)
    step = kdb.DVector(100, 0), kdb.DVector(0, 100)
    for origin in (kdb.DTrans(), kdb.DTrans(kdb.DVector(50, 50))):
        top.insert(kdb.DCellInstArray(cell.cell_index(), origin, *step, 3, 2))
    diagonal = float(np.hypot(50, 50))
    assert markers_of(layout, top, pitch_rule(">=", diagonal)) == []
    markers = markers_of(layout, top, pitch_rule(">=", 75))
    assert all(abs(m.measured - diagonal) < 1e-9 for m in markers)
    # every pair of diagonal neighbours, each once
    assert len(markers) == 4 + 4 + 2 + 2 + 2 + 1
    assert len({edge_points(m) for m in markers}) == len(markers)
    assert markers == sorted(markers, key=lambda m: m.sort_key())


def test_rotated_magnified_mirrored_array():
    layout, top = new_layout()
    cell = bump_cell(layout, 5)
    trans = kdb.DCplxTrans(1.5, 90, True, 1000, 0)
    top.insert(
        kdb.DCellInstArray(cell.cell_index(), trans, kdb.DVector(30, 0), kdb.DVector(0, 45), 4, 3)
    )
    markers = markers_of(layout, top, pitch_rule(">=", 31))
    # the array vectors are in the parent: columns 30 apart are the violators
    assert len(markers) == 3 * 3
    assert all(abs(m.measured - 30) < 1e-9 for m in markers)
    assert markers_of(layout, top, pitch_rule(">=", 30)) == []


def test_coincident_bumps_are_at_distance_zero():
    layout, top = new_layout()
    place_bumps(layout, top, [(0, 0), (0, 0), (100, 0)])
    markers = markers_of(layout, top)
    assert len(markers) == 1
    assert markers[0].measured == 0
    assert edge_points(markers[0]) == ((0.0, 0.0), (0.0, 0.0))


def test_many_stacked_duplicates_pair_with_each_other():
    layout, top = new_layout()
    place_bumps(layout, top, [(0, 0)] * 12 + [(500, 0)])
    assert len(markers_of(layout, top)) == 12 * 11 // 2


def test_empty_and_single_bump_layers():
    layout, top = new_layout()
    assert markers_of(layout, top) == []
    place_bumps(layout, top, [(0, 0)])
    assert markers_of(layout, top) == []


def test_bumps_across_cell_boundaries():
    layout, top = new_layout()
    cell = bump_cell(layout)
    top.insert(kdb.DCellInstArray(cell.cell_index(), kdb.DTrans()))
    child = layout.create_cell("FIELD")
    child.insert(kdb.DCellInstArray(cell.cell_index(), kdb.DTrans()))
    top.insert(kdb.DCellInstArray(child.cell_index(), kdb.DTrans(kdb.DVector(35, 0))))
    markers = markers_of(layout, top)
    assert [edge_points(m) for m in markers] == [((0.0, 0.0), (35.0, 0.0))]


def brute_force_pairs(points: np.ndarray, limit: float) -> Counter:
    """Pairs closer than ``limit`` that are nearest neighbours of one of the two."""
    d = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    nn = d.min(axis=1, initial=np.inf)
    pairs = Counter()
    for i, j in itertools.combinations(range(len(points)), 2):
        if d[i, j] < limit and (np.isclose(d[i, j], nn[i]) or np.isclose(d[i, j], nn[j])):
            pairs[tuple(sorted([tuple(map(float, points[i])), tuple(map(float, points[j]))]))] += 1
    return pairs


# the two ways of finding close pairs: listing every pair within the limit (sparse) and
# asking each bump for its nearest neighbours (dense); the sample picks one
SEARCHES = {"sparse": float("inf"), "dense": -1.0}


@pytest.mark.parametrize("search", SEARCHES)
@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=0, max_size=60),
    st.floats(1.0, 12.0),
)
def test_pitch_equals_brute_force(search, cells, limit):
    # a context manager, not the fixture: hypothesis runs many examples per fixture
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pitch, "_DENSE", SEARCHES[search])
        check_against_brute_force(cells, limit)


def check_against_brute_force(cells, limit):
    points = np.array(cells, dtype=float).reshape(-1, 2) * 4  # on a 4 um grid: many ties
    layout, top = new_layout()
    place_bumps(layout, top, points, size=2)
    markers = markers_of(layout, top, pitch_rule(">=", limit))
    assert Counter(edge_points(m) for m in markers) == brute_force_pairs(points, limit)
    assert markers == sorted(markers, key=lambda m: m.sort_key())
    for m in markers:
        assert abs(m.measured - m.shape.length()) < 1e-9 and m.measured < limit


def test_limit_far_above_the_drawn_pitch_reports_every_neighbour_pair():
    # 40 um array checked against 130 um: about 30 bumps within the limit of each, so the
    # nearest-neighbour search is taken; each bump pairs with its 2 to 4 nearest neighbours
    layout, top = new_layout()
    cell = bump_cell(layout)
    top.insert(
        kdb.DCellInstArray(
            cell.cell_index(), kdb.DTrans(), kdb.DVector(40, 0), kdb.DVector(0, 40), 30, 20
        )
    )
    points = context(layout, top, {"UB": UB}).bumps(check("pitch", "UB").layers[0])
    assert pitch._is_dense(points, 130.0, cKDTree(points))
    markers = markers_of(layout, top, pitch_rule(">=", 130))
    assert len(markers) == 29 * 20 + 30 * 19
    assert {m.text for m in markers} == {"pitch 40 um < 130 um"}
