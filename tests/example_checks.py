"""Checks shared by the tests of the bundled examples: the clean example passes every rule of
its deck, the dirty one fails every rule, exactly where the violations were planted."""

from __future__ import annotations

import json
from collections import Counter

import klayout.db as kdb

from adk.checks.base import Marker
from adk.examples.writer import planted_path, write_example
from adk.lang.model import Deck
from adk.layout.reader import read_layout
from adk.run.engine import run_deck
from adk.run.result import RunResult

# kinds whose marker is a window or a region, which may cover more than the planted spot
WIDE_MARKERS = ("density", "count")


def check(deck: Deck, path: str) -> RunResult:
    return run_deck(deck, deck.layers, read_layout(path))


def assert_clean(pillar: str, deck: Deck, path: str) -> None:
    """The clean example, written to ``path``, has every layer of the deck and no marker."""
    assert write_example(pillar, path) is None
    result = check(deck, path)
    assert result.missing_layers == []
    assert {o.rule.id: len(o.markers) for o in result.outcomes if o.markers} == {}
    assert not result.violations(strict=True)


def run_dirty(pillar: str, deck: Deck, path: str) -> tuple[RunResult, list[dict]]:
    """The dirty example written to ``path``, checked, with its list of planted violations."""
    listing = write_example(pillar, path, dirty=True)
    assert listing == planted_path(path)
    with open(listing, encoding="utf-8") as handle:
        planted = json.load(handle)["planted"]
    return check(deck, path), planted


def assert_every_rule_fails(deck: Deck, result: RunResult, planted: list[dict]) -> None:
    rules = {rule.id for rule in deck.rules}
    assert {p["rule"] for p in planted} == rules
    assert {o.rule.id for o in result.outcomes if o.markers} == rules


def assert_markers_at_planted_spots(result: RunResult, planted: list[dict]) -> None:
    """Each planted violation is covered by a marker of its rule."""
    outcomes = {o.rule.id: o for o in result.outcomes}
    for plant in planted:
        boxes = [_near(marker) for marker in outcomes[plant["rule"]].markers]
        assert any(box.contains(_point(plant)) for box in boxes), plant


def assert_no_stray_markers(result: RunResult, planted: list[dict]) -> None:
    """Every marker lies at a planted spot of its rule (or covers it, for window markers)."""
    spots: dict[str, list[kdb.DPoint]] = {}
    for plant in planted:
        spots.setdefault(plant["rule"], []).append(_point(plant))
    for outcome in result.outcomes:
        for marker in outcome.markers:
            at_spot = any(_near(marker).contains(p) for p in spots.get(outcome.rule.id, []))
            assert at_spot or outcome.rule.check.kind in WIDE_MARKERS, (
                outcome.rule.id,
                marker.text,
            )


def marker_counts(result: RunResult) -> Counter:
    return Counter({o.rule.id: len(o.markers) for o in result.outcomes})


def _near(marker: Marker) -> kdb.DBox:
    return marker.shape.bbox().enlarged(1.0, 1.0)


def _point(plant: dict) -> kdb.DPoint:
    return kdb.DPoint(plant["x"], plant["y"])
