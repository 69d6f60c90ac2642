"""The text report: the terminal's summary table, with what waivers and a baseline say,
to a file (``--report text:PATH``) or the terminal."""

from __future__ import annotations

from adk.report.atomic import write_text_atomically
from adk.report.review import Review
from adk.report.rule_table import text_table
from adk.report.summary import summary_table
from adk.run.result import RunResult

REVIEW_COLUMNS = ("rule", "markers", "waived", "new", "existing", "counting")


def text_summary(result: RunResult, review: Review | None = None) -> str:
    """The summary table; with waivers or a baseline, then a table of the rules with
    markers, how many are waived, new and existing, and how many fail the run."""
    review = review or Review()
    parts = [summary_table(result)]
    if review.active:
        rows = [_review_row(outcome, review) for outcome in result.outcomes if outcome.markers]
        if rows:
            parts.append(text_table(REVIEW_COLUMNS, rows))
        parts += review.summary_lines(result)
    return "\n".join(parts)


def _review_row(outcome, review: Review) -> list[str]:
    tally = review.tally(outcome)
    baseline = review.baseline_path is not None
    return [
        outcome.rule.id,
        str(tally.markers),
        str(tally.waived),
        str(tally.new) if baseline else "-",
        str(tally.existing) if baseline else "-",
        str(tally.counted),
    ]


def write_text(result: RunResult, path: str, review: Review | None = None) -> None:
    write_text_atomically(path, text_summary(result, review) + "\n", "text report")
