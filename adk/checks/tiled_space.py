"""KLayout's space check on a large layer, tile by tile in KLayout's threads, with the
edge pairs of the check on the whole layer.

KLayout's space check on a whole layer of 330,000 RDL lines takes 3.5 s; in 64 tiles it
takes 2.5 s in one thread and 1.25 s in two (its width check takes 0.1 s whole, and
tiles do not pay). A tile's check sees only the shapes near the tile, so its pairs are
sorted by what they depend on.

A pair depends on the shapes that touch its bounding box: its two polygons, and any
that shield it (KLayout 0.28 and 0.30 drop a pair when an edge between its edges covers
it whole; nothing here relies on how). Each tile hands its check the shapes that come
within a border of it, whole. A pair is **trusted** in a tile when its bounding box,
grown by the distance, lies within the tile grown by the border: every shape it depends
on is then among the tile's, and the tile's pair is the whole layer's. Each pair is
**owned** by the tile holding its anchor, the least of its edges' end points (half-open
tiles, so one tile each). A trusted pair is kept by its owner, from its owner's check.

The other pairs are checked again: every pair a tile finds untrusted and touching the
tile gives a window, its bounding box grown by the distance and a unit; the shapes
touching the windows are checked in one piece, and the pairs of that check that lie,
grown by the distance, within the windows and that their owner would not trust are kept.
A pair of the whole layer that its owner would not trust lies within a window: its
owner's tile holds its two polygons (the border is twice the distance, and each point of
either edge of a pair lies within the distance of the other edge), and without the
shapes beyond the border the tile finds that pair, or one that a shape it does not hold
would cut or drop; that pair touches the tile and is not trusted either.

So the pairs are those of the check on the whole layer, each once. This holds for a
region in KLayout's raw mode (its polygons taken as they are: a drawn layer that no
merge changes, or a merged one); a region in merged mode is checked whole.
``tests/checks/test_tiled_space.py`` compares the two on random layers."""

from __future__ import annotations

import math
from collections.abc import Iterator

import klayout.db as kdb

# From this many shapes on a layer is checked in tiles: in one thread from 150,000 (RDL
# lines whole against in tiles: 100,000 1.00 s and 1.00 s, 190,000 1.96 s and 1.67 s),
# in two from 30,000 (31,000: 0.26 s and 0.18 s); below, tiles cost more than they save
TILED_SHAPES = 150_000
TILED_SHAPES_THREADED = 30_000
# Tiles across the larger side of the layer's extent (330,000 lines in two threads:
# 4 across 1.29 s, 8 across 1.22 s, 16 across 1.62 s)
TILES_ACROSS = 8
# A shape is checked in every tile it reaches: a merged mesh across the layer would be
# checked whole in each. Tiles are used while the points of the shapes wider or taller
# than a tile, counted once per tile they reach, are at most this many per shape of the
# layer (a box has four points)
SPREAD_BUDGET = 4
# The processor takes sizes in µm of a unit of its own, any unit will do (with 1.0,
# KLayout 0.30 ran the tiles in one thread); the region holds database units
_UNIT = 0.001


def space_pairs(region: kdb.Region, distance: int, threads: int) -> kdb.EdgePairs:
    """KLayout's ``space_check`` of ``region`` at ``distance`` (dbu, default options): the
    pairs of the check on the whole region, found tile by tile in ``threads`` when the
    region is large and in raw mode."""
    least = TILED_SHAPES if threads <= 1 else TILED_SHAPES_THREADED
    if region.merged_semantics or distance <= 0 or region.count() < least:
        return region.space_check(distance)
    grid = _Grid.over(region.bbox(), distance)
    if _spread(region, grid.side) > SPREAD_BUDGET * region.count():
        return region.space_check(distance)
    found = _by_tile(region, distance, grid, threads)
    if found is None:
        return region.space_check(distance)
    kept, redo = found
    for pair in _checked_again(region, distance, grid, redo):
        kept.insert(pair)
    return kept


class _Grid:
    """Square tiles from ``origin`` covering a box, with the border each tile reads."""

    def __init__(self, origin: kdb.Point, side: int, across: int, up: int, distance: int):
        self.origin, self.side, self.across, self.up = origin, side, across, up
        self.distance = distance
        self.border = 2 * distance + 2  # the pair's other edge, rounding, a unit to touch

    @classmethod
    def over(cls, extent: kdb.Box, distance: int) -> _Grid:
        side = max(1, math.ceil(max(extent.width(), extent.height()) / TILES_ACROSS))
        side = max(side, 4 * distance)  # a tile wider than its border
        # one more row and column than the extent needs: its upper ends lie inside a tile
        across, up = extent.width() // side + 1, extent.height() // side + 1
        return cls(extent.p1, side, across, up, distance)

    def tile(self, ix: int, iy: int) -> kdb.Box:
        left, bottom = self.origin.x + ix * self.side, self.origin.y + iy * self.side
        return kdb.Box(left, bottom, left + self.side, bottom + self.side)

    def owner(self, pair: kdb.EdgePair) -> tuple[int, int]:
        anchor = min(_ends(pair), key=lambda point: (point.x, point.y))
        return (anchor.x - self.origin.x) // self.side, (anchor.y - self.origin.y) // self.side

    def trusted(self, pair: kdb.EdgePair, ix: int, iy: int) -> bool:
        """Whether every shape ``pair`` depends on is among tile (ix, iy)'s."""
        frame = self.tile(ix, iy).enlarged(self.border, self.border)
        return _reach(pair, self.distance).inside(frame)

    def kept_by_owner(self, pair: kdb.EdgePair) -> bool:
        return self.trusted(pair, *self.owner(pair))


def _spread(region: kdb.Region, side: int) -> int:
    """The points of the shapes of ``region`` that reach across ``side`` (dbu) either way,
    each counted once per tile of that side it may reach."""
    total = 0
    for polygon in region.with_bbox_max(side, None, False).each():
        box = polygon.bbox()
        total += polygon.num_points() * (box.width() // side + 2) * (box.height() // side + 2)
    return total


def _ends(pair: kdb.EdgePair) -> Iterator[kdb.Point]:
    yield from (pair.first.p1, pair.first.p2, pair.second.p1, pair.second.p2)


def _reach(pair: kdb.EdgePair, distance: int) -> kdb.Box:
    return pair.bbox().enlarged(distance, distance)


class _Sorter(kdb.TileOutputReceiver):
    """Takes each tile's pairs: those its owner trusts, and windows for the untrusted."""

    def __init__(self, grid: _Grid):
        self.grid = grid
        self.kept = kdb.EdgePairs()
        self.redo: list[kdb.Box] = []
        self.misplaced = False  # a tile not where the grid puts it

    def put(self, ix: int, iy: int, tile: kdb.Box, pairs: object, *rest: object) -> None:
        if tile != self.grid.tile(ix, iy):
            self.misplaced = True
            return
        assert isinstance(pairs, kdb.EdgePairs)
        for pair in pairs.each():
            if self.grid.trusted(pair, ix, iy):
                if self.grid.owner(pair) == (ix, iy):
                    self.kept.insert(pair)
            elif pair.bbox().touches(tile):
                # a unit more than the pairs found in it reach: they lie strictly inside
                self.redo.append(_reach(pair, self.grid.distance + 1))


def _by_tile(
    region: kdb.Region, distance: int, grid: _Grid, threads: int
) -> tuple[kdb.EdgePairs, list[kdb.Box]] | None:
    """The pairs the tiles' owners trust, and the windows to check again; None if the
    processor did not lay its tiles where the grid does."""
    processor = kdb.TilingProcessor()
    processor.dbu = _UNIT
    processor.input("r", region)
    sorter = _Sorter(grid)
    processor.output("o", sorter)
    processor.var("d", distance)
    # the tile's region says it is merged: its polygons are taken as they are
    processor.queue("r.merged_semantics = false; _output(o, r.space_check(d), false)")
    processor.tile_origin(grid.origin.x * _UNIT, grid.origin.y * _UNIT)
    processor.tile_size(grid.side * _UNIT, grid.side * _UNIT)
    processor.tiles(grid.across, grid.up)
    # a unit more than the grid trusts, for the processor's rounding of µm
    processor.tile_border((grid.border + 1) * _UNIT, (grid.border + 1) * _UNIT)
    processor.threads = max(1, threads)
    processor.execute("space check")
    return None if sorter.misplaced else (sorter.kept, sorter.redo)


def _checked_again(
    region: kdb.Region, distance: int, grid: _Grid, redo: list[kdb.Box]
) -> Iterator[kdb.EdgePair]:
    """The pairs in the windows ``redo`` that their owners do not trust."""
    if not redo:
        return
    windows = kdb.Region()
    for window in redo:
        windows.insert(window)
    windows.merge()
    near = region.interacting(windows)
    near.merged_semantics = False
    candidates = [
        pair for pair in near.space_check(distance).each() if not grid.kept_by_owner(pair)
    ]
    reaches = kdb.Region()
    reaches.merged_semantics = False
    for pair in candidates:
        reaches.insert(_reach(pair, distance))
    outside = {polygon.bbox() for polygon in reaches.not_inside(windows).each()}
    yield from (pair for pair in candidates if _reach(pair, distance) not in outside)
