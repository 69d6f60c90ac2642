"""bump_density: bumps per area inside each region shape."""

from __future__ import annotations

import klayout.db as kdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adk.api import load_deck_text
from adk.checks import runner
from adk.errors import DeckError
from adk.lang.units import Dim, Quantity
from tests.util import check, context, new_layout

run = runner("bump_density")
UB, FIELD = (1, 0), (2, 0)
PER_MM2 = 1e-6  # /mm2 in /um2


def area(um2: float) -> str:
    return Quantity(um2, Dim.AREA).format("um")


def bump_array(layout, top, origin, na, nb, pitch=40.0, trans=None):
    cell = layout.cell("BUMP") or layout.create_cell("BUMP")
    if cell.shapes(layout.layer(*UB)).is_empty():
        cell.shapes(layout.layer(*UB)).insert(kdb.DBox(-5, -5, 5, 5))
    placement = trans or kdb.DCplxTrans(1, 0, False, *origin)
    top.insert(
        kdb.DCellInstArray(
            cell.cell_index(), placement, kdb.DVector(pitch, 0), kdb.DVector(0, pitch), na, nb
        )
    )


def field(layout, top, box):
    top.shapes(layout.layer(*FIELD)).insert(box)


def density_rule(op=">=", per_mm2=400.0):
    return check(
        "bump_density",
        "UB",
        params={"within": "FIELD"},
        constraints=((None, op, per_mm2 * PER_MM2, Dim.PER_AREA),),
    )


def markers_of(layout, top, rule=None):
    return run(rule or density_rule(), context(layout, top, {"UB": UB, "FIELD": FIELD}))


def test_dense_field_passes_and_sparse_field_fails():
    layout, top = new_layout()
    bump_array(layout, top, (20, 20), 5, 5)
    field(layout, top, kdb.DBox(0, 0, 200, 200))  # 25 in 0.04 mm2: 625 /mm2
    bump_array(layout, top, (1020, 20), 5, 5)
    field(layout, top, kdb.DBox(1000, 0, 1400, 400))  # 25 in 0.16 mm2: 156.25 /mm2
    markers = markers_of(layout, top)
    assert len(markers) == 1
    marker = markers[0]
    assert marker.shape == kdb.DPolygon(kdb.DBox(1000, 0, 1400, 400))
    assert marker.measured == pytest.approx(156.25 * PER_MM2)
    assert marker.text == f"density 156.25 /mm2 < 400 /mm2 (25 bumps in {area(160000)})"


def test_density_exactly_at_the_limit_passes_and_boundary_bumps_count():
    layout, top = new_layout()
    bump_array(layout, top, (0, 0), 5, 5, pitch=62.5)  # bumps on all four sides
    field(layout, top, kdb.DBox(0, 0, 250, 250))  # 25 in 0.0625 mm2: 400 /mm2
    assert markers_of(layout, top) == []
    assert markers_of(layout, top, density_rule("<=", 400)) == []
    assert len(markers_of(layout, top, density_rule(">", 400))) == 1
    assert len(markers_of(layout, top, density_rule(">=", 401))) == 1


def test_maximum_density():
    layout, top = new_layout()
    bump_array(layout, top, (20, 20), 5, 5)
    field(layout, top, kdb.DBox(0, 0, 200, 200))
    markers = markers_of(layout, top, density_rule("<=", 500))
    assert [m.text for m in markers] == [f"density 625 /mm2 > 500 /mm2 (25 bumps in {area(40000)})"]


def test_empty_bump_layer_gives_zero_density():
    layout, top = new_layout()
    field(layout, top, kdb.DBox(0, 0, 100, 100))
    markers = markers_of(layout, top)
    assert [m.text for m in markers] == [f"density 0 /mm2 < 400 /mm2 (0 bumps in {area(10000)})"]
    assert markers[0].measured == 0


def test_no_region_no_markers():
    layout, top = new_layout()
    bump_array(layout, top, (0, 0), 3, 3)
    assert markers_of(layout, top) == []


def test_l_shaped_field_and_rotated_array():
    layout, top = new_layout()
    # rotated bumps along the diagonal (array steps are in the parent): centres (10 + 10 k) * (1, 1)
    cell = layout.create_cell("BUMP")
    cell.shapes(layout.layer(*UB)).insert(kdb.DBox(-2, -2, 2, 2))
    top.insert(
        kdb.DCellInstArray(
            cell.cell_index(),
            kdb.DCplxTrans(1, 45, False, 10, 10),
            kdb.DVector(10, 10),
            kdb.DVector(0, 0),
            12,
            1,
        )
    )
    field(
        layout,
        top,
        kdb.DPolygon(
            [
                kdb.DPoint(0, 0),
                kdb.DPoint(300, 0),
                kdb.DPoint(300, 100),
                kdb.DPoint(100, 100),
                kdb.DPoint(100, 300),
                kdb.DPoint(0, 300),
            ]
        ),
    )
    markers = markers_of(layout, top, density_rule(">=", 1000))
    # k = 0..9 lie in the L, (100, 100) on its inner corner; k = 10, 11 are outside
    assert [m.text for m in markers] == [
        f"density 200 /mm2 < 1000 /mm2 (10 bumps in {area(50000)})"
    ]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=80),
    st.lists(
        st.tuples(st.integers(0, 35), st.integers(0, 35), st.integers(1, 15), st.integers(1, 15)),
        min_size=1,
        max_size=5,
    ),
    st.floats(0.0, 20000.0),
)
def test_density_equals_brute_force(cells, boxes, per_mm2):
    layout, top = new_layout()
    shapes = top.shapes(layout.layer(*UB))
    for x, y in cells:
        shapes.insert(kdb.DBox(x * 2.5 - 1, y * 2.5 - 1, x * 2.5 + 1, y * 2.5 + 1))
    region = kdb.Region()
    for x, y, w, h in boxes:
        region.insert(kdb.DBox(x * 2.5, y * 2.5, (x + w) * 2.5, (y + h) * 2.5).to_itype(0.001))
    # holes and L shapes come from subtracting a box
    region -= kdb.Region(kdb.DBox(30, 30, 40, 40).to_itype(0.001))
    top.shapes(layout.layer(*FIELD)).insert(region)
    markers = markers_of(layout, top, density_rule(">=", per_mm2))
    expected = set()
    for polygon in region.merged().each():
        count = sum(polygon.inside(kdb.Point(round(x * 2500), round(y * 2500))) for x, y in cells)
        density = count / (polygon.area() * 1e-6)
        if density < per_mm2 * PER_MM2:
            expected.add((polygon.to_dtype(0.001).bbox().to_s(), round(density / PER_MM2, 6)))
    got = {(m.shape.bbox().to_s(), round(m.measured / PER_MM2, 6)) for m in markers}
    assert got == expected
    assert len(markers) == len(expected)


# ---------------------------------------------------------------- windows
def windowed_rule(window: float, step: float | None = None, op: str = ">=", per_mm2=400.0):
    params: dict = {"within": "FIELD", "window": window, "markers": "windows"}
    if step is not None:
        params["step"] = step
    return check(
        "bump_density",
        "UB",
        params=params,
        constraints=((None, op, per_mm2 * PER_MM2, Dim.PER_AREA),),
    )


def brute_force_windows(centres, die: kdb.DBox, window: float, step: float):
    """Every window over ``die`` (µm) with its count of centres, by the documented layout
    of the grid: starts every ``step`` from the lower-left corner, the last at the far
    edge, a window cut to a shorter side; boundaries included."""

    def starts(low: float, high: float) -> tuple[float, list[float]]:
        if high - low <= window:
            return high - low, [low]
        found, at = [], low
        while at < high - window - 1e-9:
            found.append(at)
            at += step
        return window, found + [high - window]

    width, xs = starts(die.left, die.right)
    height, ys = starts(die.bottom, die.top)
    return {
        (round(x, 3), round(y, 3)): sum(
            1
            for cx, cy in centres
            if x - 1e-9 <= cx <= x + width + 1e-9 and y - 1e-9 <= cy <= y + height + 1e-9
        )
        for x in xs
        for y in ys
    }


@settings(max_examples=40, deadline=None)
@given(
    st.integers(3, 30).map(lambda n: n * 10.0),  # die width, µm
    st.integers(3, 30).map(lambda n: n * 10.0),  # die height
    st.sampled_from([(40.0, None), (40.0, 20.0), (50.0, 30.0), (1000.0, None)]),
    st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300)), max_size=60),
)
def test_windowed_counts_match_brute_force(width, height, window_step, spots):
    window, step = window_step
    layout, top = new_layout()
    die = kdb.DBox(0, 0, width, height)
    field(layout, top, die)
    bumps = top.shapes(layout.layer(*UB))
    centres = sorted({(x, y) for x, y in spots if x <= width and y <= height})
    for x, y in centres:
        bumps.insert(kdb.DBox(x - 1, y - 1, x + 1, y + 1))
    found = markers_of(layout, top, windowed_rule(window, step, ">=", 1e9))  # every window fails
    expected = brute_force_windows(centres, die, window, step or window)
    got = {
        (round(m.shape.left, 3), round(m.shape.bottom, 3)): round(m.measured * m.shape.area())
        for m in found
    }
    assert got == expected


def test_windowed_markers_are_the_failing_windows_with_their_counts():
    layout, top = new_layout()
    field(layout, top, kdb.DBox(0, 0, 200, 100))
    bump_array(layout, top, (10, 10), 3, 3, pitch=20)  # nine bumps in the left window
    (marker,) = markers_of(layout, top, windowed_rule(100))
    assert marker.shape == kdb.DBox(100, 0, 200, 100)
    assert marker.text == f"density 0 /mm2 < 400 /mm2 (0 bumps in {area(10000)})"
    (at_the_limit,) = markers_of(layout, top, windowed_rule(100, per_mm2=900))
    assert at_the_limit.shape == marker.shape  # the left window's 900 /mm2 passes


@pytest.mark.parametrize(
    "call, message",
    [
        ("bump_density(UB, within F, step 10 um)", "bump_density takes 'step' and 'markers' "
         "only with 'window LENGTH'"),
        ("bump_density(UB, within F, markers windows)", "bump_density takes 'step' and "
         "'markers' only with 'window LENGTH'"),
        ("bump_density(UB, within F, window 10 um, step 20 um)", "density step must not "
         "exceed the window: the layout between windows would go unchecked"),
    ],
)  # fmt: skip
def test_window_parameters_that_make_no_sense_are_deck_errors(call, message):
    with pytest.raises(DeckError) as raised:
        load_deck_text(f"layer UB = 1/0\nlayer F = 2/0\nrule D : {call} >= 1 /mm2\n", "d.adk")
    assert [d.message for d in raised.value.diagnostics] == [message]
