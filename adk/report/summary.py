"""A run's terminal and JSON summaries."""

from __future__ import annotations

import json

from adk.checks.base import Marker
from adk.report.rule_table import text_table
from adk.run.result import RuleOutcome, RunResult

COLUMNS = ("rule", "severity", "status", "count", "worst")


def summary_table(result: RunResult) -> str:
    """The rules as a table (with a column of absent layers when a rule read one), then the
    run's warnings and notes, then the counts."""
    absent = any(outcome.missing for outcome in result.outcomes)
    headers = COLUMNS + ("absent layers",) if absent else COLUMNS
    rows = [_row(outcome, absent) for outcome in result.outcomes]
    lines = [text_table(headers, rows)]
    lines += [f"warning: {text}" for text in result.warnings]
    lines += [f"note: {text}" for text in result.notes]
    failed = sum(1 for o in result.outcomes if o.status == "fail")
    total = sum(len(o.markers) for o in result.outcomes)
    unchecked = sum(1 for o in result.outcomes if not o.checked)
    errors = len(result.failed_to_run())
    failed_to_run = f"{errors} failed to run, " if errors else ""
    lines.append(
        f"{len(result.outcomes)} rules, {failed} failed, {failed_to_run}{unchecked} not checked, "
        f"{total} markers in {result.seconds:.2f} s"
    )
    return "\n".join(lines)


def _row(outcome: RuleOutcome, absent: bool) -> list[str]:
    worst = outcome.worst()
    row = [
        outcome.rule.id,
        outcome.rule.severity,
        outcome.status,
        str(len(outcome.markers)),
        worst.text if worst else "",
    ]
    return row + [", ".join(outcome.missing)] if absent else row


def summary_json(result: RunResult, report_path: str | None) -> str:
    return json.dumps(
        {
            "deck": result.deck.name,
            "layout": result.layout_path,
            "top_cell": result.top_cell,
            "report": report_path,
            "missing_layers": result.missing_layers,
            "optional_missing_layers": result.optional_missing,
            "warnings": result.warnings,
            "notes": result.notes,
            "seconds": round(result.seconds, 4),
            "rules": [_outcome_json(outcome) for outcome in result.outcomes],
        },
        indent=2,
    )


def _outcome_json(outcome: RuleOutcome) -> dict:
    worst = outcome.worst()
    return {
        "id": outcome.rule.id,
        "severity": outcome.rule.severity,
        "status": outcome.status,
        "checked": outcome.checked,
        "error": outcome.error,
        "count": len(outcome.markers),
        "worst": worst.text if worst else None,
        "missing_layers": outcome.missing,
        "optional_missing_layers": outcome.optional_missing,
        "seconds": round(outcome.seconds, 4),
        "markers": [_marker_json(m) for m in outcome.markers],
    }


def _marker_json(marker: Marker) -> dict:
    box = marker.shape.bbox()
    return {
        "text": marker.text,
        "measured": marker.measured,
        "bbox_um": [box.left, box.bottom, box.right, box.top],
    }
