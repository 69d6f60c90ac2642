"""pitch: centre distances of bumps, to their nearest neighbours or between every pair."""

from __future__ import annotations

import itertools
from collections import Counter

import klayout.db as kdb
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree

from adk.api import load_deck
from adk.checks import runner
from adk.checks.base import shape_key
from adk.checks.kinds import pitch
from adk.lang.units import Dim
from adk.layout.reader import read_layout
from adk.run.engine import Parallel, run_deck
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


def pitch_rule(op: str = ">=", value: float = 40.0, pairs: str | None = None):
    params = {} if pairs is None else {"pairs": pairs}
    return check("pitch", "UB", params=params, constraints=((None, op, value, Dim.LENGTH),))


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


# ---------------------------------------------------------------- pairs nearest | all
def square_cluster(layout: kdb.Layout, top: kdb.Cell, x: float = 0.0, y: float = 0.0) -> None:
    """A 3 x 3 array at pitch 30 um: rows and columns 30 um apart, diagonals 42.43 um."""
    step = kdb.DVector(30, 0), kdb.DVector(0, 30)
    top.insert(kdb.DCellInstArray(bump_cell(layout).cell_index(), kdb.DTrans(x, y), *step, 3, 3))


def texts_of(markers) -> Counter:
    return Counter(m.text for m in markers)


def test_square_cluster_nearest_neighbours_and_every_pair():
    layout, top = new_layout()
    square_cluster(layout, top)
    nearest = markers_of(layout, top, pitch_rule(">=", 45))
    every = markers_of(layout, top, pitch_rule(">=", 45, pairs="all"))
    assert markers_of(layout, top, pitch_rule(">=", 45, pairs="nearest")) == nearest
    assert texts_of(nearest) == {"pitch 30 um < 45 um": 12}
    assert texts_of(every) == {"pitch 30 um < 45 um": 12, "pitch 42.4264 um < 45 um": 8}
    assert {edge_points(m) for m in nearest} < {edge_points(m) for m in every}
    diagonals = [m for m in every if m.text.startswith("pitch 42.4264")]
    assert {edge_points(m) for m in diagonals} == {
        ((x, y), (x + 30, y + 30)) for x in (0.0, 30.0) for y in (0.0, 30.0)
    } | {((x, y + 30), (x + 30, y)) for x in (0.0, 30.0) for y in (0.0, 30.0)}
    assert all(m.measured == 30.0 for m in every if m not in diagonals)
    assert every == sorted(every, key=lambda m: m.sort_key())


def test_every_pair_at_the_limit_passes():
    layout, top = new_layout()
    square_cluster(layout, top)
    assert markers_of(layout, top, pitch_rule(">=", 30, pairs="all")) == []
    diagonal = float(np.hypot(30, 30))
    strict = markers_of(layout, top, pitch_rule(">", 30, pairs="all"))
    assert texts_of(strict) == {"pitch 30 um <= 30 um": 12}
    assert texts_of(markers_of(layout, top, pitch_rule(">=", diagonal, pairs="all"))) == {
        "pitch 30 um < 42.4264 um": 12
    }
    assert len(markers_of(layout, top, pitch_rule(">", diagonal, pairs="all"))) == 12 + 8


class Centres:
    """A context handing out bump centres as given, off any grid."""

    dbu, length_unit, focus = 0.001, "um", None

    def __init__(self, points):
        self.points = np.array(points, dtype=float)

    def bumps(self, expr):
        return self.points


@pytest.mark.parametrize("pairs", ["nearest", "all"])
def test_a_pitch_within_noise_of_a_strict_limit_is_at_it(pairs):
    # 40 (1 + 5e-10) um apart: taken as at the limit, so it breaks "> 40 um"
    ctx = Centres([(0, 0), (40 * (1 + 5e-10), 0)])
    [marker] = run(pitch_rule(">", 40, pairs=pairs), ctx)
    assert (marker.measured, marker.text) == (40.0, "pitch 40 um <= 40 um")
    assert run(pitch_rule(">=", 40, pairs=pairs), ctx) == []


def test_staggered_array_every_pair_adds_the_column_steps():
    # two 3x2 arrays on a 100 um grid, the second shifted by (50, 50): diagonals 70.71 um
    layout, top = new_layout()
    cell = bump_cell(layout)
    step = kdb.DVector(100, 0), kdb.DVector(0, 100)
    for origin in (kdb.DTrans(), kdb.DTrans(kdb.DVector(50, 50))):
        top.insert(kdb.DCellInstArray(cell.cell_index(), origin, *step, 3, 2))
    diagonal = "pitch 70.7107 um < 101 um"
    nearest = markers_of(layout, top, pitch_rule(">=", 101))
    every = markers_of(layout, top, pitch_rule(">=", 101, pairs="all"))
    assert texts_of(nearest) == {diagonal: 15}
    # each array: 2 rows of 2 steps and 3 columns of 1
    assert texts_of(every) == {diagonal: 15, "pitch 100 um < 101 um": 2 * (2 * 2 + 3)}
    below_the_step = markers_of(layout, top, pitch_rule(">=", 75, pairs="all"))
    assert below_the_step == markers_of(layout, top, pitch_rule(">=", 75))
    assert texts_of(below_the_step) == {"pitch 70.7107 um < 75 um": 15}
    assert markers_of(layout, top, pitch_rule(">=", float(np.hypot(50, 50)), pairs="all")) == []


def test_stacked_duplicates_in_either_mode():
    # two bumps on one spot; one 30 um right of them, one 35 um above: 46.1 um apart
    layout, top = new_layout()
    place_bumps(layout, top, [(0, 0), (0, 0), (30, 0), (0, 35), (500, 0)])
    nearest = markers_of(layout, top, pitch_rule(">=", 50))
    every = markers_of(layout, top, pitch_rule(">=", 50, pairs="all"))
    stack = {"pitch 0 um < 50 um": 1, "pitch 30 um < 50 um": 2, "pitch 35 um < 50 um": 2}
    assert texts_of(nearest) == stack
    assert texts_of(every) == {**stack, "pitch 46.0977 um < 50 um": 1}
    [zero] = [m for m in every if m.measured == 0]
    assert edge_points(zero) == ((0.0, 0.0), (0.0, 0.0))


def test_many_stacked_duplicates_every_pair():
    layout, top = new_layout()
    place_bumps(layout, top, [(0, 0)] * 12 + [(30, 0)])
    every = markers_of(layout, top, pitch_rule(">=", 40, pairs="all"))
    assert texts_of(every) == {"pitch 0 um < 40 um": 12 * 11 // 2, "pitch 30 um < 40 um": 12}
    assert every == markers_of(layout, top)


def brute_force_every_pair(points: np.ndarray, op: str, limit: float) -> Counter:
    """Every pair breaking ``op limit``, a distance within noise of the limit at it."""
    pairs = Counter()
    for i, j in itertools.combinations(range(len(points)), 2):
        d = float(np.hypot(*(points[i] - points[j])))
        at_limit = bool(np.isclose(d, limit, rtol=1e-9, atol=0))
        if (d < limit and not at_limit) or (op == ">" and at_limit):
            pairs[tuple(sorted([tuple(map(float, points[i])), tuple(map(float, points[j]))]))] += 1
    return pairs


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=0, max_size=60),
    st.one_of(st.floats(1.0, 12.0), st.sampled_from([4.0, 8.0, 4 * 2**0.5, 4 * 5**0.5])),
    st.sampled_from([">=", ">"]),
)
def test_every_pair_equals_brute_force(cells, limit, op):
    points = np.array(cells, dtype=float).reshape(-1, 2) * 4  # on a 4 um grid: many ties
    layout, top = new_layout()
    place_bumps(layout, top, points, size=2)
    markers = markers_of(layout, top, pitch_rule(op, limit, pairs="all"))
    assert Counter(edge_points(m) for m in markers) == brute_force_every_pair(points, op, limit)
    assert markers == sorted(markers, key=lambda m: m.sort_key())


# ---------------------------------------------------------------- tiles and placements
MODES_DECK = """\
deck modes "pitch, nearest neighbours and every pair" version "1"
units um
layer UB = 1/0
rule P.NN  : pitch(UB) >= 45 um
rule P.ALL : pitch(UB, pairs all) >= 45 um
"""


def clusters(layout: kdb.Layout, top: kdb.Cell) -> None:
    """Square clusters, a staggered field and stacked bumps, spread over tile borders."""
    for x, y in ((0, 0), (95, 10), (200, 185), (400, 40)):
        square_cluster(layout, top, x, y)
    cell = bump_cell(layout, 6)
    step = kdb.DVector(40, 0), kdb.DVector(0, 40)
    for origin in ((0, 250), (20, 270)):
        top.insert(kdb.DCellInstArray(cell.cell_index(), kdb.DTrans(*origin), *step, 6, 3))
    place_bumps(layout, top, [(300, 300), (300, 300), (330, 300), (300, 335)])


def exact_markers(result) -> list[tuple]:
    return [
        (outcome.rule.id, shape_key(m.shape), m.measured, m.text)
        for outcome in result.outcomes
        for m in outcome.markers
    ]


@pytest.mark.parametrize("tile_size", [35.0, 70.0, 160.0])
def test_tiled_runs_give_the_same_markers(tmp_path, tile_size):
    layout, top = new_layout()
    clusters(layout, top)
    path, deck_path = str(tmp_path / "clusters.gds"), tmp_path / "modes.adk"
    layout.write(path)
    deck_path.write_text(MODES_DECK)
    deck = load_deck(str(deck_path))
    whole = exact_markers(run_deck(deck, deck.layers, read_layout(path)))
    counts = Counter(rule for rule, *_ in whole)
    # the clusters alone: 12 and 20 pairs each; the staggered field's 40 um columns and rows
    assert counts["P.ALL"] > counts["P.NN"] >= 4 * 12
    tiled = run_deck(deck, deck.layers, read_layout(path), parallel=Parallel(tile_size=tile_size))
    assert exact_markers(tiled) == whole


PLACEMENTS = {
    "r90": kdb.DCplxTrans(1, 90, False, 1000, 0),
    "mx": kdb.DCplxTrans(1, 0, True, 0, 0),
    "r270 mx": kdb.DCplxTrans(1, 270, True, -500, 200),
    "r30": kdb.DCplxTrans(1, 30, False, 0, 0),
}


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("pairs", ["nearest", "all"])
def test_rotated_and_mirrored_layouts_give_the_same_pairs(placement, pairs):
    def texts(trans: kdb.DCplxTrans | None) -> Counter:
        layout, top = new_layout()
        field = layout.create_cell("FIELD")
        clusters(layout, field)
        top.insert(kdb.DCellInstArray(field.cell_index(), trans or kdb.DCplxTrans()))
        return texts_of(markers_of(layout, top, pitch_rule(">=", 45, pairs=pairs)))

    drawn = texts(None)
    assert drawn and texts(PLACEMENTS[placement]) == drawn
