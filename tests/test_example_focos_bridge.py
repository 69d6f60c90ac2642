"""The bundled FOCoS-Bridge example: clean passes every rule, dirty fails exactly what was planted."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from adk.engine import run_deck
from adk.examples.writer import planted_path, write_example
from adk.language import load_deck
from adk.layout import read_layout

DECK = "rules/focos_bridge.adk"


@pytest.fixture(scope="module")
def deck():
    return load_deck(DECK)


def check(deck, path):
    return run_deck(deck, deck.layers, read_layout(path))


@pytest.mark.parametrize("suffix", [".gds", ".oas", ".gds.gz"])
def test_clean_example_passes_every_rule(deck, tmp_path, suffix):
    path = str(tmp_path / f"clean{suffix}")
    assert write_example("focos_bridge", path) is None
    result = check(deck, path)
    assert result.missing_layers == []
    assert {o.rule.id: len(o.markers) for o in result.outcomes if o.markers} == {}
    assert not result.violations(strict=True)


@pytest.fixture(scope="module")
def dirty(deck, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("dirty") / "dirty.oas")
    listing = write_example("focos_bridge", path, dirty=True)
    assert listing == planted_path(path)
    with open(listing, encoding="utf-8") as handle:
        planted = json.load(handle)["planted"]
    return check(deck, path), planted


def test_dirty_example_fails_every_rule(deck, dirty):
    result, planted = dirty
    assert {p["rule"] for p in planted} == {rule.id for rule in deck.rules}
    assert {o.rule.id for o in result.outcomes if o.markers} == {r.id for r in deck.rules}


def test_dirty_example_markers_are_where_they_were_planted(dirty):
    result, planted = dirty
    outcomes = {o.rule.id: o for o in result.outcomes}
    for plant in planted:
        boxes = [m.shape.bbox().enlarged(1.0, 1.0) for m in outcomes[plant["rule"]].markers]
        assert any(box.contains(_point(plant)) for box in boxes), plant


def test_dirty_example_has_no_stray_markers(dirty):
    """Every marker lies at a planted spot of its rule (or covers it, for window markers)."""
    result, planted = dirty
    spots = {}
    for plant in planted:
        spots.setdefault(plant["rule"], []).append(_point(plant))
    for outcome in result.outcomes:
        for marker in outcome.markers:
            box = marker.shape.bbox().enlarged(1.0, 1.0)
            assert any(box.contains(p) for p in spots[outcome.rule.id]) or \
                outcome.rule.check.kind in ("density", "count"), (outcome.rule.id, marker.text)


def test_dirty_example_marker_counts(dirty):
    result, _ = dirty
    counts = Counter({o.rule.id: len(o.markers) for o in result.outcomes})
    assert counts == EXPECTED_COUNTS


def _point(plant):
    import klayout.db as kdb
    return kdb.DPoint(plant["x"], plant["y"])


# one marker per planted defect, except where one defect gives several:
EXPECTED_COUNTS = Counter({rule: 1 for rule in (
    "PKG.D2D.GAP", "PKG.HBM.D", "PKG.FID.N", "PKG.FID.D", "BR.M1.W", "BR.M1.S", "RDL1.W",
    "RDL1.S", "RDL2.W", "RDL2.S", "VIA1.ENC", "VIA1.A", "UB.P", "UB.SZ", "UB.DEN", "PAD.EXT",
    "BR.PL", "KOZ.1")})
EXPECTED_COUNTS.update({
    "RDL1.DEN": 3,    # the 1.2 mm plate fills three of the 1 mm windows stepped by 500 um beyond 70 %
    "UB.EDGE": 3,     # the bump octagon faces the die edge with three of its edges
    "UB.ALIGN": 2,    # the bump off its pad, and the pad without a bump
    "UB.PAD.OVL": 3,  # three octagon edges reach less than 15 um into the pad
})
