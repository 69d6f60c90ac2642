"""What a run found: every rule's outcome with its markers."""

from __future__ import annotations

from dataclasses import dataclass, field

from adk.checks.base import Marker
from adk.lang.model import Deck, Rule


@dataclass
class RuleOutcome:
    """What one rule found."""

    rule: Rule
    markers: list[Marker] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # drawn layers the layout lacks
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
            return min(measured, key=_measured)
        if first.op in ("<=", "<"):
            return max(measured, key=_measured)
        return max(measured, key=lambda m: abs(_measured(m) - first.limit.value))


def _measured(marker: Marker) -> float:
    assert marker.measured is not None, "only markers with a measured value are ranked"
    return marker.measured


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
