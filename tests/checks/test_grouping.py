"""markers areas, the default: touching edge-pair markers joined into one marker per
violation area, and touching failing density windows into one marker per defect."""

from __future__ import annotations

import json

import klayout.db as kdb
import pytest

from adk.checks import finished, joins_markers, kind_names, runner, specs
from adk.checks.base import Marker
from adk.checks.grouping import areas, largest_first, smallest_first, windows
from adk.cli import main
from adk.examples.geometry import octagon
from adk.lang.units import Dim
from tests.util import box_of, check, context, new_layout

LAYERS = {"UBUMP": (1, 0), "KOZ": (2, 0), "RDL1": (3, 0)}


def keepout_markers(layout, top, markers: str | None = None):
    params = {"zone": "KOZ"} | ({"markers": markers} if markers else {})
    rule = check("keepout", "UBUMP", params=params, constraints=((None, ">=", 20, Dim.LENGTH),))
    found = runner("keepout")(rule, context(layout, top, LAYERS))
    return sorted(finished(rule, found, layout.dbu), key=lambda m: m.sort_key())


def bumps_near_a_zone() -> tuple[kdb.Layout, kdb.Cell]:
    """A 20 um octagon 10 um left of a keep-out zone, another 5 um below it, and one far off."""
    layout, top = new_layout()
    top.shapes(layout.layer(*LAYERS["KOZ"])).insert(kdb.DBox(0, 0, 100, 100))
    bumps = top.shapes(layout.layer(*LAYERS["UBUMP"]))
    for x, y in ((-20, 50), (50, -15), (300, 300)):
        bumps.insert(octagon(20, x, y))  # in nm, as this layout
    return layout, top


def test_edge_pairs_of_one_bump_become_one_area():
    layout, top = bumps_near_a_zone()
    pairs = keepout_markers(layout, top, "pairs")
    assert len(pairs) == 6  # three facing sides of each octagon
    grouped = keepout_markers(layout, top)
    assert [(type(m.shape), round(m.measured, 6), m.text) for m in grouped] == [
        (kdb.DPolygon, 10.0, "distance 10 um < 20 um (UBUMP to KOZ) (3 edge pairs)"),
        (kdb.DPolygon, 5.0, "distance 5 um < 20 um (UBUMP to KOZ) (3 edge pairs)"),
    ]
    # each area covers exactly its pairs
    for area in grouped:
        members = [m for m in pairs if area.shape.bbox().contains(m.shape.bbox().center())]
        assert len(members) == 3
        covered = kdb.DBox()
        for m in members:
            covered += m.shape.bbox()
        assert area.shape.bbox().enlarged(-0.001, -0.001) == covered


def test_areas_is_the_default_and_the_same_as_no_parameter():
    layout, top = bumps_near_a_zone()
    assert keepout_markers(layout, top, "areas") == keepout_markers(layout, top)
    assert keepout_markers(layout, top, "pairs") != keepout_markers(layout, top)


@pytest.mark.parametrize("kind", kind_names())
def test_every_kind_taking_markers_joins_them_by_default(kind):
    spec = specs()[kind]
    param = spec.param("markers")
    layers = ["A"] * len(spec.layers)
    assert joins_markers(check(kind, *layers)) == (param is not None)
    if param is not None:
        assert "areas" in param.choices
        for choice in set(param.choices) - {"areas"}:  # pairs, windows: every raw marker
            assert not joins_markers(check(kind, *layers, params={"markers": choice}))


def test_a_lone_pair_stays_an_edge_pair_and_other_markers_stay():
    layout, top = new_layout()
    top.shapes(layout.layer(*LAYERS["KOZ"])).insert(kdb.DBox(0, 0, 100, 100))
    bumps = top.shapes(layout.layer(*LAYERS["UBUMP"]))
    bumps.insert(kdb.DBox(-30, 40, -10, 60))  # a square 10 um off: one pair
    bumps.insert(kdb.DBox(40, 40, 60, 60))  # inside: a polygon marker
    grouped = keepout_markers(layout, top)
    assert [(type(m.shape), box_of(m), m.text) for m in grouped] == [
        # the zone's edge as far as it is within 20 um of the square's side
        (kdb.DEdgePair, (-10, 22.679, 0, 77.321), "distance 10 um < 20 um (UBUMP to KOZ)"),
        (kdb.DPolygon, (40, 40, 60, 60), "keepout: UBUMP inside KOZ"),
    ]


def test_pairs_that_cross_become_one_area():
    # two boxes facing corner to corner (0.6 um and 0.8 um apart, 1 um diagonally): one pair
    # across the horizontal edges and one across the vertical edges, crossing each other
    layout, top = new_layout()
    shapes = top.shapes(layout.layer(*LAYERS["RDL1"]))
    shapes.insert(kdb.DBox(0, 0, 10, 10))
    shapes.insert(kdb.DBox(10.6, 10.8, 20, 20))
    rule = check("space", "RDL1", constraints=((None, ">=", 2, Dim.LENGTH),))
    pairs = runner("space")(rule, context(layout, top, LAYERS))
    assert [m.measured for m in pairs] == [1.0, 1.0]
    [area] = areas(pairs, layout.dbu)
    assert (area.measured, area.text) == (1.0, "space 1 um < 2 um (2 edge pairs)")
    assert isinstance(area.shape, kdb.DPolygon)


def test_a_pair_inside_the_bounding_box_of_another_area_stays_apart():
    def pair(x1, y1, x2, y2, dx, dy, measured):
        edge = kdb.DEdge(x1, y1, x2, y2)
        return Marker(kdb.DEdgePair(edge, edge.moved(dx, dy)), measured, f"space {measured}")

    corner = [pair(0, 0, 10, 0, 0, 1, 1.0), pair(0, 0, 0, 10, 1, 0, 0.9)]  # an L of two
    inside = pair(5, 5, 6, 5, 0, 0.5, 0.5)  # within the L's box, touching neither
    found = sorted(areas(corner + [inside], 0.001), key=lambda m: m.measured)
    assert [(type(m.shape), m.measured, m.text) for m in found] == [
        (kdb.DEdgePair, 0.5, "space 0.5"),
        (kdb.DPolygon, 0.9, "space 0.9 (2 edge pairs)"),
    ]
    assert found[0] == inside


def test_areas_by_default_from_the_command_line(tmp_path, capsys):
    layout, _top = bumps_near_a_zone()
    gds = str(tmp_path / "bumps.gds")
    layout.write(gds)
    deck = tmp_path / "d.adk"
    deck.write_text(
        'deck d "t"\nlayer UBUMP = 1/0\nlayer KOZ = 2/0\n'
        "rule KO.P : keepout(UBUMP, zone KOZ, markers pairs) >= 20 um\n"
        "rule KO.A : keepout(UBUMP, zone KOZ) >= 20 um\n",
        encoding="utf-8",
    )
    reports = []
    for extra in ([], ["--tile-size", "60"]):  # tiles split the bumps' pairs: areas are joined
        assert (
            main(
                [
                    "check",
                    gds,
                    "--deck",
                    str(deck),
                    "--format",
                    "json",
                    "-q",
                    "-o",
                    str(tmp_path / "out.lyrdb"),
                    *extra,
                ]
            )
            == 1
        )
        summary = json.loads(capsys.readouterr().out)
        reports.append({rule["id"]: rule["count"] for rule in summary["rules"]})
    assert reports == [{"KO.P": 6, "KO.A": 2}] * 2


def window(x1: float, y1: float, x2: float, y2: float, density: float) -> Marker:
    return Marker(kdb.DBox(x1, y1, x2, y2), density, f"density {density:g}")


def test_windows_that_overlap_or_touch_become_their_union_with_the_worst_density():
    stepped = [window(0, 0, 10, 10, 0.9), window(5, 0, 15, 10, 0.95), window(10, 0, 20, 10, 0.85)]
    apart = window(30, 0, 40, 10, 0.99)
    found = sorted(windows(stepped + [apart], 0.001, largest_first), key=Marker.sort_key)
    assert [(type(m.shape), box_of(m), m.measured, m.text) for m in found] == [
        (kdb.DPolygon, (0, 0, 20, 10), 0.95, "density 0.95 (3 windows)"),
        (kdb.DBox, (30, 0, 40, 10), 0.99, "density 0.99"),  # a lone window stays a box
    ]
    assert found[0].shape.area() == 200  # the union itself, not widened


def test_windows_meeting_at_a_corner_are_one_marker_named_after_the_lowest():
    diagonal = [window(0, 0, 10, 10, 0.1), window(10, 10, 20, 20, 0.05)]
    found = windows(diagonal, 0.001, smallest_first)
    assert [(box_of(m), m.measured, m.text) for m in found] == [
        ((0, 0, 20, 20), 0.05, "density 0.05 (2 windows)")
    ]


DENSITY_LAYERS = {"M": (1, 0), "OUTLINE": (10, 0)}


def density_markers(layout, top, markers: str | None = None) -> list[Marker]:
    params = {"window": 10} | ({"markers": markers} if markers else {})
    limits = ((None, ">=", 0.2, Dim.RATIO), (None, "<=", 0.8, Dim.RATIO))
    rule = check("density", "M", params=params, constraints=limits)
    found = runner("density")(rule, context(layout, top, DENSITY_LAYERS))
    return sorted(finished(rule, found, layout.dbu), key=Marker.sort_key)


def test_too_sparse_and_too_dense_windows_side_by_side_are_two_defects():
    # four 10 um windows in a row: empty, 10 % full, wholly and 90 % full
    layout, top = new_layout()
    top.shapes(layout.layer(*DENSITY_LAYERS["OUTLINE"])).insert(kdb.DBox(0, 0, 40, 10))
    metal = top.shapes(layout.layer(*DENSITY_LAYERS["M"]))
    for box in (kdb.DBox(10, 0, 11, 10), kdb.DBox(20, 0, 30, 10), kdb.DBox(30, 0, 39, 10)):
        metal.insert(box)
    assert [(box_of(m), m.text) for m in density_markers(layout, top)] == [
        ((0, 0, 20, 10), "density 0 % < 20 % (2 windows)"),
        ((20, 0, 40, 10), "density 100 % > 80 % (2 windows)"),
    ]
    assert [box_of(m) for m in density_markers(layout, top, "windows")] == [
        (0, 0, 10, 10),
        (10, 0, 20, 10),
        (20, 0, 30, 10),
        (30, 0, 40, 10),
    ]


def test_density_windows_are_joined_alike_in_tiles(tmp_path, capsys):
    # a dense strip over 60 um of a 100 um extent: the windows every 5 um wholly on it (11
    # columns, 3 rows), in several tiles, are joined into one marker after the tiles are
    layout, top = new_layout()
    top.shapes(layout.layer(1, 0)).insert(kdb.DBox(0, 0, 60, 20))
    top.shapes(layout.layer(10, 0)).insert(kdb.DBox(0, 0, 100, 20))
    gds = str(tmp_path / "strip.gds")
    layout.write(gds)
    deck = tmp_path / "d.adk"
    deck.write_text(
        'deck d "t"\nlayer M = 1/0\n'
        "rule D : density(M, window 10 um, step 5 um) <= 50 %\n"
        "rule D.W : density(M, window 10 um, step 5 um, markers windows) <= 50 %\n",
        encoding="utf-8",
    )
    reports = []
    for extra in ([], ["--tile-size", "25"]):
        arguments = ["check", gds, "--deck", str(deck), "--format", "json", "-q"]
        assert main([*arguments, "-o", str(tmp_path / "out.lyrdb"), *extra]) == 1
        summary = json.loads(capsys.readouterr().out)
        reports.append({rule["id"]: rule["markers"] for rule in summary["rules"]})
    assert reports[0] == reports[1]
    [joined] = reports[0]["D"]
    assert joined["text"] == "density 100 % > 50 % (33 windows)"
    assert joined["bbox_um"] == [0, 0, 60, 20]
    assert len(reports[0]["D.W"]) == 33


@pytest.mark.parametrize(
    "text, message",
    [
        ("rule R : space(A, markers blobs) >= 1 um", "markers must be one of pairs, areas"),
        ("rule R : density(A, window 1 um, markers pairs) < 1 %", "one of windows, areas"),
        ("rule R : pitch(A, markers areas) >= 1 um", "unknown parameter 'markers'"),
    ],
)
def test_markers_parameter_errors(text, message):
    from adk.api import load_deck_text as load_text
    from adk.errors import DeckError

    with pytest.raises(DeckError) as caught:
        load_text('deck d "t"\nlayer A = 1/0\n' + text)
    assert message in caught.value.diagnostics[0].message
