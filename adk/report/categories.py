"""The categories a deck names (``category`` in a rule, docs/language.md): several rules
reported under one category, as a KLayout deck sends several checks to one. The marker
database makes each a category; the reports that keep rules apart by id (SARIF, JUnit,
HTML) group the rules under it."""

from __future__ import annotations

from collections.abc import Iterable

from adk.lang.model import Rule


def named_categories(rules: Iterable[Rule]) -> dict[str, list[Rule]]:
    """The categories some rule names, each with every rule reported under it (a rule
    whose id is the category's name among them), in the order of each category's first
    rule. A rule reported under its own id, named by no other, is in none."""
    groups: dict[str, list[Rule]] = {}
    for rule in rules:
        groups.setdefault(rule.reported_under, []).append(rule)
    return {name: members for name, members in groups.items() if any(r.category for r in members)}


def category_description(members: Iterable[Rule]) -> str:
    """Each rule of a category, as the marker database describes the category:
    ``V1.M1: via 1 in metal 1 (error); V1.IN: via 1 inside metal 1 (error)``."""
    return "; ".join(f"{r.id}: {r.description or r.id} ({r.severity})" for r in members)
