"""bridge: dies spanned, overlap on each die, die gap and spacing of silicon bridges."""

from __future__ import annotations

import klayout.db as kdb

from adk.checks import runner
from adk.lang.units import Dim, Quantity
from tests.util import check, context, new_layout

run = runner("bridge")
BRIDGE, DIE = (1, 0), (2, 0)
ALL = (
    ("dies", "==", 2.0, Dim.NUMBER),
    ("overlap", ">=", 150.0, Dim.LENGTH),
    ("gap", "<=", 100.0, Dim.LENGTH),
    ("space", ">=", 500.0, Dim.LENGTH),
)


def bridge_rule(*constraints):
    return check("bridge", "BRIDGE", params={"dies": "DIE"}, constraints=constraints or ALL)


def markers_of(layout, top, rule=None):
    return run(rule or bridge_rule(), context(layout, top, {"BRIDGE": BRIDGE, "DIE": DIE}))


def two_dies(gap: float = 100.0):
    """Two 5 mm dies side by side, ``gap`` apart."""
    layout, top = new_layout()
    top.shapes(layout.layer(*DIE)).insert(kdb.DBox(0, 0, 5000, 5000))
    top.shapes(layout.layer(*DIE)).insert(kdb.DBox(5000 + gap, 0, 10000 + gap, 5000))
    return layout, top


def bridge(layout, top, box):
    top.shapes(layout.layer(*BRIDGE)).insert(box)


def um(value: float) -> str:
    return Quantity(value, Dim.LENGTH).format("um")


def test_good_bridges_pass():
    layout, top = two_dies()
    bridge(layout, top, kdb.DBox(4800, 1000, 5300, 1200))
    bridge(layout, top, kdb.DBox(4850, 2000, 5250, 2200))  # 150 on each die: at the limit
    assert markers_of(layout, top) == []


def test_bridge_on_one_die():
    layout, top = two_dies()
    bridge(layout, top, kdb.DBox(4700, 3000, 5050, 3200))
    markers = markers_of(layout, top)
    assert [(m.shape, m.measured, m.text) for m in markers] == [
        (kdb.DPolygon(kdb.DBox(4700, 3000, 5050, 3200)), 1, "dies 1 != 2")
    ]


def test_short_overlap_marks_the_part_over_each_die():
    layout, top = two_dies()
    bridge(layout, top, kdb.DBox(4900, 4000, 5200, 4200))
    markers = markers_of(layout, top)
    assert [(m.shape, m.measured, m.text) for m in markers] == [
        (kdb.DBox(4900, 4000, 5000, 4200), 100, "overlap 100 um < 150 um"),
        (kdb.DBox(5100, 4000, 5200, 4200), 100, "overlap 100 um < 150 um"),
    ]


def test_gap_too_wide_and_too_narrow():
    layout, top = two_dies(gap=180)
    bridge(layout, top, kdb.DBox(4700, 1000, 5480, 1200))
    markers = markers_of(layout, top)
    assert [(m.shape, m.measured, m.text) for m in markers] == [
        (kdb.DBox(5000, 1000, 5180, 1200), 180, "gap 180 um > 100 um")
    ]
    narrow = markers_of(layout, top, bridge_rule(("gap", ">=", 200.0, Dim.LENGTH)))
    assert [m.text for m in narrow] == ["gap 180 um < 200 um"]


def test_close_bridges_report_the_space_once():
    layout, top = two_dies()
    bridge(layout, top, kdb.DBox(4800, 1000, 5300, 1200))
    bridge(layout, top, kdb.DBox(4800, 1500, 5300, 1700))
    bridge(layout, top, kdb.DBox(4800, 2200, 5300, 2400))  # 500 from the second: at the limit
    markers = markers_of(layout, top)
    assert len(markers) == 1
    marker = markers[0]
    assert isinstance(marker.shape, kdb.DEdge)
    assert marker.shape.dx() == 0 and abs(marker.shape.dy()) == 300
    assert marker.measured == 300 and marker.text == "space 300 um < 500 um"


def test_vertical_bridge_in_a_rotated_cell():
    layout, top = new_layout()
    top.shapes(layout.layer(*DIE)).insert(kdb.DBox(0, 0, 5000, 5000))
    top.shapes(layout.layer(*DIE)).insert(kdb.DBox(0, 5100, 5000, 10100))
    cell = layout.create_cell("EMIB")
    cell.shapes(layout.layer(*BRIDGE)).insert(kdb.DBox(-300, -100, 300, 100))
    # rotated by 90°: 200 wide, 600 long from y 4700 to 5300, over the gap at 5000..5100
    top.insert(kdb.DCellInstArray(cell.cell_index(), kdb.DCplxTrans(1, 90, False, 2000, 5000)))
    markers = markers_of(layout, top, bridge_rule(("overlap", ">=", 250.0, Dim.LENGTH)))
    # 300 on the lower die passes, 200 on the upper one does not
    assert [(m.shape, m.measured) for m in markers] == [(kdb.DBox(1900, 5100, 2100, 5300), 200)]


def test_only_constrained_properties_are_measured():
    layout, top = two_dies(gap=300)
    bridge(layout, top, kdb.DBox(4950, 1000, 5350, 1200))
    bridge(layout, top, kdb.DBox(4950, 1300, 5350, 1500))
    assert markers_of(layout, top, bridge_rule(("dies", "==", 2.0, Dim.NUMBER))) == []


def test_empty_layers():
    layout, top = two_dies()
    assert markers_of(layout, top) == []
    layout, top = new_layout()
    bridge(layout, top, kdb.DBox(0, 0, 500, 200))
    markers = markers_of(layout, top)
    assert [(m.measured, m.text) for m in markers] == [(0, "dies 0 != 2")]


def test_bridge_over_three_dies_has_two_gaps():
    layout, top = new_layout()
    for x in (0, 5100, 10200):
        top.shapes(layout.layer(*DIE)).insert(kdb.DBox(x, 0, x + 5000, 5000))
    bridge(layout, top, kdb.DBox(4000, 1000, 11500, 1500))
    markers = markers_of(
        layout,
        top,
        bridge_rule(("dies", "==", 2.0, Dim.NUMBER), ("overlap", ">=", 150.0, Dim.LENGTH)),
    )
    assert [(m.measured, m.text) for m in markers] == [(3, "dies 3 != 2")]
    long = markers_of(layout, top, bridge_rule(("gap", "<=", 50.0, Dim.LENGTH)))
    assert [(m.shape, m.measured) for m in long] == [
        (kdb.DBox(5000, 1000, 5100, 1500), 100),
        (kdb.DBox(10100, 1000, 10200, 1500), 100),
    ]
    assert [m.text for m in long] == [f"gap {um(100)} > {um(50)}"] * 2
