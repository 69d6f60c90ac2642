"""keepout: forbidden layers out of a zone, or away from an outline."""

from __future__ import annotations

import klayout.db as kdb
import pytest

from adk.checks import runner
from adk.lang.model import BoolOp, LayerRef
from adk.lang.units import Dim
from tests.util import box_of, check, context, new_layout

run = runner("keepout")
LAYERS = {"RDL1": (1, 0), "UBUMP": (2, 0), "KOZ": (3, 0), "DIE": (4, 0)}
ZONE = kdb.DBox(0, 0, 100, 100)


def layout_of(**shapes) -> tuple[kdb.Layout, kdb.Cell]:
    layout, top = new_layout()
    for name, boxes in shapes.items():
        for shape in boxes:
            top.shapes(layout.layer(*LAYERS[name])).insert(shape)
    return layout, top


def markers(layout, top, *layers, value: float | None = None, **params):
    constraints = () if value is None else ((None, ">=", value, Dim.LENGTH),)
    rule = check("keepout", *(layers or ("RDL1",)), params=params, constraints=constraints)
    return run(rule, context(layout, top, LAYERS))


def found(*args, **kwargs) -> list[tuple]:
    return [(box_of(m), round(m.measured, 6), m.text) for m in markers(*args, **kwargs)]


# ------------------------------------------------------------------ zone
def test_shape_overlapping_the_zone_is_marked_by_its_part_inside():
    layout, top = layout_of(RDL1=[kdb.DBox(90, 40, 150, 50), kdb.DBox(200, 0, 210, 10)], KOZ=[ZONE])
    [marker] = markers(layout, top, zone="KOZ")
    assert isinstance(marker.shape, kdb.DPolygon)
    assert (box_of(marker), marker.measured, marker.text) == (
        (90, 40, 100, 50),
        0.0,
        "keepout: RDL1 inside KOZ",
    )


def test_shapes_touching_or_near_the_zone_pass_without_a_limit():
    layout, top = layout_of(RDL1=[kdb.DBox(100, 40, 150, 50), kdb.DBox(-5, 0, -1, 10)], KOZ=[ZONE])
    assert markers(layout, top, zone="KOZ") == []


def test_forbidden_layers_are_merged_and_named():
    layout, top = layout_of(
        RDL1=[kdb.DBox(10, 10, 30, 20), kdb.DBox(60, 60, 70, 70)],
        UBUMP=[kdb.DBox(25, 10, 40, 20), kdb.DBox(80, 80, 90, 90)],
        KOZ=[ZONE],
    )
    assert [(box_of(m), m.text) for m in markers(layout, top, "RDL1", "UBUMP", zone="KOZ")] == [
        ((10, 10, 40, 20), "keepout: RDL1, UBUMP inside KOZ"),
        ((60, 60, 70, 70), "keepout: RDL1 inside KOZ"),
        ((80, 80, 90, 90), "keepout: UBUMP inside KOZ"),
    ]


def test_distance_to_the_zone():
    layout, top = layout_of(
        RDL1=[
            kdb.DBox(110, 40, 150, 50),
            kdb.DBox(-30, 0, -20, 10),
            kdb.DBox(50, 100, 60, 120),
            kdb.DBox(50, -10, 60, 5),
        ],
        KOZ=[ZONE],
    )
    # the shape 20 um away passes; edge pairs mark each edge as far as it is within the limit
    assert found(layout, top, value=20, zone="KOZ") == [
        ((30, 100, 80, 100), 0.0, "distance 0 um < 20 um (RDL1 to KOZ)"),
        ((50, 0, 60, 5), 0.0, "keepout: RDL1 inside KOZ"),
        ((100, 22.679, 110, 67.321), 10.0, "distance 10 um < 20 um (RDL1 to KOZ)"),
    ]


def test_each_marker_names_its_own_layer():
    # the RDL1 edge is near both zone boxes: its two edge pairs overlap in the middle
    layout, top = layout_of(
        RDL1=[kdb.DBox(0, 15, 100, 25)],
        UBUMP=[kdb.DBox(200, 15, 210, 25)],
        KOZ=[kdb.DBox(0, 0, 40, 10), kdb.DBox(60, 0, 100, 10), kdb.DBox(200, 0, 210, 10)],
    )
    texts = [m.text for m in markers(layout, top, "RDL1", "UBUMP", value=20, zone="KOZ")]
    assert texts == ["distance 5 um < 20 um (RDL1 to KOZ)"] * 2 + [
        "distance 5 um < 20 um (UBUMP to KOZ)"
    ]


def test_distance_exactly_at_the_limit_passes():
    layout, top = layout_of(RDL1=[kdb.DBox(120, 40, 150, 50)], KOZ=[ZONE])
    assert markers(layout, top, value=20, zone="KOZ") == []
    assert len(markers(layout, top, value=20.001, zone="KOZ")) == 1


# ------------------------------------------------------------------ edge
DIE = kdb.DBox(0, 0, 1000, 1000)


def test_shapes_near_the_outline_from_inside_and_outside():
    layout, top = layout_of(
        UBUMP=[
            kdb.DBox(30, 500, 40, 510),
            kdb.DBox(1010, 500, 1020, 510),
            kdb.DBox(500, 500, 510, 510),
        ],
        DIE=[DIE],
    )
    assert found(layout, top, "UBUMP", value=50, edge="DIE") == [
        ((0, 460, 30, 550), 30.0, "distance 30 um < 50 um (UBUMP to the edge of DIE)"),
        ((1000, 451.01, 1010, 558.99), 10.0, "distance 10 um < 50 um (UBUMP to the edge of DIE)"),
    ]


def test_shape_crossing_the_outline_is_marked_where_the_outline_runs_through_it():
    layout, top = layout_of(UBUMP=[kdb.DBox(995, 500, 1005, 510)], DIE=[DIE])
    crossing = (((1000, 500, 1000, 510), 0.0, "keepout: UBUMP crosses the edge of DIE"),)
    assert found(layout, top, "UBUMP", edge="DIE") == list(crossing)
    [marker] = markers(layout, top, "UBUMP", edge="DIE")
    assert isinstance(marker.shape, kdb.DEdge)
    # a limit adds no distance marker for the crossing shape itself
    assert found(layout, top, "UBUMP", value=50, edge="DIE") == list(crossing)


def test_edge_without_a_limit_lets_touching_shapes_pass():
    layout, top = layout_of(
        UBUMP=[kdb.DBox(1000, 500, 1010, 510), kdb.DBox(990, 600, 1000, 610)], DIE=[DIE]
    )
    assert markers(layout, top, "UBUMP", edge="DIE") == []
    assert [m.measured for m in markers(layout, top, "UBUMP", value=50, edge="DIE")] == [0.0, 0.0]


def test_edge_distance_exactly_at_the_limit_passes():
    layout, top = layout_of(
        UBUMP=[kdb.DBox(50, 500, 60, 510), kdb.DBox(1050, 500, 1060, 510)], DIE=[DIE]
    )
    assert markers(layout, top, "UBUMP", value=50, edge="DIE") == []


def test_bumps_in_a_rotated_instance_array():
    layout, top = layout_of(DIE=[DIE])
    bump = layout.create_cell("BUMP")
    bump.shapes(layout.layer(*LAYERS["UBUMP"])).insert(kdb.DBox(0, 0, 10, 20))
    # R90: x -20 .. 0, y 0 .. 10; columns at x 40 and 140: the first is 20 um from the edge
    top.insert(
        kdb.DCellInstArray(
            bump.cell_index(),
            kdb.DTrans(kdb.DTrans.R90, kdb.DVector(40, 500)),
            kdb.DVector(100, 0),
            kdb.DVector(0, 100),
            2,
            2,
        )
    )
    found_markers = markers(layout, top, "UBUMP", value=50, edge="DIE")
    assert [(box_of(m), m.measured) for m in found_markers] == [
        ((0, 454.174, 20, 555.826), 20.0),
        ((0, 554.174, 20, 655.826), 20.0),
    ]


# ------------------------------------------------------------------ parameters
def test_zone_or_edge_exactly_once():
    layout, top = layout_of(KOZ=[ZONE], DIE=[DIE])
    with pytest.raises(ValueError):
        markers(layout, top)
    with pytest.raises(ValueError):
        markers(layout, top, zone="KOZ", edge="DIE")


def test_derived_forbidden_layer_is_named_as_written():
    layout, top = layout_of(
        RDL1=[kdb.DBox(10, 10, 20, 20)], UBUMP=[kdb.DBox(15, 15, 30, 30)], KOZ=[ZONE]
    )
    both = BoolOp("and", LayerRef("RDL1"), LayerRef("UBUMP"))
    assert found(layout, top, both, zone="KOZ") == [
        ((15, 15, 20, 20), 0.0, "keepout: (RDL1 and UBUMP) inside KOZ")
    ]


def test_empty_layers_pass():
    layout, top = layout_of(KOZ=[ZONE], DIE=[DIE])
    assert markers(layout, top, value=10, zone="KOZ") == []
    assert markers(layout, top, value=10, edge="DIE") == []
    layout, top = layout_of(RDL1=[kdb.DBox(10, 10, 20, 20)])
    assert markers(layout, top, value=10, zone="KOZ") == []
    assert markers(layout, top, value=10, edge="DIE") == []
