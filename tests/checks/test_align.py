"""align: balls land on pads within the tolerance, one way (``to``) or both (``both``)."""

from __future__ import annotations

import math

import klayout.db as kdb
import pytest

from adk.api import load_deck
from adk.checks import marker_reach, runner
from adk.checks.base import Marker, shape_key
from adk.errors import DeckError
from adk.lang.units import Dim
from adk.layout.reader import read_layout
from adk.run.engine import Parallel, run_deck
from tests.util import check, context, new_layout

run = runner("align")
BALL, PAD = (1, 0), (2, 0)


def align_rule(direction="to", op="<=", value=1.0):
    return check(
        "align",
        "BALL",
        params={direction: "PAD"},
        constraints=((None, op, value, Dim.LENGTH),),
    )


def markers_of(layout, top, rule):
    return run(rule, context(layout, top, {"BALL": BALL, "PAD": PAD}))


def both_ways(layout, top):
    """The markers one way and both ways."""
    return tuple(markers_of(layout, top, align_rule(d)) for d in ("to", "both"))


def exactly(markers: list[Marker]) -> list[tuple]:
    return [(m.shape, m.measured, m.text) for m in markers]


def put(layout, top, ld, points, size=10.0):
    for x, y in points:
        top.shapes(layout.layer(*ld)).insert(
            kdb.DBox(x - size / 2, y - size / 2, x + size / 2, y + size / 2)
        )


def point(x, y):
    return kdb.DEdge(x, y, x, y)


def die_array(layout, top, trans, na=4, nb=3):
    """A flipped top die: its ball array placed mirrored and rotated."""
    cell = layout.create_cell("BALLS")
    cell.shapes(layout.layer(*BALL)).insert(kdb.DBox(-5, -5, 5, 5))
    die = layout.create_cell("DIE")
    die.insert(
        kdb.DCellInstArray(
            cell.cell_index(), kdb.DTrans(), kdb.DVector(40, 0), kdb.DVector(0, 40), na, nb
        )
    )
    top.insert(kdb.DCellInstArray(die.cell_index(), trans))


def test_flipped_die_on_its_pads_passes():
    layout, top = new_layout()
    die_array(layout, top, kdb.DCplxTrans(1, 180, True, 1000, 1000))
    # mirror at x then rotate 180: (x, y) -> (-x, y); pads 0.5 um off
    put(layout, top, PAD, [(1000.5 - 40 * i, 1000 + 40 * j) for i in range(4) for j in range(3)])
    assert both_ways(layout, top) == ([], [])


def test_pads_without_balls_pass_one_way_and_fail_both_ways():
    layout, top = new_layout()
    put(layout, top, BALL, [(0, 0)])
    put(layout, top, PAD, [(0, 0), (0, 40), (30, 0)])
    one_way, two_ways = both_ways(layout, top)
    assert one_way == []
    assert exactly(two_ways) == [
        (point(0, 40), 40.0, "PAD with no BALL within 1 um"),
        (point(30, 0), 30.0, "PAD with no BALL within 1 um"),
    ]


def test_ball_off_its_pad_is_one_marker_either_way():
    layout, top = new_layout()
    put(layout, top, BALL, [(0, 0), (100, 1.5)])
    put(layout, top, PAD, [(0, 0), (100, 0)])
    one_way, two_ways = both_ways(layout, top)
    expected = [(kdb.DEdge(100, 1.5, 100, 0), 1.5, "offset 1.5 um > 1 um (BALL to nearest PAD)")]
    assert exactly(one_way) == exactly(two_ways) == expected


def test_ball_with_no_pad_near_it():
    # the lone ball's nearest pad has a ball of its own: only the ball is a marker
    layout, top = new_layout()
    put(layout, top, BALL, [(0, 0), (100, 0)])
    put(layout, top, PAD, [(0, 0)])
    one_way, two_ways = both_ways(layout, top)
    expected = [(kdb.DEdge(100, 0, 0, 0), 100.0, "offset 100 um > 1 um (BALL to nearest PAD)")]
    assert exactly(one_way) == exactly(two_ways) == expected


def test_ball_pointing_at_a_pad_whose_nearest_ball_is_elsewhere():
    # the ball at (20, 25) is nearest to the pad at (20, 0), whose nearest ball sits on
    # the pad at the origin: two markers both ways, the pad's a point
    layout, top = new_layout()
    put(layout, top, BALL, [(0, 0), (20, 25)])
    put(layout, top, PAD, [(0, 0), (20, 0)])
    one_way, two_ways = both_ways(layout, top)
    offset = (kdb.DEdge(20, 25, 20, 0), 25.0, "offset 25 um > 1 um (BALL to nearest PAD)")
    assert exactly(one_way) == [offset]
    assert exactly(two_ways) == [(point(20, 0), 20.0, "PAD with no BALL within 1 um"), offset]


def test_empty_layers():
    layout, top = new_layout()
    assert both_ways(layout, top) == ([], [])
    put(layout, top, BALL, [(0, 0), (40, 0)])
    no_pads = [
        (point(0, 0), None, "BALL with no PAD within 1 um"),
        (point(40, 0), None, "BALL with no PAD within 1 um"),
    ]
    one_way, two_ways = both_ways(layout, top)
    assert exactly(one_way) == exactly(two_ways) == no_pads
    layout, top = new_layout()
    put(layout, top, PAD, [(5, 5)])
    one_way, two_ways = both_ways(layout, top)
    assert one_way == []
    assert exactly(two_ways) == [(point(5, 5), None, "PAD with no BALL within 1 um")]


def test_offset_exactly_at_the_tolerance_passes():
    layout, top = new_layout()
    put(layout, top, BALL, [(0, 1), (50, 0)])
    put(layout, top, PAD, [(0, 0), (50.6, 0.8)])
    assert both_ways(layout, top) == ([], [])
    for direction in ("to", "both"):
        markers = markers_of(layout, top, align_rule(direction, "<", 1.0))
        assert [m.text for m in markers] == ["offset 1 um >= 1 um (BALL to nearest PAD)"] * 2


def test_strict_limit_reads_nearer_than():
    layout, top = new_layout()
    put(layout, top, BALL, [(0, 0)])
    put(layout, top, PAD, [(0, 0), (0, 1)])
    markers = markers_of(layout, top, align_rule("both", "<", 1.0))
    assert exactly(markers) == [(point(0, 1), 1.0, "PAD with no BALL nearer than 1 um")]


def test_matching_is_not_exclusive():
    layout, top = new_layout()
    put(layout, top, BALL, [(0, 0), (0, 0.5)], size=0.2)
    put(layout, top, PAD, [(0, 0.2)])
    assert both_ways(layout, top) == ([], [])


def test_a_ball_midway_shows_the_first_pad_and_marks_the_other():
    # equally near pads: the first by x, then y, is the ball's partner
    layout, top = new_layout()
    put(layout, top, BALL, [(0, 0)])
    put(layout, top, PAD, [(5, 0), (-5, 0)])
    one_way, two_ways = both_ways(layout, top)
    offset = (kdb.DEdge(0, 0, -5, 0), 5.0, "offset 5 um > 1 um (BALL to nearest PAD)")
    assert exactly(one_way) == [offset]
    assert exactly(two_ways) == [offset, (point(5, 0), 5.0, "PAD with no BALL within 1 um")]


@pytest.mark.parametrize("offset, expected", [(0.0, 0), (0.3, 0), (2.0, 12)])
def test_whole_array_shift(offset, expected):
    layout, top = new_layout()
    die_array(layout, top, kdb.DCplxTrans(1, 0, False, 0, 0))
    put(layout, top, PAD, [(40 * i + offset, 40 * j) for i in range(4) for j in range(3)])
    assert [len(markers) for markers in both_ways(layout, top)] == [expected, expected]


def test_a_pads_point_depends_on_twice_its_distance():
    rule = align_rule("both")
    assert marker_reach(rule, Marker(point(0, 0), 20.0, "")) == 41.0
    assert marker_reach(rule, Marker(kdb.DEdge(0, 0, 0, 20), 20.0, "")) == 21.0
    assert marker_reach(rule, Marker(point(0, 0), None, "")) == math.inf


@pytest.mark.parametrize(
    "call, message",
    [
        (
            "align(BALL) <= 1 um",
            "align needs the direction: 'to LAYER' (every bump has a partner) "
            "or 'both LAYER' (partners both ways)",
        ),
        (
            "align(BALL, to PAD, both PAD) <= 1 um",
            "align takes one direction, 'to LAYER' or 'both LAYER', not the two",
        ),
        (
            "align(BALL, PAD) <= 1 um",
            "align takes 1 layer argument "
            "(align(bumps, [to LAYER], [both LAYER], [within LAYER])), got 2",
        ),
    ],
)
def test_the_direction_is_explicit(tmp_path, call, message):
    path = tmp_path / "align.adk"
    path.write_text(f"layer BALL = 1/0\nlayer PAD = 2/0\nrule AL : {call}\n")
    with pytest.raises(DeckError, match="align") as raised:
        load_deck(str(path))
    assert message in str(raised.value)


TILED_DECK = """\
layer BALL = 1/0
layer PAD  = 2/0
rule TO   : align(BALL, to PAD) <= 1 um
rule BOTH : align(BALL, both PAD) <= 1 um
"""


def misaligned_field(layout, top):
    """Ball and pad arrays with every kind of marker, spread over many tiles."""
    pads = [(40.0 * i, 40.0 * j) for i in range(12) for j in range(12)]
    balls = [(x + (3.0 if (x + y) % 200 == 0 else 0.3), y) for x, y in pads if (x * y) % 360]
    balls += [(200.0, 500.0), (20.0, 20.0), (-60.0, 100.0)]  # lone, midway, outside
    put(layout, top, PAD, pads)
    put(layout, top, BALL, balls)


@pytest.mark.parametrize("tile_size", [30.0, 75.0, 160.0])
def test_tiled_runs_give_the_same_markers(tmp_path, tile_size):
    layout, top = new_layout()
    misaligned_field(layout, top)
    path, deck_path = str(tmp_path / "field.gds"), tmp_path / "align.adk"
    layout.write(path)
    deck_path.write_text(TILED_DECK)
    deck = load_deck(str(deck_path))

    def markers(parallel=None):
        result = run_deck(deck, deck.layers, read_layout(path), parallel=parallel)
        return [
            (o.rule.id, shape_key(m.shape), m.measured, m.text)
            for o in result.outcomes
            for m in o.markers
        ]

    whole = markers()
    texts = {text for *_, text in whole}
    assert {"PAD with no BALL within 1 um", "offset 3 um > 1 um (BALL to nearest PAD)"} <= texts
    assert markers(Parallel(tile_size=tile_size)) == whole
