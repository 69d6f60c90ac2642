"""The plan: which rules run, which drawn layers each needs, how far each looks."""

from __future__ import annotations

from dataclasses import dataclass

from adk import checks
from adk.errors import AdkError
from adk.lang.model import (
    BoolOp,
    Deck,
    DerivedLayer,
    Layer,
    LayerExpr,
    LayerRef,
    Rule,
    Select,
    Sizing,
    is_drawn,
    layer_names,
)

LAYER_EXPRS = (LayerRef, BoolOp, Sizing, Select)


@dataclass(frozen=True)
class PlannedRule:
    rule: Rule
    drawn: tuple[str, ...]  # every drawn layer the rule reads, derived layers expanded
    ambit: float | None = None  # µm a marker's inputs lie around it; None: run untiled
    footprint: float = 0.0  # µm: the size of a typical marker (a density window)

    @property
    def tiled(self) -> bool:
        return self.ambit is not None

    @property
    def halo(self) -> float:
        """How far past a tile its inputs are read: markers owned by the tile and what
        they depend on fall inside, so few tiles need a second, larger pass."""
        assert self.ambit is not None, f"{self.rule.id} runs untiled: it has no halo"
        return self.ambit + max(self.ambit, self.footprint)


def rule_layers(rule: Rule) -> list[LayerExpr]:
    """Every layer expression a rule's check reads."""
    params = [value for _, value in rule.check.params if isinstance(value, LAYER_EXPRS)]
    return list(rule.check.layers) + params


def drawn_layers(names: list[str], layers: dict[str, Layer]) -> list[str]:
    """The drawn layers behind ``names``, derived layers expanded, in first-use order."""
    found: list[str] = []
    for name in names:
        layer = layers[name]
        inner = (
            drawn_layers(layer_names(layer.expr), layers)
            if isinstance(layer, DerivedLayer)
            else [name]
        )
        found += [n for n in inner if n not in found]
    return found


def _planned(rule: Rule, layers: dict[str, Layer]) -> PlannedRule:
    exprs = rule_layers(rule)
    names = [n for expr in exprs for n in layer_names(expr)]
    drawn = tuple(drawn_layers(names, layers))
    ambit = checks.ambit(rule.check)
    # rules reading derived layers run untiled: a boolean's intersection points are
    # snapped to the grid, and an edge of its result ending at such a point far outside
    # a tile would lie differently there
    if ambit is None or not all(is_drawn(expr, layers) for expr in exprs):
        return PlannedRule(rule, drawn)
    return PlannedRule(rule, drawn, ambit, checks.footprint(rule.check))


def plan(deck: Deck, layers: dict[str, Layer], only: list[str] | None = None) -> list[PlannedRule]:
    """The rules to run, in deck order (``only``: these rule ids, or categories: the rules
    reported under them)."""
    rules = deck.rules
    if only:
        known = {r.id for r in rules} | {r.reported_under for r in rules}
        unknown = [rule_id for rule_id in only if rule_id not in known]
        if unknown:
            raise AdkError(
                f"{deck.path}: no rule {', '.join(repr(u) for u in unknown)} in deck '{deck.name}'"
            )
        rules = [rule for rule in rules if rule.id in only or rule.reported_under in only]
    return [_planned(rule, layers) for rule in rules]
