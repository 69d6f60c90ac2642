"""On random layouts, adk's polygon checks report exactly what KLayout's own Region checks do.

Layouts are random boxes, boxes with a 45 degree corner cut and all-angle triangles on a
0.1 um grid, overlapping at will. adk adds only its documented extra markers: the overlap
polygons for separation and the inner parts outside the outer layer for enclosure; and it
measures to the nearest database unit, so a pair KLayout finds less than half a unit
under the limit (an all-angle edge snapped to the grid) is at the limit and passes.
"""
from __future__ import annotations

from collections import Counter

import klayout.db as kdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adk.checks import runner
from adk.checks._polygon import oriented
from adk.units import Dim
from tests.util import check, context, new_layout

LAYERS = {"A": (1, 0), "B": (2, 0)}
GRID = 100  # database units: 0.1 um
LIMITS = st.sampled_from([0.5, 1.0, 1.3, 2.0, 3.7])

grid = st.integers(0, 200).map(lambda v: v * GRID)
size = st.integers(1, 60).map(lambda v: v * GRID)


@st.composite
def shapes(draw) -> kdb.Polygon:
    kind = draw(st.sampled_from(["box", "cut", "triangle"]))
    if kind == "triangle":
        return kdb.Polygon([kdb.Point(draw(grid), draw(grid)) for _ in range(3)])
    x, y, w, h = draw(grid), draw(grid), draw(size), draw(size)
    if kind == "box":
        return kdb.Polygon(kdb.Box(x, y, x + w, y + h))
    cut = draw(st.integers(1, max(1, min(w, h) // GRID - 1))) * GRID
    return kdb.Polygon([kdb.Point(x, y), kdb.Point(x, y + h), kdb.Point(x + w - cut, y + h),
                        kdb.Point(x + w, y + h - cut), kdb.Point(x + w, y)])


layers = st.lists(shapes(), max_size=7)


def setup(a: list[kdb.Polygon], b: list[kdb.Polygon]):
    """The context of a flat layout holding ``a`` and ``b``, and their merged regions."""
    layout, top = new_layout()
    regions = []
    for name, polygons in (("A", a), ("B", b)):
        region = kdb.Region()
        for polygon in polygons:
            top.shapes(layout.layer(*LAYERS[name])).insert(polygon)
            region.insert(polygon)
        regions.append(region.merged())
    return context(layout, top, LAYERS), regions


def run(kind: str, ctx, value: float, *names: str):
    rule = check(kind, *names, constraints=((None, ">=", value, Dim.LENGTH),))
    return runner(kind)(rule, ctx)


def pairs_of(markers) -> Counter:
    return Counter(str(m.shape) for m in markers if isinstance(m.shape, kdb.DEdgePair))


def units(pair: kdb.EdgePair) -> int:
    """The distance between the edges of a pair to the nearest database unit."""
    a, b = pair.to_dtype(1.0).first, pair.to_dtype(1.0).second
    if a.intersects(b):
        return 0

    def to(edge: kdb.DEdge, point: kdb.DPoint) -> float:
        return edge.p1.distance(point) if edge.is_degenerate() else edge.euclidian_distance(point)

    return round(min(to(a, b.p1), to(a, b.p2), to(b, a.p1), to(b, a.p2)))


def assert_like_klayout(markers, pairs: kdb.EdgePairs, extra: kdb.Region, ctx, limit: int) -> None:
    """The markers are KLayout's pairs under the limit plus the polygons of ``extra``."""
    want = Counter(str(oriented(pair, ctx.dbu)) for pair in pairs.each() if units(pair) < limit)
    assert pairs_of(markers) == want
    polygons = Counter(str(m.shape) for m in markers if isinstance(m.shape, kdb.DPolygon))
    assert polygons == Counter(str(polygon.to_dtype(ctx.dbu)) for polygon in extra.each())
    assert len(markers) == sum(want.values()) + extra.count()
    for marker in markers:
        if isinstance(marker.shape, kdb.DEdgePair):
            assert marker.measured == pytest.approx(units(marker.shape.to_itype(ctx.dbu)) * ctx.dbu)
        else:
            assert marker.measured == 0.0
    assert markers == sorted(markers, key=lambda m: m.sort_key())


@settings(max_examples=80, deadline=None)
@given(layers, LIMITS)
def test_width_matches_klayout(a, value):
    ctx, (region, _) = setup(a, [])
    limit = ctx.to_dbu(value)
    assert_like_klayout(run("width", ctx, value, "A"), region.width_check(limit), kdb.Region(),
                        ctx, limit)


@settings(max_examples=80, deadline=None)
@given(layers, LIMITS)
def test_space_matches_klayout(a, value):
    ctx, (region, _) = setup(a, [])
    limit = ctx.to_dbu(value)
    assert_like_klayout(run("space", ctx, value, "A"), region.space_check(limit), kdb.Region(),
                        ctx, limit)


@settings(max_examples=80, deadline=None)
@given(layers, layers, LIMITS)
def test_separation_matches_klayout_plus_overlaps(a, b, value):
    ctx, (first, second) = setup(a, b)
    limit = ctx.to_dbu(value)
    assert_like_klayout(run("separation", ctx, value, "A", "B"),
                        first.separation_check(second, limit), first & second, ctx, limit)


@settings(max_examples=80, deadline=None)
@given(layers, layers, LIMITS)
def test_enclosure_matches_klayout_plus_outside_parts(inner, outer, value):
    ctx, (vias, pads) = setup(inner, outer)
    limit = ctx.to_dbu(value)
    assert_like_klayout(run("enclosure", ctx, value, "A", "B"),
                        pads.enclosing_check(vias, limit), vias - pads, ctx, limit)


@settings(max_examples=40, deadline=None)
@given(layers, LIMITS)
def test_a_strict_limit_also_fails_at_the_limit(a, value):
    ctx, (region, _) = setup(a, [])
    rule = check("space", "A", constraints=((None, ">", value, Dim.LENGTH),))
    limit = ctx.to_dbu(value)
    assert_like_klayout(runner("space")(rule, ctx), region.space_check(limit + 1), kdb.Region(),
                        ctx, limit + 1)
