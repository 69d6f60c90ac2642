"""A run's terminal and JSON summaries."""

from __future__ import annotations

import json

from adk.checks.base import Marker
from adk.report.rule_table import text_table
from adk.run.result import RunResult


def summary_table(result: RunResult) -> str:
    rows = []
    for outcome in result.outcomes:
        worst = outcome.worst()
        rows.append(
            [
                outcome.rule.id,
                outcome.rule.severity,
                outcome.status,
                str(len(outcome.markers)),
                worst.text if worst else "",
            ]
        )
    table = text_table(("rule", "severity", "status", "count", "worst"), rows)
    lines = [table]
    if result.missing_layers:
        lines.append("layers missing from the layout: " + ", ".join(result.missing_layers))
    failed = sum(1 for o in result.outcomes if o.status == "fail")
    total = sum(len(o.markers) for o in result.outcomes)
    unchecked = sum(1 for o in result.outcomes if not o.checked)
    lines.append(
        f"{len(result.outcomes)} rules, {failed} failed, {unchecked} not checked, "
        f"{total} markers in {result.seconds:.2f} s"
    )
    return "\n".join(lines)


def summary_json(result: RunResult, report_path: str | None) -> str:
    rules = []
    for outcome in result.outcomes:
        worst = outcome.worst()
        rules.append(
            {
                "id": outcome.rule.id,
                "severity": outcome.rule.severity,
                "status": outcome.status,
                "count": len(outcome.markers),
                "worst": worst.text if worst else None,
                "missing_layers": outcome.missing,
                "seconds": round(outcome.seconds, 4),
                "markers": [_marker_json(m) for m in outcome.markers],
            }
        )
    return json.dumps(
        {
            "deck": result.deck.name,
            "layout": result.layout_path,
            "top_cell": result.top_cell,
            "report": report_path,
            "missing_layers": result.missing_layers,
            "seconds": round(result.seconds, 4),
            "rules": rules,
        },
        indent=2,
    )


def _marker_json(marker: Marker) -> dict:
    box = marker.shape.bbox()
    return {
        "text": marker.text,
        "measured": marker.measured,
        "bbox_um": [box.left, box.bottom, box.right, box.top],
    }
