"""A drawn layer is merged the way its shapes run (adk.layout.merging), and the result is
KLayout's merge of the whole layer as drawn: the same polygons (holes in any order), and
the shapes as drawn exactly when that merge keeps their count, perimeter and area. Each
layout is checked in all eight orientations, which takes each case through the ways of
merging: as drawn, turned, the tall and the wide shapes apart and joined, and the merge
in one piece as drawn where merging in parts could differ or where the two kinds mostly
meet."""

from __future__ import annotations

import random

import klayout.db as kdb
import pytest

from adk.lang.model import LayerRef
from adk.layout import merging
from adk.layout.context import WindowContext, settled
from tests.util import context, new_layout

LAYER = (1, 0)
ORIENTATIONS = {
    "r0": kdb.Trans.R0,
    "r90": kdb.Trans.R90,
    "r180": kdb.Trans.R180,
    "r270": kdb.Trans.R270,
    "m0": kdb.Trans.M0,
    "m45": kdb.Trans.M45,
    "m90": kdb.Trans.M90,
    "m135": kdb.Trans.M135,
}


def points(*xy: tuple[int, int]) -> kdb.Polygon:
    return kdb.Polygon([kdb.Point(x, y) for x, y in xy])


def raw_polygon(*xy: tuple[int, int]) -> kdb.Polygon:
    """A polygon kept as given, even where it crosses or touches itself."""
    return kdb.Polygon([kdb.Point(x, y) for x, y in xy], True)


def jog45(x: int, y: int, length: int = 400, rise: int = 40, half: int = 5) -> kdb.Polygon:
    """A 10 dbu wide line along x bending up by 45° half way."""
    bend, bevel = x + length // 2, 2
    return points(
        (x, y - half),
        (bend + bevel, y - half),
        (bend + bevel + rise, y - half + rise),
        (x + length, y - half + rise),
        (x + length, y + half + rise),
        (bend - bevel + rise, y + half + rise),
        (bend - bevel, y + half),
        (x, y + half),
    )


def box(left: int, bottom: int, right: int, top: int) -> kdb.Polygon:
    return kdb.Polygon(kdb.Box(left, bottom, right, top))


def donut(x: int, y: int) -> kdb.Polygon:
    """A 300 dbu square with a 100 dbu square hole."""
    ring = kdb.Polygon(kdb.Box(x, y, x + 300, y + 300))
    ring.insert_hole(kdb.Box(x + 100, y + 100, x + 200, y + 200))
    return ring


# Each case: the polygons drawn in the top cell.
CASES: dict[str, list[kdb.Polygon]] = {
    "isolated boxes": [box(0, 0, 300, 10), box(0, 30, 300, 40), box(400, 0, 410, 300)]
    + [box(500 + 20 * i, 0, 510 + 20 * i, 200) for i in range(5)],
    "abutting boxes": [box(0, 0, 300, 10), box(300, 0, 310, 300), box(0, 10, 100, 20)]
    + [box(500, 0, 510, 200), box(510, 0, 520, 200)],
    "overlapping lines": [box(0, 0, 300, 10), box(250, 0, 600, 10), box(100, -50, 110, 400)]
    + [box(700, 0, 710, 300), box(700, 250, 710, 700)],
    "45° jog path": [
        kdb.Path([kdb.Point(0, 0), kdb.Point(200, 0), kdb.Point(300, 100), kdb.Point(300, 500)], 10)
        .polygon()
        .moved(0, 1000),
        jog45(0, 0),
        jog45(0, 30),
        jog45(100, 0),  # over the first one, its 45° part along the same slope
        box(0, 300, 10, 700),
    ],
    "self-touching polygon": [
        # two squares drawn as one contour that meet at a vertex
        raw_polygon(
            (0, 0), (0, 100), (100, 100), (100, 200), (200, 200), (200, 100), (100, 100), (100, 0)
        ),
        # one contour around a square and a diamond inside it whose tip touches the hull
        raw_polygon(
            (300, 0),
            (300, 300),
            (600, 300),
            (600, 0),
            (450, 0),
            (500, 50),
            (450, 100),
            (400, 50),
            (450, 0),
        ),
        box(0, 400, 10, 900),
    ],
    "path folding back": [
        kdb.Path([kdb.Point(0, 0), kdb.Point(300, 0), kdb.Point(100, 0)], 10).polygon(),
        kdb.Path([kdb.Point(0, 100), kdb.Point(0, 400), kdb.Point(0, 200)], 10).polygon(),
        box(100, 500, 110, 900),
    ],
    "donut": [
        donut(0, 0),
        donut(1000, 0),
        box(400, 0, 410, 300),
        box(1150, 150, 1160, 400),  # from inside the second hole across the ring
    ],
    "opposite diagonals crossing off the grid": [
        points((0, 0), (50, 50), (100, 0), (50, -50)),
        points((51, 0), (101, 50), (151, 0), (101, -50)),
        box(0, 100, 10, 400),
        box(20, 100, 30, 400),
    ],
    "corner on a 45° edge": [
        # the box's corner lies on the diamond's edge: merged, they are one polygon
        points((-60, -120), (-93, -87), (-60, -54), (-27, -87)),
        box(-45, -69, -23, -35),
    ],
    "all-angle edges": [
        points((0, 0), (100, 37), (30, 200)),
        points((50, 50), (170, 60), (40, 250)),
        box(300, 0, 310, 400),
    ],
    "figure eight": [
        raw_polygon((0, 0), (100, 100), (100, 0), (0, 100)),
        box(50, -20, 60, 300),
        box(200, 0, 210, 300),
    ],
    "vertical buses with jogs": [box(20 * i, 0, 20 * i + 10, 500) for i in range(6)]
    + [box(0, 450, 10, 900), box(20, 500, 30, 900)]  # a line drawn in overlapping, abutting pieces
    + [jog45(0, 200 + 30 * i).transformed(kdb.Trans(kdb.Trans.R90)) for i in range(4)],
    "wires between pads": [box(100 * i, 0, 100 * i + 40, 40) for i in range(4)]
    + [box(100 * i, 200, 100 * i + 40, 240) for i in range(4)]
    + [box(100 * i + 15, 40, 100 * i + 25, 200) for i in range(4)]  # abutting both pads
    + [box(0, 300, 400, 310)],
    "tall boxes overlapping among wide ones": [box(0, 20 * i, 500, 20 * i + 10) for i in range(5)]
    + [box(600, 0, 610, 300), box(600, 200, 610, 500)],
}


def build(name: str, orient: str, array: bool = False) -> tuple[kdb.Layout, kdb.Cell]:
    """The layout of case ``name`` turned or mirrored by ``orient``; with ``array``, also
    a cell of two lines placed in arrays whose instances abut, one of them turned."""
    layout, top = new_layout()
    index = layout.layer(*LAYER)
    for polygon in CASES[name]:
        top.shapes(index).insert(polygon)
    if array:
        unit = layout.create_cell("UNIT")
        unit.shapes(index).insert(kdb.Box(0, 0, 100, 10))
        unit.shapes(index).insert(kdb.Box(0, 0, 10, 100))
        step = kdb.Vector(100, 0), kdb.Vector(0, 100)
        at = kdb.Trans(kdb.Vector(-2000, -2000))
        top.insert(kdb.CellInstArray(unit.cell_index(), at, *step, 4, 3))
        turned = kdb.Trans(1, False, -3000, -2000)
        top.insert(kdb.CellInstArray(unit.cell_index(), turned, *step, 3, 2))
    top.transform(kdb.Trans(ORIENTATIONS[orient]))  # shapes and instances: the layout as a whole
    return layout, top


def full_merge(layout: kdb.Layout, top: kdb.Cell) -> kdb.Region:
    """KLayout's merge of the whole layer in one piece, as drawn."""
    return kdb.Region(top.begin_shapes_rec(layout.layer(*LAYER))).merged()


def polygon_set(region: kdb.Region) -> list[tuple]:
    """The polygons of ``region``, each as its hull and its holes in a fixed order."""

    def key(polygon: kdb.Polygon) -> tuple:
        hull = str(kdb.Polygon(list(polygon.each_point_hull())))
        holes = sorted(
            str(kdb.Polygon(list(polygon.each_point_hole(n)))) for n in range(polygon.holes())
        )
        return (hull, tuple(holes))

    return sorted(key(polygon) for polygon in region.each())


def unchanged_by(merge: kdb.Region, raw: kdb.Region) -> bool:
    return merging.Measures(raw).same(merge)


def assert_same_merge(found: kdb.Region, layout: kdb.Layout, top: kdb.Cell) -> None:
    """``found`` holds the polygons of the full merge, or the shapes as drawn when that
    merge keeps their count, perimeter and area (a contour that touches itself may
    come out of it drawn another way round), and needs no further merge."""
    merge = full_merge(layout, top)
    raw = kdb.Region(top.begin_shapes_rec(layout.layer(*LAYER)))
    raw.merged_semantics = False
    expected = raw if unchanged_by(merge, raw) else merge
    assert polygon_set(found) == polygon_set(expected)
    assert (found ^ merge).is_empty()
    assert not found.merged_semantics


@pytest.mark.parametrize("orient", ORIENTATIONS)
@pytest.mark.parametrize("name", CASES)
def test_layer_read_whole_is_the_full_merge(name: str, orient: str) -> None:
    layout, top = build(name, orient, array=True)
    found = context(layout, top, {"A": LAYER}).region(LayerRef("A"))
    assert_same_merge(found, layout, top)


@pytest.mark.parametrize("orient", ORIENTATIONS)
@pytest.mark.parametrize("name", CASES)
def test_region_without_a_layout_is_the_full_merge(name: str, orient: str) -> None:
    layout, top = build(name, orient)
    raw = kdb.Region(top.begin_shapes_rec(layout.layer(*LAYER))).flatten()
    assert_same_merge(settled(raw), layout, top)


@pytest.mark.parametrize("orient", ORIENTATIONS)
def test_cell_array_whose_instances_abut(orient: str) -> None:
    layout, top = build("isolated boxes", orient, array=True)
    found = context(layout, top, {"A": LAYER}).region(LayerRef("A"))
    assert_same_merge(found, layout, top)
    assert found.count() < kdb.Region(top.begin_shapes_rec(layout.layer(*LAYER))).count()


@pytest.mark.parametrize("orient", ["r0", "r90", "m45"])
def test_window_reads_the_full_merge_near_it(orient: str) -> None:
    layout, top = build("overlapping lines", orient, array=True)
    base = context(layout, top, {"A": LAYER})
    window = kdb.Box(-10_000, -10_000, 10_000, 10_000)
    found = WindowContext(base, window, window).region(LayerRef("A"))
    assert_same_merge(found, layout, top)


def test_the_cases_reach_every_way_of_merging(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cases above reach every way of merging, not only the merge as drawn."""
    seen: set[str] = set()

    def spy(owner: object, name: str, label: str, counts=lambda result: True) -> None:
        function = getattr(owner, name)

        def wrapped(*args, **kwargs):
            result = function(*args, **kwargs)
            if counts(result):
                seen.add(label)
            return result

        monkeypatch.setattr(owner, name, wrapped)

    spy(merging, "merged_as_drawn", "as drawn")
    spy(merging, "_merged_turned", "turned")
    spy(merging, "_merged_apart", "apart and joined")
    spy(merging, "_depends_on_order", "in one piece", counts=bool)
    spy(merging, "_mostly_meeting", "the two kinds meeting", counts=bool)
    for name in CASES:
        for orient in ("r0", "r90"):
            layout, top = build(name, orient)
            context(layout, top, {"A": LAYER}).region(LayerRef("A"))
    assert seen == {
        "as drawn",
        "turned",
        "apart and joined",
        "in one piece",
        "the two kinds meeting",
    }


def test_filtered_region_is_merged_though_it_says_it_is() -> None:
    """KLayout's filters hand out regions that say they are merged; a merge of such a
    region without arguments keeps overlapping polygons apart."""
    region = kdb.Region()
    for polygon in (box(0, 0, 10, 100), box(0, 50, 10, 200)):
        region.insert(polygon)
    tall = merging.as_drawn(region).with_relative_height(1.0, None, False, True)
    assert merging.merged_as_drawn(tall).count() == 1


# ---------------------------------------------------------------- asked tile by tile
TURNS = {False: kdb.Trans(), True: merging.QUARTER_TURN}  # the tiles asked as drawn, turned


def drawn_region(layout: kdb.Layout, top: kdb.Cell) -> kdb.Region:
    return merging.as_drawn(kdb.Region(top.begin_shapes_rec(layout.layer(*LAYER))))


@pytest.mark.parametrize("turned", [None, False, True])
@pytest.mark.parametrize("across", [1, 2, 3, 16])
@pytest.mark.parametrize("orient", ["r0", "r90", "m45"])
@pytest.mark.parametrize("name", CASES)
def test_asked_tile_by_tile_in_threads_the_answer_is_the_whole_merge(
    name: str, orient: str, across: int, turned: bool | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In threads, whether merging changes a layer is asked tile by tile (for large layers:
    here every layer), with the tiles turned by a quarter turn or not, with the same
    answer as the merge of the whole layer, and the layer read is the same."""
    monkeypatch.setattr(merging, "TILED_TEST_SHAPES", 0)
    monkeypatch.setattr(merging, "TILES_ACROSS", across)
    if turned is not None:  # else as the centre tile's shapes run
        monkeypatch.setattr(merging, "_turn_for", lambda sample: TURNS[turned])
    layout, top = build(name, orient, array=True)
    raw = drawn_region(layout, top)
    unchanged = unchanged_by(full_merge(layout, top), raw)
    assert merging._unchanged_tile_by_tile(raw, 2) == unchanged
    threaded = context(layout, top, {"A": LAYER})
    threaded.threads = 2
    assert_same_merge(threaded.region(LayerRef("A")), layout, top)


@pytest.mark.parametrize("seed", range(60))
def test_shapes_meeting_on_tile_borders_are_seen(seed: int) -> None:
    """Random boxes and diamonds on a coarse grid, so that many meet on edges and corners
    where tiles meet: the tile by tile answer is the whole merge's, whatever the tiles."""
    rng = random.Random(seed)
    layout, top = new_layout()
    index = layout.layer(*LAYER)
    for _ in range(rng.randrange(2, 30)):
        x, y = rng.randrange(0, 20) * 50, rng.randrange(0, 20) * 50
        if rng.random() < 0.7:
            top.shapes(index).insert(box(x, y, x + rng.choice((10, 50, 100)), y + 50))
        else:
            side = rng.choice((25, 50))
            top.shapes(index).insert(
                points((x, y), (x + side, y + side), (x, y + 2 * side), (x - side, y + side))
            )
    raw = drawn_region(layout, top)
    unchanged = unchanged_by(full_merge(layout, top), raw)
    for across in (2, 3, 4, 7, 20):
        for turned in (False, True):
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(merging, "TILES_ACROSS", across)
                patch.setattr(merging, "_turn_for", lambda sample, turned=turned: TURNS[turned])
                assert merging._unchanged_tile_by_tile(raw, 2) == unchanged, (across, turned)


def test_only_large_layers_and_spare_threads_ask_tile_by_tile(monkeypatch: pytest.MonkeyPatch):
    asked: list[int] = []
    monkeypatch.setattr(merging, "_unchanged_tile_by_tile", lambda raw, t: asked.append(t))
    layout, top = build("isolated boxes", "r0")
    raw = drawn_region(layout, top)
    merging.settled(raw.dup(), threads=2)  # few shapes
    monkeypatch.setattr(merging, "TILED_TEST_SHAPES", 1)
    merging.settled(raw.dup(), threads=1)  # one thread
    assert asked == []
    merging.settled(raw.dup(), threads=2)
    assert asked == [2]


def test_a_layer_of_vertical_lines_is_asked_turned(monkeypatch: pytest.MonkeyPatch):
    asked: list[kdb.Trans] = []
    tiles_merged = merging._tiles_merged
    monkeypatch.setattr(
        merging,
        "_tiles_merged",
        lambda raw, turn, *rest: asked.append(turn) or tiles_merged(raw, turn, *rest),
    )
    lines = kdb.Region()
    for i in range(20):
        lines.insert(box(20 * i, 0, 20 * i + 10, 500))
    lines.insert(box(0, 600, 300, 610))
    lines.merged_semantics = False
    for region, turn in (
        (lines, merging.QUARTER_TURN),
        (lines.transformed(merging.QUARTER_TURN), kdb.Trans()),
    ):
        asked.clear()
        assert merging._unchanged_tile_by_tile(region, 2)
        assert asked == [kdb.Trans(), turn]  # the centre tile as drawn, then every tile
