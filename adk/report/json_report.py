"""The JSON report: the run's JSON summary (``adk.report.summary``) with what waivers and
a baseline say of each marker, and the facts of the run."""

from __future__ import annotations

import json

from adk.report.atomic import write_text_atomically
from adk.report.review import Review, describe_waiver
from adk.report.run_info import RunInfo, run_info
from adk.report.summary import summary_json
from adk.run.result import RuleOutcome, RunResult


def report_data(
    result: RunResult,
    review: Review | None = None,
    info: RunInfo | None = None,
    report_path: str | None = None,
) -> dict:
    """The summary's fields, then ``run``, ``waivers``, ``baseline`` and ``fail_on``;
    each rule and marker gains its waived and baseline standing."""
    review = review or Review()
    data = json.loads(summary_json(result, report_path))
    data["run"] = (info or run_info(result)).as_dict()
    data["fail_on"] = review.fail_on
    data["waivers"] = _waivers(review) if review.waivers_path is not None else None
    data["baseline"] = _baseline(review, result) if review.baseline_path is not None else None
    for outcome, rule in zip(result.outcomes, data["rules"]):
        _annotate_rule(rule, outcome.rule.id, review, outcome)
    return data


def report_json(
    result: RunResult,
    review: Review | None = None,
    info: RunInfo | None = None,
    report_path: str | None = None,
) -> str:
    return json.dumps(report_data(result, review, info, report_path), indent=2)


def write_json(
    result: RunResult,
    path: str,
    review: Review | None = None,
    info: RunInfo | None = None,
    report_path: str | None = None,
) -> None:
    write_text_atomically(
        path, report_json(result, review, info, report_path) + "\n", "JSON report"
    )


def _annotate_rule(rule: dict, rule_id: str, review: Review, outcome: RuleOutcome) -> None:
    """``counting``: the markers that count (not waived; new, under --fail-on new);
    ``fails_run``: whether they fail the run (an error rule, any rule under --strict)."""
    tally = review.tally(outcome)
    rule["waived"] = tally.waived
    rule["counting"] = tally.counted
    rule["fails_run"] = review.fails(outcome)
    if review.baseline_path is not None:
        rule["new"], rule["existing"] = tally.new, tally.existing
    for index, marker in enumerate(rule["markers"]):
        standing = review.of(rule_id, index)
        marker["waived"] = describe_waiver(standing.waiver) if standing.waiver else None
        marker["baseline"] = standing.baseline_state


def _waivers(review: Review) -> dict:
    return {
        "file": review.waivers_path,
        "waived": len(review.waived),
        "stale": [w.where for w in review.stale],
        "expired": [w.where for w, _ in review.expired],
        "unknown_rule": [w.where for w in review.unknown_rule],
    }


def _baseline(review: Review, result: RunResult) -> dict:
    totals = review.totals(result)
    return {
        "file": review.baseline_path,
        "new": totals.new,
        "existing": totals.existing,
        "resolved": review.resolved,
    }
