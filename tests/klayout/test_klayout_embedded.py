"""The methods adk.klayout.embedded adds to an older KLayout application, against the ones
the klayout module has."""

from __future__ import annotations

import klayout.db as kdb
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from adk.klayout.embedded import edge_distance, pair_distance, rasterize

coord = st.integers(-2000, 2000)
edge = st.builds(lambda a, b, c, d: kdb.DEdge(a, b, c, d), coord, coord, coord, coord)


@settings(max_examples=300, deadline=None)
@given(edge, edge)
def test_distances_as_klayout_computes_them(first, second):
    # adk measures degenerate edges (points) itself; KLayout's methods are called for the rest
    assume(not first.is_degenerate() and not second.is_degenerate())
    assert abs(edge_distance(first, second.p1) - first.euclidian_distance(second.p1)) < 1e-6
    pair = kdb.DEdgePair(first, second)
    assert abs(pair_distance(pair) - pair.distance()) < 1e-6


def test_rasterize_as_klayout_computes_it():
    region = kdb.Region(kdb.Box(0, 0, 1000, 700)) + kdb.Region(kdb.Box(1500, 200, 2600, 2600))
    args = (kdb.Point(-100, -50), kdb.Vector(800, 900), kdb.Vector(700, 900), 4, 3)
    assert rasterize(region, *args) == [list(row) for row in region.rasterize(*args)]
