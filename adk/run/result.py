"""What a run found: every rule's outcome with its markers."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from adk.checks.base import Marker
from adk.lang.model import Deck, Rule
from adk.run.guard import INTERNAL


@dataclass
class RuleOutcome:
    """What one rule found.

    A drawn layer the layout lacks reads as empty. A rule runs when at least one drawn
    layer it reads is present; when every one is absent there is nothing to check it
    on, and it is not checked."""

    rule: Rule
    markers: list[Marker] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # drawn layers it reads the layout lacks
    seconds: float = 0.0
    optional_missing: list[str] = field(default_factory=list)  # of those, the optional ones
    checked: bool = True  # False: every drawn layer it reads is absent, so it did not run
    error: str | None = None  # why the rule failed to run (adk.run.guard); then no markers

    @property
    def internal_error(self) -> bool:
        """Whether the rule failed by a bug rather than for its input."""
        return self.error is not None and self.error.startswith(INTERNAL)

    @property
    def excused(self) -> bool:
        """Not checked, but only for absent layers the deck marks optional."""
        return not self.checked and set(self.missing) <= set(self.optional_missing)

    @property
    def required_missing(self) -> list[str]:
        """The absent drawn layers it reads that the deck does not mark optional."""
        return [name for name in self.missing if name not in self.optional_missing]

    @property
    def placed(self) -> int:
        """The markers counted once per placement of the cells they are filed in: as many
        as a run with ``--flat-markers`` gives."""
        return sum(marker.placements for marker in self.markers)

    def flat(self) -> RuleOutcome:
        """The outcome with every marker at each of its placements, in the top cell, in
        the order of a run with ``--flat-markers``."""
        if not any(marker.filed for marker in self.markers):
            return self
        markers = [placed for marker in self.markers for placed in marker.each_placement()]
        return replace(self, markers=sorted(markers, key=lambda m: m.sort_key()))

    @property
    def status(self) -> str:
        if self.error is not None:
            return "error"
        if self.excused:
            return "not checked (optional layers absent)"
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
    """Every rule's outcome for one layout, with what the reports should say about the
    run as a whole: ``warnings`` (layers absent, a deck that seems not to fit the layout)
    and ``notes`` (optional layers absent)."""

    deck: Deck
    layout_path: str
    top_cell: str
    outcomes: list[RuleOutcome]
    missing_layers: list[str]  # drawn layers the planned rules read and the layout lacks
    seconds: float = 0.0
    optional_missing: list[str] = field(default_factory=list)  # of those, the optional ones
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def violations(self, strict: bool = False) -> bool:
        """Whether an error-severity rule has markers; under --strict, whether any rule has."""
        return any(
            outcome.markers and (strict or outcome.rule.severity == "error")
            for outcome in self.outcomes
        )

    def failed_to_run(self) -> list[RuleOutcome]:
        """The rules that raised an error: the run fails, whatever the others found."""
        return [outcome for outcome in self.outcomes if outcome.error is not None]

    def filed_in_cells(self) -> bool:
        """Whether a marker is filed in a cell other than the top."""
        return any(marker.filed for outcome in self.outcomes for marker in outcome.markers)

    def flat(self) -> RunResult:
        """The run with every marker in the top cell, one per placement: what
        ``--flat-markers`` gives."""
        return replace(self, outcomes=[outcome.flat() for outcome in self.outcomes])

    def unchecked(self) -> list[RuleOutcome]:
        """The rules not checked for absent layers the deck does not mark optional: a run
        with any does not pass, unless the user allows it."""
        return [outcome for outcome in self.outcomes if not outcome.checked and not outcome.excused]
