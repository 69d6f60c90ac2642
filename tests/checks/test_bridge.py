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


# ---------------------------------------------------------------- the axis across the gap
AXIS_UNCLEAR = "bridge: cannot tell the axis: "
NOT_CHECKABLE = "bridge: not checkable: "
OVERLAP = (("overlap", ">=", 150.0, Dim.LENGTH),)


def axis_rule(axis: str, *constraints):
    return check(
        "bridge",
        "BRIDGE",
        params={"dies": "DIE", "axis": axis},
        constraints=constraints or ALL,
    )


def dies(layout, top, *shapes):
    for shape in shapes:
        top.shapes(layout.layer(*DIE)).insert(shape)


def bounds(shape) -> tuple:
    """A shape's bounding box in µm (left, bottom, right, top), rounded far below the grid."""
    box = shape.bbox()
    return tuple(round(v, 6) for v in (box.left, box.bottom, box.right, box.top))


def found(markers):
    """Markers as (bounding box, value, text), the form that survives transformations."""
    return [(bounds(m.shape), m.measured, m.text) for m in markers]


def area(x1: float, y1: float, x2: float, y2: float) -> kdb.Region:
    """A box in µm as a region, for drawing shapes that are not boxes."""
    return kdb.Region(kdb.DBox(x1, y1, x2, y2).to_itype(0.001))


def outline(x1: float, y1: float, x2: float, y2: float) -> tuple:
    return (x1, y1, x2, y2)


def test_wide_along_edge_bridge_is_measured_across_the_gap():
    layout, top = two_dies()
    # 1.2 mm across the 100 um gap (x), 1.3 mm along the die edges (y)
    bridge(layout, top, kdb.DBox(4900, 1000, 6100, 2300))  # 100 on the left die
    bridge(layout, top, kdb.DBox(4450, 3000, 5650, 4300))  # 550 on each die
    assert [(m.shape, m.measured, m.text) for m in markers_of(layout, top)] == [
        (kdb.DBox(4900, 1000, 5000, 2300), 100, "overlap 100 um < 150 um")
    ]
    strict = bridge_rule(("overlap", ">=", 551.0, Dim.LENGTH), ("gap", "<", 100.0, Dim.LENGTH))
    assert [(m.shape, m.measured, m.text) for m in markers_of(layout, top, strict)] == [
        (kdb.DBox(4450, 3000, 5000, 4300), 550, "overlap 550 um < 551 um"),
        (kdb.DBox(4900, 1000, 5000, 2300), 100, "overlap 100 um < 551 um"),
        (kdb.DBox(5000, 1000, 5100, 2300), 100, "gap 100 um >= 100 um"),
        (kdb.DBox(5000, 3000, 5100, 4300), 100, "gap 100 um >= 100 um"),
        (kdb.DBox(5100, 3000, 5650, 4300), 550, "overlap 550 um < 551 um"),
    ]


def package():
    """Dies A, B right of A and C above A, with bridges over them: each marker kind once."""
    layout, top = new_layout()
    dies(
        layout,
        top,
        kdb.DBox(0, 0, 5000, 5000),  # A
        kdb.DBox(5100, 0, 10100, 5000),  # B, 100 right of A
        kdb.DBox(0, 5180, 5000, 10180),  # C, 180 above A
    )
    bridge(layout, top, kdb.DBox(4900, 1000, 6100, 2300))  # A-B: 100 on A
    bridge(layout, top, kdb.DBox(4450, 2600, 5650, 3900))  # A-B: fine, 300 from the one below
    bridge(layout, top, kdb.DBox(1000, 4700, 2300, 5500))  # A-C: over the 180 gap
    bridge(layout, top, kdb.DBox(4800, 4800, 5300, 5400))  # A, B and C around a corner
    bridge(layout, top, kdb.DBox(8000, 2000, 8800, 2400))  # wholly on B
    return layout, top


PACKAGE_MARKERS = [
    (outline(1000, 5000, 2300, 5180), 180, "gap 180 um > 100 um"),
    (outline(4800, 4800, 5300, 5400), None, AXIS_UNCLEAR + "the dies under it are not in a row"),
    (outline(4800, 4800, 5300, 5400), 3, "dies 3 != 2"),
    (outline(4900, 1000, 5000, 2300), 100, "overlap 100 um < 150 um"),
    (outline(5275, 2300, 5275, 2600), 300, "space 300 um < 500 um"),
    (outline(8000, 2000, 8800, 2400), None, AXIS_UNCLEAR + "its one die spans it in x and y"),
    (outline(8000, 2000, 8800, 2400), 1, "dies 1 != 2"),
]


def test_package_markers():
    layout, top = package()
    assert found(markers_of(layout, top)) == PACKAGE_MARKERS


def test_rotated_and_mirrored_packages_give_the_same_markers_moved_with_them():
    names = {"r90": kdb.Trans.R90, "r180": kdb.Trans.R180, "r270": kdb.Trans.R270}
    names |= {"m0": kdb.Trans.M0, "m45": kdb.Trans.M45, "m90": kdb.Trans.M90}
    layout, top = package()
    drawn = markers_of(layout, top)
    for name, code in names.items():
        layout, top = package()
        turn = kdb.Trans(code)
        layout.transform(turn)
        shift = turn.to_dtype(layout.dbu)
        moved = [(bounds(m.shape.transformed(shift)), m.measured, m.text) for m in drawn]
        assert sorted(found(markers_of(layout, top)), key=repr) == sorted(moved, key=repr), name


def test_bridge_on_interlocking_dies_cannot_tell_the_axis():
    layout, top = new_layout()
    # a tongue of the right die reaches into a notch of the left one, 50 um from its walls
    left = area(0, 0, 5000, 5000) - area(4800, 2000, 5000, 3000)
    right = area(5100, 0, 10000, 5000) + area(4850, 2200, 5100, 2800)
    top.shapes(layout.layer(*DIE)).insert(left + right)
    bridge(layout, top, kdb.DBox(4700, 1500, 5300, 3500))
    assert found(markers_of(layout, top)) == [
        (outline(4700, 1500, 5300, 3500), None, AXIS_UNCLEAR + "the dies under it overlap")
    ]


def test_dies_drawn_overlapping_are_one_die():
    layout, top = new_layout()
    dies(layout, top, kdb.DBox(0, 0, 5000, 5000), kdb.DBox(4900, 0, 10000, 5000))
    bridge(layout, top, kdb.DBox(4700, 1000, 5300, 1200))
    assert found(markers_of(layout, top)) == [
        (outline(4700, 1000, 5300, 1200), None, AXIS_UNCLEAR + "its one die spans it in x and y"),
        (outline(4700, 1000, 5300, 1200), 1, "dies 1 != 2"),
    ]


def diagonal_dies(apart: float = 100.0):
    """Die A at the origin and die D up and to the right of it, ``apart`` away in x and y."""
    layout, top = new_layout()
    dies(layout, top, kdb.DBox(0, 0, 5000, 5000))
    dies(layout, top, kdb.DBox(5000 + apart, 5000 + apart, 10000, 10000))
    bridge(layout, top, kdb.DBox(4800, 4800, 5400, 5400))
    return layout, top


def test_bridge_on_diagonal_dies_cannot_tell_the_axis():
    layout, top = diagonal_dies()
    assert found(markers_of(layout, top)) == [
        (outline(4800, 4800, 5400, 5400), None, AXIS_UNCLEAR + "the dies under it lie diagonally")
    ]


def test_declared_axis_agreeing_with_the_dies():
    layout, top = two_dies()
    bridge(layout, top, kdb.DBox(4900, 1000, 6100, 2300))
    assert found(markers_of(layout, top, axis_rule("x"))) == [
        (outline(4900, 1000, 5000, 2300), 100, "overlap 100 um < 150 um")
    ]
    assert found(markers_of(layout, top, axis_rule("auto"))) == found(markers_of(layout, top))


def test_declared_axis_disagreeing_with_the_dies():
    layout, top = two_dies()
    bridge(layout, top, kdb.DBox(4900, 1000, 6100, 2300))
    assert found(markers_of(layout, top, axis_rule("y"))) == [
        (
            outline(4900, 1000, 6100, 2300),
            None,
            "bridge: the dies under it are not separated along y",
        )
    ]
    # the count and the spacing do not depend on the axis
    assert markers_of(layout, top, axis_rule("y", *ALL[:1], *ALL[3:])) == []


def test_declared_axis_settles_diagonal_dies():
    layout, top = diagonal_dies()
    rule = ("overlap", ">=", 250.0, Dim.LENGTH), ("gap", "<=", 50.0, Dim.LENGTH)
    assert found(markers_of(layout, top, axis_rule("x", *rule))) == [
        (outline(4800, 4800, 5000, 5000), 200, "overlap 200 um < 250 um"),
        (outline(5000, 4800, 5100, 5400), 100, "gap 100 um > 50 um"),
    ]
    assert found(markers_of(layout, top, axis_rule("y", *rule))) == [
        (outline(4800, 4800, 5000, 5000), 200, "overlap 200 um < 250 um"),
        (outline(4800, 5000, 5400, 5100), 100, "gap 100 um > 50 um"),
    ]


def test_parts_meeting_along_the_declared_axis_have_gap_zero_marked_by_an_edge():
    layout, top = new_layout()
    dies(layout, top, kdb.DBox(0, 0, 5000, 5000), kdb.DBox(5000, 5100, 10000, 10000))
    bridge(layout, top, kdb.DBox(4800, 4800, 5200, 5300))
    markers = markers_of(layout, top, axis_rule("x", ("gap", ">=", 50.0, Dim.LENGTH)))
    assert [(m.shape, m.measured, m.text) for m in markers] == [
        (kdb.DEdge(5000, 4800, 5000, 5300), 0, "gap 0 um < 50 um")
    ]
    assert [m.text for m in markers_of(layout, top)] == [
        AXIS_UNCLEAR + "the dies under it lie diagonally"
    ]


def test_bridge_over_one_die_is_measured_across_the_die_edge_it_crosses():
    layout, top = two_dies()
    bridge(layout, top, kdb.DBox(4900, 3000, 5050, 3200))  # crosses the right edge: x
    bridge(layout, top, kdb.DBox(1000, 4950, 1400, 5050))  # crosses the top edge: y
    bridge(layout, top, kdb.DBox(1000, 4000, 1400, 4200))  # wholly on the die
    bridge(layout, top, kdb.DBox(9900, 4900, 10150, 5150))  # over the die's corner
    assert found(markers_of(layout, top, bridge_rule(*OVERLAP))) == [
        (outline(1000, 4000, 1400, 4200), None, AXIS_UNCLEAR + "its one die spans it in x and y"),
        (outline(1000, 4950, 1400, 5000), 50, "overlap 50 um < 150 um"),
        (outline(4900, 3000, 5000, 3200), 100, "overlap 100 um < 150 um"),
        (
            outline(9900, 4900, 10150, 5150),
            None,
            AXIS_UNCLEAR + "its one die ends under it in x and y",
        ),
    ]


def test_bridge_over_one_die_with_a_declared_axis():
    layout, top = two_dies()
    bridge(layout, top, kdb.DBox(1000, 4000, 1100, 4400))  # wholly on the die
    bridge(layout, top, kdb.DBox(1000, 4950, 1400, 5050))  # crosses the top edge
    assert found(markers_of(layout, top, axis_rule("x", *OVERLAP))) == [
        (outline(1000, 4000, 1100, 4400), 100, "overlap 100 um < 150 um")
    ]
    assert found(markers_of(layout, top, axis_rule("y", *OVERLAP))) == [
        (outline(1000, 4950, 1400, 5000), 50, "overlap 50 um < 150 um")
    ]


def test_bridge_over_no_die_has_no_overlap_or_gap():
    layout, top = two_dies()
    bridge(layout, top, kdb.DBox(20000, 0, 20600, 200))
    rule = OVERLAP + (("gap", "<=", 100.0, Dim.LENGTH),)
    assert markers_of(layout, top, bridge_rule(*rule)) == []


def test_bridge_at_45_degrees_is_not_checkable():
    layout, top = two_dies()
    tilted = kdb.DPolygon(kdb.DBox(-600, -100, 600, 100)).transformed(
        kdb.DCplxTrans(1, 45, False, 5050, 2500)
    )
    bridge(layout, top, tilted)
    drawn = next(top.shapes(layout.layer(*BRIDGE)).each()).dpolygon
    markers = markers_of(layout, top)
    assert [(m.shape, m.measured, m.text) for m in markers] == [
        (drawn, None, NOT_CHECKABLE + "its sides are not along x and y")
    ]
    # it lands on both dies: the count holds whatever its angle
    assert markers_of(layout, top, bridge_rule(("dies", "==", 2.0, Dim.NUMBER))) == []


def test_l_shaped_bridge_is_not_checkable():
    layout, top = two_dies()
    top.shapes(layout.layer(*BRIDGE)).insert(
        area(4800, 1000, 5300, 1200) + area(4800, 1000, 4900, 1600)
    )
    assert found(markers_of(layout, top)) == [
        (outline(4800, 1000, 5300, 1600), None, NOT_CHECKABLE + "not a rectangle")
    ]
