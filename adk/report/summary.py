"""The outcome of a run and its terminal and JSON summaries."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..checks.base import Marker
from ..deck import Deck, Rule
from .rule_table import text_table


@dataclass
class RuleOutcome:
    """What one rule found."""

    rule: Rule
    markers: list[Marker] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)   # drawn layers the layout lacks
    seconds: float = 0.0

    @property
    def checked(self) -> bool:
        return not self.missing

    @property
    def status(self) -> str:
        if not self.checked:
            return "not checked"
        return "fail" if self.markers else "pass"

    def worst(self) -> Marker | None:
        """The marker furthest beyond the limit."""
        measured = [m for m in self.markers if m.measured is not None]
        if not measured or not self.rule.check.constraints:
            return self.markers[0] if self.markers else None
        first = self.rule.check.constraints[0]
        if first.op in (">=", ">"):
            return min(measured, key=lambda m: m.measured)
        if first.op in ("<=", "<"):
            return max(measured, key=lambda m: m.measured)
        return max(measured, key=lambda m: abs(m.measured - first.limit.value))


@dataclass
class RunResult:
    """Every rule's outcome for one layout."""

    deck: Deck
    layout_path: str
    top_cell: str
    outcomes: list[RuleOutcome]
    missing_layers: list[str]
    seconds: float = 0.0

    def violations(self, strict: bool = False) -> bool:
        """Whether the run fails: an error-severity violation, or under --strict any
        violation or unchecked rule."""
        for outcome in self.outcomes:
            if outcome.markers and (strict or outcome.rule.severity == "error"):
                return True
            if strict and not outcome.checked:
                return True
        return False


def summary_table(result: RunResult) -> str:
    rows = []
    for outcome in result.outcomes:
        worst = outcome.worst()
        rows.append([outcome.rule.id, outcome.rule.severity, outcome.status,
                     str(len(outcome.markers)), worst.text if worst else ""])
    table = text_table(("rule", "severity", "status", "count", "worst"), rows)
    lines = [table]
    if result.missing_layers:
        lines.append("layers missing from the layout: " + ", ".join(result.missing_layers))
    failed = sum(1 for o in result.outcomes if o.status == "fail")
    total = sum(len(o.markers) for o in result.outcomes)
    unchecked = sum(1 for o in result.outcomes if not o.checked)
    lines.append(f"{len(result.outcomes)} rules, {failed} failed, {unchecked} not checked, "
                 f"{total} markers in {result.seconds:.2f} s")
    return "\n".join(lines)


def summary_json(result: RunResult, report_path: str | None) -> str:
    rules = []
    for outcome in result.outcomes:
        worst = outcome.worst()
        rules.append({
            "id": outcome.rule.id,
            "severity": outcome.rule.severity,
            "status": outcome.status,
            "count": len(outcome.markers),
            "worst": worst.text if worst else None,
            "missing_layers": outcome.missing,
            "seconds": round(outcome.seconds, 4),
            "markers": [_marker_json(m) for m in outcome.markers],
        })
    return json.dumps({
        "deck": result.deck.name, "layout": result.layout_path, "top_cell": result.top_cell,
        "report": report_path, "missing_layers": result.missing_layers,
        "seconds": round(result.seconds, 4), "rules": rules,
    }, indent=2)


def _marker_json(marker: Marker) -> dict:
    box = marker.shape.bbox()
    return {"text": marker.text, "measured": marker.measured,
            "bbox_um": [box.left, box.bottom, box.right, box.top]}
