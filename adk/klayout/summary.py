"""The text the ADK menu shows after a run: what was checked, what failed, what could not be
checked and why, the markers and the time; or, for a cancelled run, how far it got."""

from __future__ import annotations

import os
from collections.abc import Callable

from adk.run.result import RuleOutcome, RunResult


def run_summary(result: RunResult, report: str = "") -> str:
    """A run in a few lines: the counts first, then each failed and each unchecked rule."""
    outcomes = result.outcomes
    failed = [o for o in outcomes if o.status == "fail"]
    unchecked = [o for o in outcomes if not o.checked]
    checked = len(outcomes) - len(unchecked)
    markers = sum(len(o.markers) for o in outcomes)
    deck = " ".join(filter(None, (result.deck.name, result.deck.version)))
    lines = [
        f"{deck} on {os.path.basename(result.layout_path)} (cell {result.top_cell}), "
        f"{result.seconds:.1f} s",
        f"{len(outcomes)} rules: {checked} checked ({len(failed)} failed, "
        f"{checked - len(failed)} passed), {len(unchecked)} not checked",
        f"{markers} markers{_by_severity(failed)}",
    ]
    if result.missing_layers:
        lines.append("layers absent from the layout: " + ", ".join(result.missing_layers))
    if failed:
        lines += ["", "failed:", *_rule_lines(failed, _failure)]
    if unchecked:
        lines += ["", "not checked:", *_rule_lines(unchecked, _absence)]
    if report:
        lines += ["", f"marker database: {report}"]
    return "\n".join(lines) + "\n"


def cancelled_summary(deck_name: str, done: int, total: int, next_rule: str = "") -> str:
    """A cancelled run: how many rules had run, and that nothing was written."""
    where = f", before {next_rule}" if next_rule else ""
    return (
        f"{deck_name}: cancelled after {done} of {total} rules{where}.\n"
        "No marker database was written; the markers of an earlier run are unchanged.\n"
    )


def _by_severity(failed: list[RuleOutcome]) -> str:
    counts: dict[str, int] = {}
    for outcome in failed:
        counts[outcome.rule.severity] = counts.get(outcome.rule.severity, 0) + len(outcome.markers)
    return ": " + ", ".join(f"{n} {severity}" for severity, n in counts.items()) if counts else ""


def _failure(outcome: RuleOutcome) -> str:
    count = len(outcome.markers)
    return (
        f"{count:>4} marker{' ' if count == 1 else 's'}  {outcome.rule.severity:<7}  "
        f"{outcome.rule.description}"
    ).rstrip()


def _absence(outcome: RuleOutcome) -> str:
    """Why a rule was not checked: the layers it reads that the layout lacks."""
    why = f"absent: {', '.join(outcome.missing)}"
    return why if outcome.status == "not checked" else f"{why}; {outcome.status}"


def _rule_lines(outcomes: list[RuleOutcome], detail: Callable[[RuleOutcome], str]) -> list[str]:
    width = max(len(o.rule.id) for o in outcomes)
    return [f"  {o.rule.id:<{width}}  {detail(o)}" for o in outcomes]
