"""A run's terminal and JSON summaries."""

from __future__ import annotations

import json

import klayout.db as kdb

from adk.checks.base import Marker
from adk.report.rule_table import text_table
from adk.run.result import RuleOutcome, RunResult

COLUMNS = ("rule", "severity", "status", "count", "worst")


def summary_table(result: RunResult) -> str:
    """The rules as a table (with a column ``placed`` when a marker is filed in a cell: the
    markers counted once per placement, and a column of absent layers when a rule read
    one), then the run's warnings and notes, then the counts."""
    absent = any(outcome.missing for outcome in result.outcomes)
    placed = result.filed_in_cells()
    headers = COLUMNS[:4] + ("placed",) * placed + COLUMNS[4:] + ("absent layers",) * absent
    rows = [_row(outcome, absent, placed) for outcome in result.outcomes]
    if any(o.rule.reported_under != o.rule.id for o in result.outcomes):
        # a column of the categories the rules are reported under, when a rule names one
        headers = headers[:1] + ("category",) + headers[1:]
        rows = [
            row[:1] + [o.rule.reported_under] + row[1:] for o, row in zip(result.outcomes, rows)
        ]
    lines = [text_table(headers, rows)]
    lines += [f"warning: {text}" for text in result.warnings]
    lines += [f"note: {text}" for text in result.notes]
    failed = sum(1 for o in result.outcomes if o.status == "fail")
    total = sum(len(o.markers) for o in result.outcomes)
    placements = f" ({sum(o.placed for o in result.outcomes)} placed)" if placed else ""
    unchecked = sum(1 for o in result.outcomes if not o.checked)
    errors = len(result.failed_to_run())
    failed_to_run = f"{errors} failed to run, " if errors else ""
    lines.append(
        f"{len(result.outcomes)} rules, {failed} failed, {failed_to_run}{unchecked} not checked, "
        f"{total} markers{placements} in {result.seconds:.2f} s"
    )
    return "\n".join(lines)


def _row(outcome: RuleOutcome, absent: bool, placed: bool) -> list[str]:
    worst = outcome.worst()
    row = [outcome.rule.id, outcome.rule.severity, outcome.status, str(len(outcome.markers))]
    row += [str(outcome.placed)] * placed + [worst.text if worst else ""]
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
            "rules": [_outcome_json(outcome, result.top_cell) for outcome in result.outcomes],
        },
        indent=2,
    )


def _outcome_json(outcome: RuleOutcome, top_cell: str) -> dict:
    worst = outcome.worst()
    return {
        "id": outcome.rule.id,
        "category": outcome.rule.reported_under,
        "severity": outcome.rule.severity,
        "status": outcome.status,
        "checked": outcome.checked,
        "error": outcome.error,
        "count": len(outcome.markers),
        "placed": outcome.placed,
        "worst": worst.text if worst else None,
        "missing_layers": outcome.missing,
        "optional_missing_layers": outcome.optional_missing,
        "seconds": round(outcome.seconds, 4),
        "markers": [_marker_json(m, top_cell) for m in outcome.markers],
    }


def _marker_json(marker: Marker, top_cell: str) -> dict:
    """``bbox_um`` in the top cell (a marker filed in a cell: at its first placement);
    ``cell`` the cell it is filed in, ``placements`` how many times that cell is placed,
    ``cell_bbox_um`` the box in the cell's coordinates (null in the top cell); ``nets`` the
    nets it involves (the net checks': ``adk waive --net`` finds them here)."""
    filing = marker.filed
    return {
        "text": marker.text,
        "measured": marker.measured,
        "bbox_um": _box(marker.shape.bbox()),
        "cell": filing.cell if filing else top_cell,
        "placements": marker.placements,
        "cell_bbox_um": _box(filing.shape.bbox()) if filing else None,
        "nets": list(marker.nets),
    }


def _box(box: kdb.DBox) -> list[float]:
    return [box.left, box.bottom, box.right, box.top]
