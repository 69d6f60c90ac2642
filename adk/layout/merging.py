"""Merging a drawn layer at a cost that does not depend on which way its shapes run.

KLayout merges with a scanline that moves up the layout. An edge stays in the scanline
from its lower end to its upper end, and each vertex the scanline stops at makes it go
through the edges it holds; a band that holds a 45° edge is handled by the slower
all-angle code. Lines that run horizontally keep few edges in the scanline; lines that
run vertically keep their long edges in it over thousands of stops, and the benchmark's
bus layers merge two to four times slower turned by 90° (``benchmarks/README.md``,
"Orientation and shape mix").

So a layer is merged the way its shapes run. Shapes whose bounding box is taller than
wide are merged turned by a quarter turn, which is exact on the integer grid, and the
merge is turned back; a drawn layer is read turned straight from the layout, as the
order in which ``Region.transformed`` leaves the polygons doubles the merge's time.
When a layer has many of both kinds, each kind is merged on its own, and the merged
shapes of one kind that touch or overlap shapes of the other are merged once more,
together: the shapes that touch form the same polygons as in a merge of the whole
layer. Where most of the tall shapes meet wide ones (wires between pads), that join would
merge most of the layer again, and the layer is merged in one piece, the way most of it
runs. Deciding whether a layer needs merging costs this merge: KLayout's own tests of
whether shapes touch (``interacting`` or ``overlapping`` of a region with a copy of
itself, counting, or a space check at one database unit) take three to four and a half
times as long as a merge in the direction the shapes run.

With threads to spare (a run in one process), whether a large layer changes at all is
first asked tile by tile in KLayout's threads (:func:`_unchanged_tile_by_tile`); only a
layer that changes is merged.

The result is the polygons of KLayout's merge of the whole layer as drawn (holes may
come in another order), or the shapes as drawn where that merge keeps their count,
perimeter and area. Where merging in parts could give other polygons, the layer is
merged as drawn in one piece: a layer with an edge that is neither Manhattan nor 45°
(KLayout snaps the points where such edges cross to the grid, and how it rounds depends
on the direction of the scanline and on the shapes around); among the shapes the merge
changes, one that crosses itself the wrong way round, or a 45° edge that meets another
of them. Not covered: in a layer merged turned, a 45° edge that passes within a
database unit of a shape it does not touch, which KLayout's merge as drawn might join
to it by snapping (two shapes 0.7 database units apart; none of the random layouts
tried showed it).
"""

from __future__ import annotations

import math

import klayout.db as kdb

QUARTER_TURN = kdb.Trans(kdb.Trans.R90)
TURN_BACK = kdb.Trans(kdb.Trans.R270)
# Below this share of a layer's perimeter, shapes running the other way are merged along
# with the rest: merging the two kinds apart and joining them pays from about a sixth on
# (measured with the benchmark's horizontal and vertical buses side by side).
SPLIT_SHARE = 0.15
# How many tall shapes are tried to tell whether the two kinds mostly meet
MEETING_SAMPLE = 1000
# From this many shapes on, with threads to spare, whether merging changes a layer is first
# asked tile by tile, in threads (:func:`_unchanged_tile_by_tile`): a merge of 330,000 RDL
# lines takes 1.4 s, the test in two threads 0.7 s; below, a merge costs little
TILED_TEST_SHAPES = 200_000
# Tiles across the larger side of the layer's extent for that test (8: 0.7 s, 4: 0.8 s,
# 16: 0.9 s on those lines)
TILES_ACROSS = 8


def as_drawn(region: kdb.Region) -> kdb.Region:
    """``region`` with its polygons taken one by one (KLayout's raw mode), not merged first."""
    region.merged_semantics = False
    return region


def settled(
    region: kdb.Region, shapes: kdb.RecursiveShapeIterator | None = None, threads: int = 1
) -> kdb.Region:
    """The merged polygons of ``region`` in raw mode; ``region`` itself, in raw mode,
    when merging changes nothing (no shape overlaps or touches another or itself: the
    count, the perimeter and the area stay). ``shapes``: what ``region`` reads from a
    layout, so that it can be read turned; ``threads``: how many the test whether merging
    changes a large layer may use."""
    raw = as_drawn(region)
    if threads > 1 and raw.count() >= TILED_TEST_SHAPES and _unchanged_tile_by_tile(raw, threads):
        return raw
    return _merge(raw, shapes)


class Measures:
    """The count, the perimeter and the area of a region, each taken when first asked
    for (the perimeter and the area take a pass over the polygons). A quarter turn
    leaves them as they are."""

    NAMES = ("count", "perimeter", "area")

    def __init__(self, region: kdb.Region):
        self.region = region
        self._values: dict[str, int] = {}

    def value(self, name: str) -> int:
        if name not in self._values:
            self._values[name] = getattr(self.region, name)()
        return self._values[name]

    def same(self, other: kdb.Region) -> bool:
        """Whether ``other`` has the same count, perimeter and area (cheapest first)."""
        return all(getattr(other, name)() == self.value(name) for name in self.NAMES)


def _merge(raw: kdb.Region, shapes: kdb.RecursiveShapeIterator | None) -> kdb.Region:
    """The merge of ``raw``, or ``raw`` itself when merging leaves the shapes as drawn."""
    drawn = Measures(raw)
    tall = _tall(raw)
    share = tall.perimeter() / max(1, drawn.value("perimeter"))
    if share < SPLIT_SHARE or _has_all_angle_edges(raw):
        return _unless_same(merged_as_drawn(raw), drawn)  # as KLayout merges it
    if share > 1 - SPLIT_SHARE:
        return _merged_turned(raw, shapes, drawn)
    wide = as_drawn(raw.with_relative_height(None, 1.0, False, True, True))
    if _mostly_meeting(tall, wide):  # joining would merge most of the layer once more
        if share > 0.5:
            return _merged_turned(raw, shapes, drawn)
        return _unless_same(merged_as_drawn(raw), drawn)
    return _merged_apart(raw, tall, wide, drawn)


class _Changed(kdb.TileOutputReceiver):
    """Whether the merge changed the shapes of any tile; with the centre tile's sample,
    the perimeter of its shapes and of those that run up (taller than wide, or square)."""

    def __init__(self) -> None:
        self.changed = False
        self.perimeter = self.tall = 0

    def put(self, *args: object) -> None:
        value = args[3]  # ix, iy, tile, the value, dbu, clip
        if isinstance(value, list):
            self.perimeter, self.tall = self.perimeter + value[0], self.tall + value[1]
        else:
            self.changed = self.changed or bool(value)


# each tile's shapes, whole, merged, and their measures compared; in raw mode, as a
# region handed to a tile says it is merged and its measures would merge it first
_TILE_TEST = (
    "r.merged_semantics = false; var m = r.merged(false, 0); m.merged_semantics = false; "
    "_output(o, m.count() != r.count() || m.area() != r.area() || m.perimeter() != r.perimeter())"
)
# and how much of the tile's perimeter is that of shapes that run up
_TILE_SAMPLE = (
    "; var t = r.with_relative_height(1.0, nil, false); t.merged_semantics = false; "
    "_output(o, [r.perimeter(), t.perimeter()])"
)


def _unchanged_tile_by_tile(raw: kdb.Region, threads: int) -> bool:
    """Whether merging leaves ``raw`` as drawn, asked in tiles, ``threads`` at a time. Each
    tile holds the shapes that come within two database units of it, whole: two shapes
    that touch or overlap share a point, and the tile holding that point holds both, so
    its merge changes its shapes; a shape that overlaps itself changes in any tile. Where
    no tile's merge changes count, area or perimeter, no merge of the whole layer does.
    The tile at the centre is asked first: where most shapes meet others (pads and
    wires), it says so for a sixty-fourth of the cost. Where most of that tile's shapes
    run up, the tiles are asked turned by a quarter turn, the way KLayout's merge runs
    fastest (a layer of vertical lines: 0.72 s against 1.06 s); a quarter turn is exact
    on the grid and keeps count, area and perimeter."""
    extent = raw.bbox()
    side = max(1, math.ceil(max(extent.width(), extent.height()) / TILES_ACROSS))
    centre = kdb.Box(extent.center(), extent.center()).enlarged(side // 2, side // 2)
    first = _tiles_merged(raw, kdb.Trans(), threads, side, centre, _TILE_TEST + _TILE_SAMPLE)
    if first.changed:
        return False
    return not _tiles_merged(raw, _turn_for(first), threads, side, None, _TILE_TEST).changed


def _turn_for(sample: _Changed) -> kdb.Trans:
    """A quarter turn where most of the sample's perimeter is that of shapes that run up."""
    return QUARTER_TURN if 2 * sample.tall > sample.perimeter else kdb.Trans()


def _tiles_merged(
    raw: kdb.Region,
    turn: kdb.Trans,
    threads: int,
    side: int,
    frame: kdb.Box | None,
    script: str,
) -> _Changed:
    """Whether a tile of ``side`` (within ``frame``; None: the whole layer) of ``raw``
    turned by ``turn`` changes when merged, tile by tile in ``threads`` (``script``)."""
    processor = kdb.TilingProcessor()
    # the region holds database units; the processor takes sizes in µm of its own unit,
    # any unit will do (with 1.0, KLayout 0.30 ran the tiles in one thread)
    unit = 0.001
    processor.dbu = unit
    processor.input("r", raw, kdb.ICplxTrans(turn))
    changed = _Changed()
    processor.output("o", changed)
    processor.queue(script)
    processor.tile_size(side * unit, side * unit)
    processor.tile_border(2 * unit, 2 * unit)
    if frame is not None:
        processor.frame = frame.to_dtype(unit)  # type: ignore[misc,assignment]  # a setter too
    processor.threads = threads
    processor.execute("merge test")
    return changed


def _merged_turned(
    raw: kdb.Region, shapes: kdb.RecursiveShapeIterator | None, drawn: Measures
) -> kdb.Region:
    """The merge of ``raw`` made turned by a quarter turn, and told from the shapes as
    drawn before turning back (a turn keeps the measures); ``raw`` when it is the same."""
    source = _turned_source(raw, shapes)
    result = merged_as_drawn(source)
    if drawn.same(result):
        return raw
    if _depends_on_order(as_drawn(source.not_in(result))):
        return merged_as_drawn(raw)
    return as_drawn(result.transformed(TURN_BACK))


def _merged_apart(
    raw: kdb.Region, tall: kdb.Region, wide: kdb.Region, drawn: Measures
) -> kdb.Region:
    """The merge of ``raw``: its ``tall`` and its ``wide`` shapes merged apart and joined;
    ``raw`` when it is the same."""
    result = _joined(merged_as_drawn(wide), merged_after_turn(tall))
    if drawn.same(result):
        return raw
    if _depends_on_order(as_drawn(raw.not_in(result))):
        return merged_as_drawn(raw)
    return result


def _mostly_meeting(tall: kdb.Region, wide: kdb.Region) -> bool:
    """Whether most of an evenly spread sample of the ``tall`` shapes come within a
    database unit of a ``wide`` one (wires between pads): then joining the two kinds
    merges most of the layer once more, after a search for where they meet that costs
    several merges (measured on lambdapdk's interposers: 2.9 s against 0.4 s for a merge
    in one piece). Only the way of merging depends on it, never the result."""
    count = tall.count()
    step = max(1, count // MEETING_SAMPLE)
    sample = kdb.Region()
    for index in range(0, count, step):
        sample.insert(tall[index])
    meeting = as_drawn(_grown(as_drawn(sample)).interacting(wide))
    return 2 * meeting.count() > sample.count()


def _depends_on_order(consumed: kdb.Region) -> bool:
    """Whether merging in parts may give other polygons than merging the layer in one
    piece as drawn, because of a shape the merge ``consumed`` (changed, or joined with
    others): one that crosses itself the wrong way round (KLayout's merge counts how
    often a point is wound around, and a figure eight winds once backwards: merged alone
    it loses that lobe, merged with a shape over it the lobe cancels that shape), or one
    with a 45° edge that touches, crosses or nearly meets another consumed shape (where
    KLayout's merge cuts a 45° edge it may round the cut, or leave out a sliver under a
    database unit wide, depending on the direction of the scanline; where shapes meet on
    Manhattan edges only, the merge is exact)."""
    if not consumed.strange_polygon_check().is_empty():
        return True
    diagonals = _edges(consumed).with_angle(kdb.Edges.DiagonalEdges, False)
    if diagonals.is_empty():
        return False
    # each edge meets its own shape grown: a second shape makes it count twice
    return not diagonals.interacting(_grown(consumed), 2).is_empty()


def _unless_same(result: kdb.Region, drawn: Measures) -> kdb.Region:
    """``result``, or the region ``drawn`` measures when ``result`` measures the same."""
    return drawn.region if drawn.same(result) else result


def _turned_source(raw: kdb.Region, shapes: kdb.RecursiveShapeIterator | None) -> kdb.Region:
    """``raw`` turned by a quarter turn, read straight from the layout when it can be."""
    if shapes is None:
        return turned(raw, QUARTER_TURN)
    return as_drawn(kdb.Region(shapes, kdb.ICplxTrans(QUARTER_TURN)))


def merged_as_drawn(region: kdb.Region) -> kdb.Region:
    """KLayout's merge of ``region`` as it lies."""
    # the arguments spelled out: the region of a filter (``with_relative_height``) says
    # it is merged when its polygons overlap, and a merge without arguments trusts that
    return as_drawn(as_drawn(region).merged(False, 0))


def merged_after_turn(region: kdb.Region) -> kdb.Region:
    """The merge of ``region``, made with the region turned by a quarter turn."""
    return as_drawn(merged_as_drawn(turned(region, QUARTER_TURN)).transformed(TURN_BACK))


def turned(region: kdb.Region, turn: kdb.Trans) -> kdb.Region:
    """``region`` turned by ``turn``, in raw mode, its polygons in the order in which a
    layout hands them out: KLayout's merge takes up to twice as long on the polygons as
    ``Region.transformed`` orders them (measured on the benchmark's buses)."""
    layout = kdb.Layout()
    cell = layout.create_cell("TURNED")
    index = layout.layer()
    cell.shapes(index).insert(region)
    shapes = kdb.RecursiveShapeIterator(layout, cell, index)
    # flattened: the region keeps no reference to the scratch layout
    return as_drawn(kdb.Region(shapes, kdb.ICplxTrans(turn)).flatten())


def _tall(region: kdb.Region) -> kdb.Region:
    """The polygons of ``region`` whose bounding box is taller than wide."""
    return as_drawn(region.with_relative_height(1.0, None, False, False))


def _joined(wide: kdb.Region, tall: kdb.Region) -> kdb.Region:
    """Two merged regions as one merged region: the polygons of each that touch or
    overlap polygons of the other merged together (a merged polygon of one kind touches
    no other polygon of its kind), the others as they are."""
    meeting = _meeting(wide, tall)
    both = as_drawn(wide + tall)
    if meeting.is_empty():
        return both
    # merged as drawn: where a 45° edge passes within a database unit of another shape,
    # KLayout's merge may join them, and whether depends on the direction it merges in
    return as_drawn(as_drawn(both.not_in(meeting)) + merged_as_drawn(meeting))


def _meeting(first: kdb.Region, second: kdb.Region) -> kdb.Region:
    """The polygons of ``first`` and of ``second`` that come within a database unit of
    a polygon of the other: a superset of those that touch. KLayout's ``interacting``
    misses a corner that touches a 45° edge, which its merge joins."""
    small, large = sorted((first, second), key=kdb.Region.count)
    near_small = as_drawn(large.interacting(_grown(small)))
    near_those = as_drawn(small.interacting(_grown(near_small)))
    return as_drawn(near_small + near_those)


def _grown(region: kdb.Region) -> kdb.Region:
    """Each polygon of ``region`` grown by a database unit, one by one."""
    return as_drawn(as_drawn(region).sized(1))


def is_manhattan(region: kdb.Region) -> bool:
    """Whether every edge of ``region`` runs along x or y: KLayout's booleans and merges
    of such shapes are exact, with no point snapped to the grid."""
    return region.non_rectilinear().is_empty()


def _has_all_angle_edges(region: kdb.Region) -> bool:
    """Whether an edge of ``region`` is neither Manhattan nor 45°."""
    # a loop over the few polygons that are not Manhattan is faster than KLayout's
    # filter over all their edges
    slanted = as_drawn(region.non_rectilinear())
    return not all(_half_manhattan(polygon) for polygon in slanted.each())


def _half_manhattan(polygon: kdb.Polygon) -> bool:
    """Whether every edge of ``polygon`` is Manhattan or 45°."""
    # KLayout's own test answers no for some polygons with holes read from a layout
    return polygon.is_halfmanhattan() or all(
        edge.dx() == 0 or edge.dy() == 0 or abs(edge.dx()) == abs(edge.dy())
        for edge in polygon.each_edge()
    )


def _edges(region: kdb.Region) -> kdb.Edges:
    """The edges of the polygons of ``region``, one by one (not merged first)."""
    edges = region.edges()
    edges.merged_semantics = False
    return edges
