"""The space check tile by tile gives the pairs of KLayout's check on the whole layer."""

from __future__ import annotations

import math
import random

import klayout.db as kdb
import pytest

from adk.checks import tiled_space
from adk.checks.tiled_space import space_pairs

DISTANCE = 2000  # dbu
EXTENT = 120_000  # dbu: the layouts' side, a few tiles across at 4 to 16 tiles


def _pairs(pairs: kdb.EdgePairs) -> list[tuple[str, str]]:
    """The pairs as a sorted list, each the two edges in a fixed order: KLayout gives
    the two edges of one polygon in either order (and says the pair is symmetric or
    not) depending on the order it meets the shapes in."""
    return sorted(tuple(sorted((str(pair.first), str(pair.second)))) for pair in pairs.each())


def _line(rng: random.Random) -> kdb.Polygon:
    """A long horizontal or vertical line, or a 45° one, with a jog now and then."""
    x, y = rng.randrange(EXTENT), rng.randrange(EXTENT)
    length, width = rng.randrange(5_000, EXTENT // 2), rng.choice((1000, 1500, 2000, 3000))
    kind = rng.choice(("horizontal", "vertical", "diagonal", "jog"))
    if kind == "horizontal":
        points = [kdb.Point(x, y), kdb.Point(x + length, y)]
    elif kind == "vertical":
        points = [kdb.Point(x, y), kdb.Point(x, y + length)]
    elif kind == "diagonal":
        points = [kdb.Point(x, y), kdb.Point(x + length // 3, y + length // 3)]
    else:
        step = length // 3
        points = [kdb.Point(x, y), kdb.Point(x, y + step)]
        points += [kdb.Point(x + step, y + 2 * step), kdb.Point(x + step, y + 3 * step)]
    return kdb.Path(points, width).polygon()


def _dot(rng: random.Random) -> kdb.Polygon:
    """A small square, a sharp triangle or a ring: shields, notches, acute corners, holes."""
    x, y = rng.randrange(EXTENT), rng.randrange(EXTENT)
    kind = rng.choice(("square", "triangle", "ring"))
    if kind == "square":
        side = rng.randrange(300, 1500)
        return kdb.Polygon(kdb.Box(x, y, x + side, y + side))
    if kind == "triangle":
        points = [kdb.Point(x, y), kdb.Point(x + 6000, y + 700), kdb.Point(x + 500, y + 2500)]
        return kdb.Polygon(points)
    ring = kdb.Polygon(kdb.Box(x, y, x + 9000, y + 7000))
    ring.insert_hole(kdb.Box(x + 1000, y + 1200, x + 8000, y + 5800))
    return ring


def _layout(seed: int) -> kdb.Region:
    """A random layer: long lines in every direction (pairs along them that cross tile
    borders), dots between them (shields), triangles and rings, merged."""
    rng = random.Random(seed)
    region = kdb.Region()
    for _ in range(rng.randrange(20, 60)):
        region.insert(_line(rng))
    for _ in range(rng.randrange(50, 300)):
        region.insert(_dot(rng))
    merged = region.merged()
    merged.merged_semantics = False
    return merged


def _parallel_runs() -> kdb.Region:
    """Pairs of lines 1.5 um apart over the whole extent, across every tile of a row:
    with dots between them here and there (each a pair to either line), or with a bar
    between them over the whole length (which shields the pair of the two lines), or a
    bar over half the length (which does not, in KLayout 0.28 and 0.30)."""
    region = kdb.Region()
    for row in range(6):
        y = 10_000 + row * 20_000
        region.insert(kdb.Box(0, y, EXTENT, y + 1000))
        region.insert(kdb.Box(0, y + 2500, EXTENT, y + 3500))
        if row == 4:
            region.insert(kdb.Box(0, y + 1600, EXTENT, y + 1900))
        elif row == 5:
            region.insert(kdb.Box(0, y + 1600, EXTENT // 2, y + 1900))
        else:
            for x in range(7_000 + row * 3000, EXTENT, 23_000):
                region.insert(kdb.Box(x, y + 1600, x + 300, y + 1900))
        region.insert(kdb.Box(y, 0, y + 1000, 5000))  # a short vertical line near the edge
    region.merged_semantics = False
    return region


@pytest.fixture
def tiled_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tiled_space, "TILED_SHAPES", 0)
    monkeypatch.setattr(tiled_space, "TILED_SHAPES_THREADED", 0)
    monkeypatch.setattr(tiled_space, "SPREAD_BUDGET", math.inf)


ORIENTATIONS = [kdb.Trans(kdb.Trans.R0), kdb.Trans(kdb.Trans.R90), kdb.Trans(kdb.Trans.M45)]


@pytest.mark.usefixtures("tiled_always")
@pytest.mark.parametrize("across", [4, 8, 16])
@pytest.mark.parametrize("seed", range(16))
def test_random_layers_give_the_whole_layers_pairs(
    monkeypatch: pytest.MonkeyPatch, seed: int, across: int
) -> None:
    monkeypatch.setattr(tiled_space, "TILES_ACROSS", across)
    region = _layout(seed)
    for turn in ORIENTATIONS:
        turned = region.transformed(turn)
        turned.merged_semantics = False
        whole = turned.space_check(DISTANCE)
        assert _pairs(space_pairs(turned, DISTANCE, threads=2)) == _pairs(whole)
        assert whole.count() > 0  # the layouts do violate


@pytest.mark.usefixtures("tiled_always")
@pytest.mark.parametrize("turn", ORIENTATIONS, ids=str)
@pytest.mark.parametrize("threads", [1, 2])
def test_long_pairs_across_many_tiles(turn: kdb.Trans, threads: int) -> None:
    region = _parallel_runs().transformed(turn)
    region.merged_semantics = False
    whole = region.space_check(DISTANCE)
    tiled = space_pairs(region, DISTANCE, threads)
    assert _pairs(tiled) == _pairs(whole)
    assert tiled.count() == whole.count()  # each pair once
    long = EXTENT - 1
    across = [
        pair for pair in whole.each() if pair.bbox().width() > long or pair.bbox().height() > long
    ]
    # the rows with dots: the two lines' pair (4); the full bar: a pair to each line, the
    # lines' pair shielded (2); the half bar: the lines' pair (1)
    assert len(across) == 4 + 2 + 1


@pytest.mark.usefixtures("tiled_always")
def test_layer_without_violations_gives_no_pairs() -> None:
    region = kdb.Region()
    for row in range(100):
        region.insert(kdb.Box(0, row * 5000, EXTENT, row * 5000 + 2000))
    region.merged_semantics = False
    assert space_pairs(region, DISTANCE, threads=2).is_empty()
    assert space_pairs(region, 3001, threads=2).count() == 99  # 3 um apart, a pair a gap


def test_small_or_merged_mode_regions_are_checked_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    tiled: list[object] = []
    monkeypatch.setattr(tiled_space, "_by_tile", lambda *args: tiled.append(args))
    region = _layout(1)
    assert region.count() < tiled_space.TILED_SHAPES_THREADED
    assert _pairs(space_pairs(region, DISTANCE, 2)) == _pairs(region.space_check(DISTANCE))
    monkeypatch.setattr(tiled_space, "TILED_SHAPES_THREADED", 0)
    region.merged_semantics = True  # overlapping shapes merged per tile would differ
    assert _pairs(space_pairs(region, DISTANCE, 2)) == _pairs(region.space_check(DISTANCE))
    assert tiled == []


@pytest.mark.usefixtures("tiled_always")
def test_a_layer_with_a_mesh_across_it_is_checked_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tiled_space, "SPREAD_BUDGET", 4)
    tiled: list[object] = []
    monkeypatch.setattr(tiled_space, "_by_tile", lambda *args: tiled.append(args))
    holes = kdb.Region()
    for x in range(1000, EXTENT - 2000, 3000):
        for y in range(1000, EXTENT - 2000, 3000):
            holes.insert(kdb.Box(x, y, x + 1500, y + 1500))
    mesh = kdb.Region(kdb.Box(-EXTENT, 0, 0, EXTENT)) - holes.moved(-EXTENT, 0)
    lines = kdb.Region()  # short lines beside it, four points each
    for x in range(0, EXTENT, 12_000):
        for y in range(0, EXTENT, 4000):
            lines.insert(kdb.Box(x, y, x + 10_000, y + 1000))
    # the mesh: one polygon with 1,500 holes, 6,000 points in every tile it reaches
    both = mesh + lines
    both.merged_semantics = False
    assert _pairs(space_pairs(both, DISTANCE, 2)) == _pairs(both.space_check(DISTANCE))
    assert tiled == []
    lines.merged_semantics = False
    space_pairs(lines, DISTANCE, 2)
    assert len(tiled) == 1
