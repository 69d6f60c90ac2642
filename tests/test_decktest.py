"""Deck self-tests (`adk test-deck`) and rule manuals (`adk docs`)."""

from __future__ import annotations

import os

import klayout.db as kdb
import pytest

from adk.api import load_deck
from adk.api import load_deck_text as load_text
from adk.cli import main
from adk.errors import AdkError
from adk.examples import PILLARS
from adk.examples.writer import write_example
from adk.kit.decks import shipped_decks
from adk.kit.decktest import run_self_tests
from adk.report.manual import deck_manual

DECK = 'layer M = 1/0\nrule M.W "width" : width(M) >= 2 um\nrule M.S "space" : space(M) >= 2 um\n'


@pytest.mark.parametrize("pillar", PILLARS)
def test_every_shipped_deck_passes_its_self_tests(pillar, tmp_path, capsys):
    clean, dirty = str(tmp_path / "clean.gds"), str(tmp_path / "dirty.oas")
    write_example(pillar, clean, annotate=True)
    write_example(pillar, dirty, dirty=True, annotate=True)
    status = main(["test-deck", pillar, clean, dirty])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "untested" not in out and "FAIL" not in out


def _layout(tmp_path, boxes, labels) -> str:
    layout = kdb.Layout()
    top = layout.create_cell("TOP")
    for box in boxes:
        top.shapes(layout.layer(1, 0)).insert(kdb.DBox(*box))
    for text, x, y in labels:
        top.shapes(layout.layer(255, 0)).insert(kdb.DText(text, x, y))
    path = str(tmp_path / "case.gds")
    layout.write(path)
    return path


def test_tallies_false_positives_negatives_and_untested_rules(tmp_path):
    deck = load_text(DECK)
    path = _layout(
        tmp_path,
        [(0, 0, 1, 10), (10, 0, 20, 10)],
        [("expect M.S", 15, 5), ("pass M.S", 30, 30), ("pass M.W", 15, 5)],
    )
    tallies = {t.rule: t for t in run_self_tests(deck, [path])}
    width, space = tallies["M.W"], tallies["M.S"]
    assert (width.expected, width.passing, width.found) == (0, 1, 1)
    assert not width.tested and not width.ok
    assert len(width.false_positives) == 1 and "width 1 um < 2 um" in width.false_positives[0]
    assert (space.expected, space.passing, space.found) == (1, 1, 0)
    assert space.false_negatives == [f"{path}: nothing at 15,5"]
    assert not space.ok


def test_a_fully_tested_deck_passes(tmp_path, capsys):
    deck = tmp_path / "m.adk"
    deck.write_text(DECK)
    path = _layout(
        tmp_path,
        [(0, 0, 1, 10), (10, 0, 20, 10), (21, 0, 31, 10)],
        [("expect M.W", 0.5, 5), ("pass M.W", 15, 5), ("expect M.S", 20.5, 5), ("pass M.S", 5, 50)],
    )
    assert main(["test-deck", str(deck), path]) == 0
    assert main(["test-deck", str(deck), path, "--format", "json"]) == 0
    assert '"ok": true' in capsys.readouterr().out


@pytest.mark.parametrize(
    "label, message",
    [
        ("expect", "label 'expect' at 1,1 is not 'expect RULE' or 'pass RULE'"),
        ("expect M.X", "label 'expect M.X' at 1,1 names no rule of the deck"),
    ],
)
def test_bad_labels_are_one_line_errors(tmp_path, label, message):
    path = _layout(tmp_path, [(0, 0, 5, 5)], [(label, 1, 1)])
    with pytest.raises(AdkError, match=message):
        run_self_tests(load_text(DECK), [path])


def test_a_rule_with_some_of_its_layers_absent_is_tested_on_the_others(tmp_path):
    deck = load_text(
        "layer M = 1/0\nlayer M_FILL = 1/30\nlayer ALL = M or M_FILL\n"
        'rule ALL.W "width" : width(ALL) >= 2 um\n'
        'rule FILL.W "fill width" : width(M_FILL) >= 2 um\n'
    )
    path = _layout(tmp_path, [(0, 0, 1, 10)], [("expect ALL.W", 0.5, 5), ("expect FILL.W", 0, 0)])
    tallies = {t.rule: t for t in run_self_tests(deck, [path])}
    width = tallies["ALL.W"]
    assert (width.found, width.false_negatives, width.false_positives) == (1, [], [])
    assert tallies["FILL.W"].false_negatives == [f"{path}: not checked, missing M_FILL"]


def test_a_layout_without_labels_is_an_error(tmp_path, capsys):
    deck = tmp_path / "m.adk"
    deck.write_text(DECK)
    path = _layout(tmp_path, [(0, 0, 5, 5)], [])
    assert main(["test-deck", str(deck), path]) == 2
    assert "no labels on the annotation layer 255/0" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(shipped_decks()))
def test_rule_manuals_are_up_to_date(name):
    manual = os.path.join("docs", "rules", f"{name}.md")
    assert os.path.exists(manual), f"write it with: adk docs {name} -o {manual}"
    with open(manual, encoding="utf-8") as handle:
        expected = deck_manual(load_deck(str(shipped_decks()[name])), os.path.dirname(manual))
        assert handle.read() == expected, f"stale: regenerate with adk docs {name} -o {manual}"


def test_manual_lists_every_rule_with_its_source(tmp_path):
    deck = tmp_path / "m.adk"
    deck.write_text(
        "# min width from the process spec\nlet w = 2 um  # (seed)\n"
        + DECK.replace(">= 2 um\nrule M.S", ">= w\nrule M.S")
    )
    text = deck_manual(load_deck(str(deck)), str(tmp_path))
    assert "| M.W | width | `width(M)` | width >= 2 um | error | m.adk:4; (seed) |" in text
    assert "| M.S | space | `space(M)` | space >= 2 um | error | m.adk:5 |" in text
