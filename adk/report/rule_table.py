"""``adk rules``: a deck's rules as a table or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from adk.lang.model import Deck, LayerRef, Rule, layer_text
from adk.lang.units import Quantity

COLUMNS = ("id", "check", "layers", "value", "severity", "description")


def rule_row(rule: Rule, unit: str) -> dict[str, str]:
    """One rule as the table's columns."""
    check = rule.check
    layers = [layer_text(expr) for expr in check.layers]
    params = []
    for name, value in check.params:
        if isinstance(value, Quantity):
            params.append(f"{name} {value.format(unit)}")
        elif isinstance(value, str):
            params.append(f"{name} {value}")
        else:
            text = layer_text(value)
            params.append(f"{name} {text if isinstance(value, LayerRef) else '(' + text + ')'}")
    value = "; ".join(f"{c.prop} {c.op} {c.limit.format(unit)}" for c in check.constraints)
    return {
        "id": rule.id,
        "category": rule.reported_under,
        "check": check.kind,
        "layers": ", ".join(layers + params),
        "value": value,
        "severity": rule.severity,
        "description": rule.description,
    }


def rules_json(deck: Deck) -> str:
    rows = [dict(rule_row(rule, deck.units), location=str(rule.span)) for rule in deck.rules]
    return json.dumps(
        {"deck": deck.name, "title": deck.title, "version": deck.version, "rules": rows}, indent=2
    )


def rules_table(deck: Deck) -> str:
    """The rules, with a column of the categories they are reported under when a rule
    names one."""
    rows = [rule_row(rule, deck.units) for rule in deck.rules]
    categorised = any(rule.reported_under != rule.id for rule in deck.rules)
    columns = COLUMNS[:1] + ("category",) + COLUMNS[1:] if categorised else COLUMNS
    return text_table(columns, [[row[c] for c in columns] for row in rows])


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned table."""
    widths = [max([len(h)] + [len(str(r[i])) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[object]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])
