"""Deck self-tests: layouts whose text labels say where each rule must fire and where not.

On the annotation layer (255/0 unless told otherwise), a text ``expect RULE_ID`` marks a
point that a marker of RULE_ID must cover; ``pass RULE_ID`` marks a point where the rule is
exercised and must not fire. Every marker must cover an ``expect`` label of its rule; any
other marker is a false positive, any ``expect`` label no marker covers a false negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import klayout.db as kdb

from adk.errors import AdkError
from adk.lang.model import Deck
from adk.layout.reader import LoadedLayout, read_layout
from adk.run.engine import run_deck
from adk.run.result import RuleOutcome

ANNOTATION = (255, 0)
REACH = 1.0  # µm: how far from a marker's bounding box a label still counts as covered


@dataclass(frozen=True)
class Label:
    kind: str  # "expect" or "pass"
    rule: str
    point: kdb.DPoint


@dataclass
class RuleTally:
    """What the self-tests found for one rule."""

    rule: str
    expected: int = 0  # expect labels
    passing: int = 0  # pass labels
    found: int = 0  # markers
    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)

    @property
    def tested(self) -> bool:
        return self.expected > 0 and self.passing > 0

    @property
    def ok(self) -> bool:
        return self.tested and not self.false_positives and not self.false_negatives


def read_labels(loaded: LoadedLayout, deck: Deck, annotation: tuple[int, int]) -> list[Label]:
    """The ``expect``/``pass`` labels of a layout; anything else on the layer is an error."""
    index = loaded.layer_index(*annotation)
    if index is None:
        raise AdkError(
            f"{loaded.path}: no labels on the annotation layer {annotation[0]}/{annotation[1]}"
        )
    rule_ids = {rule.id for rule in deck.rules}
    labels = []
    shapes = loaded.top.begin_shapes_rec(index)
    while not shapes.at_end():
        shape = shapes.shape()
        if shape.is_text():
            text = shape.text.transformed(shapes.trans())
            point = text.position().to_dtype(loaded.dbu)
            labels.append(_label(text.string, point, loaded.path, rule_ids))
        shapes.next()
    return labels


def _label(string: str, point: kdb.DPoint, path: str, rule_ids: set[str]) -> Label:
    words = string.split()
    if len(words) != 2 or words[0] not in ("expect", "pass"):
        raise AdkError(f"{path}: label '{string}' at {point} is not 'expect RULE' or 'pass RULE'")
    if words[1] not in rule_ids:
        raise AdkError(f"{path}: label '{string}' at {point} names no rule of the deck")
    return Label(words[0], words[1], point)


def run_self_tests(
    deck: Deck, paths: list[str], annotation: tuple[int, int] = ANNOTATION
) -> list[RuleTally]:
    """Run ``deck`` on every test layout and tally, per rule in deck order."""
    tallies = {rule.id: RuleTally(rule.id) for rule in deck.rules}
    for path in paths:
        loaded = read_layout(path)
        labels = read_labels(loaded, deck, annotation)
        # every marker in the top cell, once per placement: each is matched to its labels
        result = run_deck(deck, deck.layers, loaded, flat_markers=True)
        for outcome in result.outcomes:
            _tally(
                tallies[outcome.rule.id],
                outcome,
                [lab for lab in labels if lab.rule == outcome.rule.id],
                path,
            )
    return list(tallies.values())


def _tally(tally: RuleTally, outcome: RuleOutcome, labels: list[Label], path: str) -> None:
    expects = [label for label in labels if label.kind == "expect"]
    tally.expected += len(expects)
    tally.passing += len(labels) - len(expects)
    tally.found += len(outcome.markers)
    if not outcome.checked:
        missing = ", ".join(outcome.missing)
        tally.false_negatives += [f"{path}: not checked, missing {missing}" for _ in expects]
        return
    boxes = [m.shape.bbox().enlarged(REACH, REACH) for m in outcome.markers]
    for marker, box in zip(outcome.markers, boxes):
        if not any(box.contains(label.point) for label in expects):
            tally.false_positives.append(f"{path}: {marker.text} at {marker.shape.bbox().center()}")
    for label in expects:
        if not any(box.contains(label.point) for box in boxes):
            tally.false_negatives.append(f"{path}: nothing at {label.point}")


def add_labels(
    layout: kdb.Layout,
    deck: Deck,
    expected: list[tuple[str, float, float]],
    passing: bool,
    annotation: tuple[int, int] = ANNOTATION,
) -> None:
    """Label a layout for self-tests: ``expect`` at each (rule, x, y) of ``expected``, and with
    ``passing``, ``pass`` on a shape of every rule's first layer (where the rule is exercised)."""
    from adk.layout.context import LayoutContext
    from adk.layout.reader import choose_top

    top = choose_top(layout, "<layout>", None)
    index = layout.layer(*annotation)
    for rule_id, x, y in expected:
        top.shapes(index).insert(kdb.DText(f"expect {rule_id}", x, y))
    if not passing:
        return
    context = LayoutContext(LoadedLayout("<layout>", layout, top), deck.layers, deck.units)
    for rule in deck.rules:
        region = context.region(rule.check.layers[0])
        polygon = next(iter(region.each()), None)
        if polygon is not None:
            centre = polygon.bbox().center().to_dtype(layout.dbu)
            top.shapes(index).insert(kdb.DText(f"pass {rule.id}", centre.x, centre.y))
