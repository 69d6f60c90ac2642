"""On random layouts, adk's polygon checks report exactly what KLayout's own Region checks do.

Layouts are random boxes, boxes with a 45 degree corner cut and all-angle triangles on a
0.1 um grid, overlapping at will; width, space, separation, overlap and enclosure are
compared. adk adds only its documented extra markers: the overlap polygons for separation
and the inner parts outside the outer layer for enclosure; and it measures to the nearest
database unit, so a pair KLayout finds less than half a unit under the limit (an
all-angle edge snapped to the grid) is at the limit and passes.

Where a merged polygon pinches (touches itself at a vertex, or nearly: at the foot of a
thin spike left by snapping an all-angle crossing to the grid), KLayout's merged-mode
space check answers by how it splits the polygon into edges there, and that split changes
with whether another polygon lies within reach. adk splits it the same way whatever lies
near. Space pairs touching a pinch are left out of the comparison; all others must match.
"""

from __future__ import annotations

from collections import Counter

import klayout.db as kdb
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from adk.checks import runner
from adk.checks.polygon import oriented
from adk.lang.model import LayerRef, Select
from adk.lang.units import Dim
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
    return kdb.Polygon(
        [
            kdb.Point(x, y),
            kdb.Point(x, y + h),
            kdb.Point(x + w - cut, y + h),
            kdb.Point(x + w, y + h - cut),
            kdb.Point(x + w, y),
        ]
    )


layers = st.lists(shapes(), max_size=7)
boxes = st.builds(
    lambda x, y, w, h: kdb.Polygon(kdb.Box(x, y, x + w, y + h)), grid, grid, size, size
)


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


def assert_like_klayout(
    markers, pairs: kdb.EdgePairs, extra: kdb.Region, ctx, limit: int, symmetric: bool = False
) -> None:
    """The markers are KLayout's pairs under the limit plus the polygons of ``extra``;
    ``symmetric``: the pairs of a check of one layer, whose edges have no order."""
    want = Counter(
        str(oriented(pair, ctx.dbu, symmetric)) for pair in pairs.each() if units(pair) < limit
    )
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
    assert_like_klayout(
        run("width", ctx, value, "A"), region.width_check(limit), kdb.Region(), ctx, limit, True
    )


PINCH = 10  # database units; drawn vertices lie on the 100-unit grid, snapped ones need not


def pinches(region: kdb.Region) -> list[kdb.Point]:
    """The vertices of ``region``'s polygons lying within ``PINCH`` units of another vertex
    of the same polygon: where it touches itself or nearly does."""
    found = []
    for polygon in region.each():
        points = list(polygon.each_point_hull())
        for hole in range(polygon.holes()):
            points += list(polygon.each_point_hole(hole))
        found += [
            p
            for i, p in enumerate(points)
            if any(p.distance(q) <= PINCH for j, q in enumerate(points) if i != j)
        ]
    return found


def off_pinches(pairs: kdb.EdgePairs, points: list[kdb.Point]) -> kdb.EdgePairs:
    """The pairs of which neither edge comes within one unit of any of ``points``."""

    def near(edge: kdb.Edge, point: kdb.Point) -> bool:
        exact = edge.to_dtype(1.0)
        if exact.is_degenerate():
            return exact.p1.distance(point.to_dtype(1.0)) <= 1
        return exact.euclidian_distance(point.to_dtype(1.0)) <= 1

    return kdb.EdgePairs(
        [
            pair
            for pair in pairs.each()
            if not any(near(edge, point) for edge in (pair.first, pair.second) for point in points)
        ]
    )


def space_markers_off_pinches(ctx, value: float, region: kdb.Region, rule=None) -> list:
    """adk's space markers on layer A (by ``rule``, or ``>= value``), those at pinches left out."""
    markers = runner("space")(rule, ctx) if rule else run("space", ctx, value, "A")
    kept = off_pinches(kdb.EdgePairs([m.shape.to_itype(ctx.dbu) for m in markers]), pinches(region))
    shapes = {str(oriented(pair, ctx.dbu, True)) for pair in kept.each()}
    return [m for m in markers if str(m.shape) in shapes]


# a spike one unit wide at its foot above a box, with a box near the triangle's other end
SPIKE = [
    kdb.Polygon(kdb.Box(0, 0, 100, 100)),
    kdb.Polygon(kdb.Box(0, 300, 100, 400)),
    kdb.Polygon(kdb.Box(700, 7000, 6700, 13000)),
    kdb.Polygon([kdb.Point(0, 0), kdb.Point(0, 100), kdb.Point(6900, 13500)]),
]
# a spike three units wide at its foot where two triangles cross, a box near them
THIN = [
    kdb.Polygon(kdb.Box(0, 0, 100, 100)),
    kdb.Polygon(kdb.Box(300, 0, 400, 100)),
    kdb.Polygon([kdb.Point(0, 0), kdb.Point(3600, 17000), kdb.Point(200, 300)]),
    kdb.Polygon([kdb.Point(0, 0), kdb.Point(2700, 19700), kdb.Point(7500, 3600)]),
]
# a triangular hole closed by a box touching a bar and a cut corner at its corners
HOLE = [
    kdb.Polygon(kdb.Box(0, 2300, 4200, 2400)),
    kdb.Polygon(kdb.Box(4200, 2200, 4300, 2300)),
    kdb.Polygon(
        [
            kdb.Point(200, 0),
            kdb.Point(200, 2300),
            kdb.Point(4100, 2300),
            kdb.Point(4300, 2100),
            kdb.Point(4300, 0),
        ]
    ),
]


@settings(max_examples=80, deadline=None)
@given(layers, LIMITS)
@example(SPIKE, 0.5)
@example(HOLE, 0.5)
@example(THIN, 0.5)
def test_space_matches_klayout(a, value):
    ctx, (region, _) = setup(a, [])
    limit = ctx.to_dbu(value)
    assert_like_klayout(
        space_markers_off_pinches(ctx, value, region),
        off_pinches(region.space_check(limit), pinches(region)),
        kdb.Region(),
        ctx,
        limit,
        symmetric=True,
    )


def test_a_notch_at_a_pinch_is_reported():
    ctx, (region, _) = setup(SPIKE, [])
    assert [str(p) for p in pinches(region)] == ["6643,13000", "6644,13000"]
    notch = "(6.644,13;6.7,13)/(6.882,13.466;6.644,13)"
    assert notch in pairs_of(run("space", ctx, 0.5, "A"))


@settings(max_examples=80, deadline=None)
@given(layers, layers, LIMITS)
def test_separation_matches_klayout_plus_overlaps(a, b, value):
    ctx, (first, second) = setup(a, b)
    limit = ctx.to_dbu(value)
    assert_like_klayout(
        run("separation", ctx, value, "A", "B"),
        first.separation_check(second, limit),
        first & second,
        ctx,
        limit,
    )


@settings(max_examples=80, deadline=None)
@given(layers, layers, LIMITS)
def test_overlap_matches_klayout(a, b, value):
    ctx, (first, second) = setup(a, b)
    limit = ctx.to_dbu(value)
    assert_like_klayout(
        run("overlap", ctx, value, "A", "B"),
        first.overlap_check(second, limit),
        kdb.Region(),
        ctx,
        limit,
    )


# a via filling its pad, which touches a U-shaped pad at a corner: the via lies in the U
POCKET = (
    [kdb.Polygon(kdb.Box(0, 0, 100, 100))],
    [
        kdb.Polygon(kdb.Box(0, 0, 100, 100)),
        kdb.Polygon(kdb.Box(200, 0, 300, 400)),
        kdb.Polygon(
            [kdb.Point(0, 200), kdb.Point(0, 300), kdb.Point(100, 300), kdb.Point(200, 200)]
        ),
    ],
)


@settings(max_examples=80, deadline=None)
@given(layers, layers, LIMITS)
@example(*POCKET, 0.5)
def test_enclosure_matches_klayout_plus_outside_parts(inner, outer, value):
    ctx, (vias, pads) = setup(inner, outer)
    limit = ctx.to_dbu(value)
    assert_like_klayout(
        run("enclosure", ctx, value, "A", "B"),
        pads.enclosing_check(vias, limit),
        vias - pads,
        ctx,
        limit,
    )


# Manhattan pockets: parts of the outer layer meeting at corners around the via
MANHATTAN_POCKETS = [
    ([kdb.Polygon(kdb.Box(0, 0, 100, 100))], [kdb.Polygon(kdb.Box(*b)) for b in drawn])
    for drawn in (
        [(0, 0, 100, 100), (100, 100, 200, 200)],
        [(-100, -100, 300, 0), (-100, 0, 0, 300), (0, 300, 300, 400), (300, 0, 400, 300)]
        + [(200, 200, 300, 300)],
        [(-100, -100, 100, 100), (100, 100, 300, 300), (100, -300, 300, -100)],
    )
]
bars = st.builds(
    lambda x, y, length, upright: kdb.Polygon(
        kdb.Box(x, y, x + GRID, y + length) if upright else kdb.Box(x, y, x + length, y + GRID)
    ),
    grid,
    grid,
    st.integers(1, 100).map(lambda v: v * GRID),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(boxes, max_size=12),
    st.lists(st.one_of(boxes, bars), max_size=20),
    LIMITS,
    st.booleans(),
)
@example(*MANHATTAN_POCKETS[0], 0.5, True)
@example(*MANHATTAN_POCKETS[1], 2.0, True)
@example(*MANHATTAN_POCKETS[2], 1.3, False)
def test_enclosure_on_manhattan_layers_matches_klayout(inner, outer, value, selected_first):
    """On Manhattan layers enclosure checks the outer layer as it is, not in KLayout's
    merged mode, and, with ``none(A not_inside B)`` checked first, cuts the parts outside
    from the shapes that selected; the markers are KLayout's on the merged layers."""
    ctx, (vias, pads) = setup(inner, outer)
    if selected_first:
        ctx.region(Select("not_inside", LayerRef("A"), LayerRef("B")))
    limit = ctx.to_dbu(value)
    assert_like_klayout(
        run("enclosure", ctx, value, "A", "B"),
        pads.enclosing_check(vias, limit),
        vias - pads,
        ctx,
        limit,
    )


@settings(max_examples=120, deadline=None)
@given(layers, st.lists(boxes, min_size=1, max_size=2), st.sampled_from(["inside", "not_inside"]))
@example([], [kdb.Polygon(kdb.Box(0, 0, 100, 100))], "not_inside")
@example([kdb.Polygon(kdb.Box(0, 0, 100, 100))], [kdb.Polygon(kdb.Box(0, 0, 100, 100))], "inside")
def test_selection_by_one_box_matches_klayout(a, b, op):
    """``A inside B`` and ``A not_inside B`` where B is one box (an outline less its
    margin) select the polygons KLayout's ``inside`` and ``not_inside`` do."""
    ctx, (first, second) = setup(a, b)
    found = ctx.region(Select(op, LayerRef("A"), LayerRef("B")))
    want = first.inside(second) if op == "inside" else first.not_inside(second)
    assert Counter(map(str, found.each())) == Counter(map(str, want.each()))


manhattan_layers = st.lists(st.one_of(boxes, bars), max_size=20)
# a box in a ring's hole, a box on a ring and a box beside it, touching
RING = [kdb.Polygon(kdb.Box(0, 0, 900, 300)), kdb.Polygon(kdb.Box(0, 600, 900, 900))] + [
    kdb.Polygon(kdb.Box(0, 300, 300, 600)),
    kdb.Polygon(kdb.Box(600, 300, 900, 600)),
]
IN_HOLE = [kdb.Polygon(kdb.Box(400, 400, 500, 500)), kdb.Polygon(kdb.Box(0, 0, 900, 300))]
BESIDE = IN_HOLE + [kdb.Polygon(kdb.Box(900, 0, 1000, 100))]


@settings(max_examples=120, deadline=None)
@given(manhattan_layers, manhattan_layers, st.sampled_from(["inside", "not_inside"]))
@example(BESIDE, RING, "inside")
@example(BESIDE, RING, "not_inside")
@example(BESIDE, [], "not_inside")
def test_selection_on_manhattan_layers_matches_klayout(a, b, op):
    """``A inside B`` and ``A not_inside B`` on Manhattan layers, told by the parts of A
    outside B, select the polygons KLayout's ``inside`` and ``not_inside`` do."""
    ctx, (first, second) = setup(a, b)
    found = ctx.region(Select(op, LayerRef("A"), LayerRef("B")))
    want = first.inside(second) if op == "inside" else first.not_inside(second)
    assert Counter(map(str, found.each())) == Counter(map(str, want.each()))


@settings(max_examples=40, deadline=None)
@given(layers, LIMITS)
def test_a_strict_limit_also_fails_at_the_limit(a, value):
    ctx, (region, _) = setup(a, [])
    rule = check("space", "A", constraints=((None, ">", value, Dim.LENGTH),))
    limit = ctx.to_dbu(value)
    assert_like_klayout(
        space_markers_off_pinches(ctx, value, region, rule),
        off_pinches(region.space_check(limit + 1), pinches(region)),
        kdb.Region(),
        ctx,
        limit + 1,
        symmetric=True,
    )
