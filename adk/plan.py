"""The plan: which rules run, which drawn layers each needs, which the layout lacks."""
from __future__ import annotations

from dataclasses import dataclass

from .deck import (BoolOp, Deck, DerivedLayer, Layer, LayerExpr, LayerRef, Rule, Select, Sizing,
                   layer_names)
from .errors import AdkError


LAYER_EXPRS = (LayerRef, BoolOp, Sizing, Select)


@dataclass(frozen=True)
class PlannedRule:
    rule: Rule
    drawn: tuple[str, ...]     # every drawn layer the rule reads, derived layers expanded


def rule_layers(rule: Rule) -> list[LayerExpr]:
    """Every layer expression a rule's check reads."""
    params = [value for _, value in rule.check.params if isinstance(value, LAYER_EXPRS)]
    return list(rule.check.layers) + params


def drawn_layers(names: list[str], layers: dict[str, Layer]) -> list[str]:
    """The drawn layers behind ``names``, derived layers expanded, in first-use order."""
    found: list[str] = []
    for name in names:
        layer = layers[name]
        inner = drawn_layers(layer_names(layer.expr), layers) if isinstance(layer, DerivedLayer) \
            else [name]
        found += [n for n in inner if n not in found]
    return found


def plan(deck: Deck, layers: dict[str, Layer], only: list[str] | None = None) -> list[PlannedRule]:
    """The rules to run, in deck order (``only``: these rule ids)."""
    rules = deck.rules
    if only:
        unknown = [rule_id for rule_id in only if rule_id not in {r.id for r in rules}]
        if unknown:
            raise AdkError(f"{deck.path}: no rule {', '.join(repr(u) for u in unknown)} in deck "
                           f"'{deck.name}'")
        rules = [rule for rule in rules if rule.id in only]
    planned = []
    for rule in rules:
        names = [n for expr in rule_layers(rule) for n in layer_names(expr)]
        planned.append(PlannedRule(rule, tuple(drawn_layers(names, layers))))
    return planned
