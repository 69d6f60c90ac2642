"""density: covered fraction of windows stepped over the layout or a within region."""

from __future__ import annotations

import random
import time

import klayout.db as kdb
import pytest

from adk.checks import runner
from adk.lang.units import Dim
from tests.util import box_of, check, context, new_layout

run = runner("density")
LAYERS = {"M": (1, 0), "OUTLINE": (10, 0), "AREA": (11, 0)}


def layout_of(metal=(), outline=None, area=()) -> tuple[kdb.Layout, kdb.Cell]:
    layout, top = new_layout()
    for name, shapes in (("M", metal), ("OUTLINE", [outline] if outline else []), ("AREA", area)):
        for shape in shapes:
            top.shapes(layout.layer(*LAYERS[name])).insert(shape)
    return layout, top


def markers(layout, top, *limits: tuple[str, float], **params):
    rule = check(
        "density",
        "M",
        params=params,
        constraints=tuple((None, op, v, Dim.RATIO) for op, v in limits),
    )
    return run(rule, context(layout, top, LAYERS))


def found(*args, **kwargs) -> list[tuple]:
    return [(box_of(m), round(m.measured, 6)) for m in markers(*args, **kwargs)]


HALF = {"metal": [kdb.DBox(0, 0, 10, 20)], "outline": kdb.DBox(0, 0, 20, 20)}


def test_windows_over_the_layout_extent_with_low_density():
    found_markers = markers(*layout_of(**HALF), (">=", 0.2), window=10)
    assert [(box_of(m), m.measured) for m in found_markers] == [
        ((10, 0, 20, 10), 0.0),
        ((10, 10, 20, 20), 0.0),
    ]
    assert isinstance(found_markers[0].shape, kdb.DBox)
    assert found_markers[0].text == "density 0 % < 20 %"


def test_maximum_density_and_both_limits():
    assert found(*layout_of(**HALF), ("<=", 0.8), window=10) == [
        ((0, 0, 10, 10), 1.0),
        ((0, 10, 10, 20), 1.0),
    ]
    assert len(markers(*layout_of(**HALF), (">=", 0.2), ("<=", 0.8), window=10)) == 4


def test_density_exactly_at_a_limit_passes():
    layout, top = layout_of([kdb.DBox(0, 0, 2, 10)], kdb.DBox(0, 0, 10, 10))
    assert markers(layout, top, (">=", 0.2), ("<=", 0.2), window=10) == []
    assert [m.text for m in markers(layout, top, (">", 0.2), window=10)] == ["density 20 % <= 20 %"]
    # 35 % is not exactly 35 * 0.01 in floating point; the limit still holds at 35 %
    layout, top = layout_of([kdb.DBox(0, 0, 3.5, 10)], kdb.DBox(0, 0, 10, 10))
    assert markers(layout, top, (">=", 35 * 0.01), ("<=", 35 * 0.01), window=10) == []


def test_text_of_a_fractional_density():
    layout, top = layout_of([kdb.DBox(0, 0, 1.25, 10)], kdb.DBox(0, 0, 10, 10))
    [marker] = markers(layout, top, (">=", 0.2), window=10)
    assert marker.text == "density 12.5 % < 20 %"


def test_overlapping_windows_with_a_smaller_step():
    # windows 10 um wide every 5 um over 20 um: starts 0, 5, 10 on each axis
    layout, top = layout_of([kdb.DBox(0, 0, 5, 20)], kdb.DBox(0, 0, 20, 20))
    assert found(layout, top, (">=", 0.2), window=10, step=5) == [
        ((5, 0, 15, 10), 0.0),
        ((5, 5, 15, 15), 0.0),
        ((5, 10, 15, 20), 0.0),
        ((10, 0, 20, 10), 0.0),
        ((10, 5, 20, 15), 0.0),
        ((10, 10, 20, 20), 0.0),
    ]


def test_last_column_is_moved_back_to_end_at_the_extent():
    # 25 um wide: columns at 0, 10 and 15 (not 20, which would stick out)
    layout, top = layout_of([kdb.DBox(0, 0, 20, 10)], kdb.DBox(0, 0, 25, 10))
    assert found(layout, top, (">=", 0.6), window=10) == [((15, 0, 25, 10), 0.5)]
    assert len(markers(layout, top, (">=", 1.01), window=10)) == 3


def test_extent_smaller_than_the_window_is_one_window():
    layout, top = layout_of([kdb.DBox(0, 0, 1, 5)], kdb.DBox(0, 0, 5, 5))
    assert found(layout, top, (">=", 0.5), window=10) == [((0, 0, 5, 5), 0.2)]


def test_within_clips_windows_and_skips_windows_outside_it():
    # AREA: two 10 um squares; metal outside AREA does not count
    area = [kdb.DBox(0, 0, 10, 10), kdb.DBox(20, 20, 30, 30)]
    metal = [kdb.DBox(0, 0, 10, 5), kdb.DBox(20, 0, 30, 10)]
    layout, top = layout_of(metal, kdb.DBox(-100, -100, 100, 100), area)
    assert found(layout, top, (">=", 0.2), window=10, within="AREA") == [((20, 20, 30, 30), 0.0)]
    # a window half over AREA is measured against that half only
    assert found(layout, top, (">=", 0.6), window=10, step=5, within="AREA") == [
        ((0, 0, 10, 10), 0.5),
        ((0, 5, 10, 15), 0.0),
        ((5, 0, 15, 10), 0.5),
        ((5, 5, 15, 15), 0.0),
        ((15, 15, 25, 25), 0.0),
        ((15, 20, 25, 30), 0.0),
        ((20, 15, 30, 25), 0.0),
        ((20, 20, 30, 30), 0.0),
    ]


def test_empty_layer_and_shapes_from_instances():
    layout, top = layout_of(outline=kdb.DBox(0, 0, 20, 20))
    assert len(markers(layout, top, (">=", 0.2), window=10)) == 4
    assert markers(layout, top, ("<=", 0.8), window=10) == []
    tile = layout.create_cell("TILE")
    tile.shapes(layout.layer(*LAYERS["M"])).insert(kdb.DBox(0, 0, 5, 5))
    top.insert(
        kdb.DCellInstArray(
            tile.cell_index(),
            kdb.DTrans(kdb.DTrans.R90, kdb.DVector(5, 0)),
            kdb.DVector(10, 0),
            kdb.DVector(0, 10),
            2,
            2,
        )
    )
    assert found(layout, top, (">=", 0.3), window=10) == [
        ((0, 0, 10, 10), 0.25),
        ((0, 10, 10, 20), 0.25),
        ((10, 0, 20, 10), 0.25),
        ((10, 10, 20, 20), 0.25),
    ]


def test_context_without_a_layout_uses_the_layer_extent():
    layout, top = layout_of([kdb.DBox(0, 0, 10, 20)], kdb.DBox(-50, -50, 50, 50))

    class Bare:  # the CheckContext protocol only
        def __init__(self, ctx):
            self.dbu, self.length_unit, self.region, self.to_dbu = (
                ctx.dbu,
                ctx.length_unit,
                ctx.region,
                ctx.to_dbu,
            )
            self.focus = None

    rule = check(
        "density", "M", params={"window": 10}, constraints=((None, ">=", 1.01, Dim.RATIO),)
    )
    assert [box_of(m) for m in run(rule, Bare(context(layout, top, LAYERS)))] == [
        (0, 0, 10, 10),
        (0, 10, 10, 20),
    ]


def brute_force(metal: kdb.Region, scope: kdb.Region, size: int, step: int) -> list[tuple]:
    """Every window as documented, measured one by one with Region.area(rect)."""
    extent = scope.bbox()

    def starts(low, high):
        return [low] if high - low <= size else [*range(low, high - size, step), high - size]

    windows = []
    for x in starts(extent.left, extent.right):
        for y in starts(extent.bottom, extent.top):
            box = kdb.Box(x, y, min(x + size, extent.right), min(y + size, extent.top))
            whole = scope.area(box)
            if whole:
                windows.append((box, (metal & scope).area(box) / whole))
    return windows


@pytest.mark.parametrize("size, step", [(7, 3), (7, 7), (5, 9), (40, 13)])
def test_every_window_matches_a_window_by_window_measure(size, step):
    rnd = random.Random(size * 100 + step)
    metal = [
        kdb.DBox(x, y, x + rnd.uniform(0.5, 6), y + rnd.uniform(0.5, 6))
        for x, y in ((rnd.uniform(0, 50), rnd.uniform(0, 30)) for _ in range(60))
    ]
    area = [kdb.DBox(2, 3, 30, 25), kdb.DBox(35, 1, 52, 33)]
    layout, top = layout_of(metal, None, area)
    ctx = context(layout, top, LAYERS)
    rule = check(
        "density",
        "M",
        params={"window": size, "step": step, "within": "AREA"},
        constraints=((None, ">=", 1.01, Dim.RATIO),),
    )
    got = sorted((m.shape.to_itype(ctx.dbu), m.measured) for m in run(rule, ctx))
    want = sorted(
        brute_force(
            ctx.region(rule.layers[0]), ctx.region(rule.param("within")), size * 1000, step * 1000
        )
    )
    assert [box for box, _ in got] == [box for box, _ in want]
    assert [ratio for _, ratio in got] == pytest.approx([ratio for _, ratio in want], abs=1e-12)


def test_ten_thousand_windows_are_fast():
    rnd = random.Random(7)
    layout, top = layout_of(outline=kdb.DBox(0, 0, 1000, 1000))
    shapes = top.shapes(layout.layer(*LAYERS["M"]))
    for _ in range(20000):
        x, y = rnd.uniform(0, 980), rnd.uniform(0, 999)
        shapes.insert(kdb.DBox(x, y, x + rnd.uniform(1, 20), y + 1))
    start = time.perf_counter()
    assert len(markers(layout, top, (">=", 1.01), window=10)) == 10000
    assert time.perf_counter() - start < 5
