"""The text the ADK menu shows after a run: what was checked, what failed, what could not be
checked and why, the markers and the time, what the waiver file waived; or, for a cancelled
run, how far it got."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from adk.run.result import RuleOutcome, RunResult

if TYPE_CHECKING:
    # for annotations only: this module loads without klayout (the review's modules need it)
    from adk.report.review import Review


def failed_rules(result: RunResult, review: Review | None = None) -> list[RuleOutcome]:
    """The rules with markers that count: a rule whose every marker is waived passes."""
    return [
        o
        for o in result.outcomes
        if o.status == "fail" and (review is None or review.tally(o).counted > 0)
    ]


def run_summary(result: RunResult, report: str = "", review: Review | None = None) -> str:
    """A run in a few lines: the counts first, then each failed and each unchecked rule;
    with ``review``, waived markers are counted apart and fail no rule."""
    outcomes = result.outcomes
    failed = failed_rules(result, review)
    unchecked = [o for o in outcomes if not o.checked]
    checked = len(outcomes) - len(unchecked)
    markers = sum(len(o.markers) for o in outcomes)
    placed = sum(o.placed for o in outcomes)  # markers filed in a cell: once per placement
    placements = f" ({placed} placed)" if placed != markers else ""
    deck = " ".join(filter(None, (result.deck.name, result.deck.version)))
    lines = [
        f"{deck} on {os.path.basename(result.layout_path)} (cell {result.top_cell}), "
        f"{result.seconds:.1f} s",
        f"{len(outcomes)} rules: {checked} checked ({len(failed)} failed, "
        f"{checked - len(failed)} passed), {len(unchecked)} not checked",
        f"{markers} markers{placements}{_by_severity(result, failed, review)}",
    ]
    if result.missing_layers:
        lines.append("layers absent from the layout: " + ", ".join(result.missing_layers))
    if review is not None and review.waivers_path is not None:
        lines += _waiver_lines(result, review)
    if failed:
        lines += ["", "failed:", *_rule_lines(failed, partial(_failure, review=review))]
    if unchecked:
        lines += ["", "not checked:", *_rule_lines(unchecked, _absence)]
    if report:
        lines += ["", f"marker database: {report}"]
    return "\n".join(lines) + "\n"


def cancelled_summary(
    deck_name: str, done: int, total: int, rule: str = "", tiles_done: int = 0, tiles: int = 1
) -> str:
    """A cancelled run: how many rules had run, how far the rule running had got (``rule``,
    ``tiles_done`` of its ``tiles``), and that nothing was written."""
    where = f", during {rule}" if rule else ""
    if rule and tiles > 1:
        where += f" ({tiles_done} of its {tiles} tiles done)"
    reached = f"after {done} of {total} rules{where}" if total else "before the first rule"
    return (
        f"{deck_name}: cancelled {reached}.\n"
        "No marker database was written; the markers of an earlier run are unchanged.\n"
    )


def _by_severity(result: RunResult, failed: list[RuleOutcome], review: Review | None) -> str:
    counts: dict[str, int] = {}
    for outcome in failed:
        severity = outcome.rule.severity
        counts[severity] = counts.get(severity, 0) + _counted(outcome, review)
    parts = [f"{n} {severity}" for severity, n in counts.items()]
    waived = review.totals(result).waived if review is not None else 0
    if waived:
        parts.append(f"{waived} waived")
    return ": " + ", ".join(parts) if parts else ""


def _counted(outcome: RuleOutcome, review: Review | None) -> int:
    return len(outcome.markers) if review is None else review.tally(outcome).counted


def _failure(outcome: RuleOutcome, review: Review | None = None) -> str:
    count = _counted(outcome, review)
    waived = review.tally(outcome).waived if review is not None else 0
    return (
        f"{count:>4} marker{' ' if count == 1 else 's'}  {outcome.rule.severity:<7}  "
        f"{outcome.rule.description}{f' (+{waived} waived)' if waived else ''}"
    ).rstrip()


def _waiver_lines(result: RunResult, review: Review) -> list[str]:
    """The waiver file's counts, then each of its stale or expired entries."""
    counts = review.summary_lines(result)[:1]
    return counts + [f"  {line}" for line in review.warnings(result.deck.name)]


def _absence(outcome: RuleOutcome) -> str:
    """Why a rule was not checked: the layers it reads that the layout lacks."""
    why = f"absent: {', '.join(outcome.missing)}"
    return why if outcome.status == "not checked" else f"{why}; {outcome.status}"


def _rule_lines(outcomes: list[RuleOutcome], detail: Callable[[RuleOutcome], str]) -> list[str]:
    width = max(len(o.rule.id) for o in outcomes)
    return [f"  {o.rule.id:<{width}}  {detail(o)}" for o in outcomes]
