"""The docs tell the truth: the check reference is generated from the kinds, and every kind
documents examples that are valid decks."""

from __future__ import annotations

import re

import pytest

from adk import checks
from adk.api import load_deck_text
from adk.errors import DeckError
from adk.report.reference import reference_markdown

UNKNOWN_LAYER = re.compile(r"unknown layer '(\w+)'")


def test_check_reference_is_up_to_date():
    with open("docs/checks.md", encoding="utf-8") as handle:
        assert handle.read() == reference_markdown(), (
            "docs/checks.md is stale: regenerate it with "
            "'python -m adk.report.reference > docs/checks.md'"
        )


def examples(kind: str) -> list[str]:
    """The ``rule`` lines of a kind's documentation."""
    return [line.strip() for line in checks.doc(kind).splitlines() if line.startswith("    rule ")]


def with_layers(rule: str) -> str:
    """``rule`` after a declaration of every layer it names, found as the deck loader
    reports them unknown, one at a time."""
    layers: list[str] = []
    while True:
        text = "".join(f"layer {name} = {n}/0\n" for n, name in enumerate(layers, 1)) + rule
        try:
            load_deck_text(text, "example.adk")
        except DeckError as exc:
            unknown = [UNKNOWN_LAYER.search(d.message) for d in exc.diagnostics]
            names = [match.group(1) for match in unknown if match]
            if not names or len(names) < len(exc.diagnostics):
                raise
            layers += names
            continue
        return text


@pytest.mark.parametrize("kind", checks.kind_names())
def test_every_kind_documents_valid_examples_of_itself(kind):
    found = examples(kind)
    assert found, f"adk/checks/kinds/{kind}.py documents no 'rule' example"
    for rule in found:
        deck = load_deck_text(with_layers(rule), "example.adk")
        assert [r.check.kind for r in deck.rules] == [kind]
