"""Baselines: the markers of an earlier report, so a run can tell its new violations from
those a design already had (``adk check --baseline OLD.lyrdb --fail-on new``)."""

from __future__ import annotations

from dataclasses import dataclass

from adk.report.matching import BoxIndex, placement_boxes, run_markers
from adk.report.report_reader import ReportMarker, read_report
from adk.run.result import RunResult


@dataclass(frozen=True)
class Baseline:
    path: str
    markers: list[ReportMarker]


def load_baseline(path: str) -> Baseline:
    """A marker database (``.lyrdb``) or a JSON report of an earlier run."""
    return Baseline(path, read_report(path).markers)


@dataclass(frozen=True)
class BaselineMatch:
    existing: set[tuple[str, int]]  # (rule id, position) of this run's markers in the baseline
    resolved: list[ReportMarker]  # the baseline's markers of rules run that this run lacks


def match_baseline(result: RunResult, baseline: Baseline, tolerance: float) -> BaselineMatch:
    """A marker exists in the baseline when a baseline marker of its rule has its box
    within ``tolerance`` (a marker filed in a cell: its box at any placement, and every
    baseline marker matching one of them is matched); baseline markers of rules this run
    did not check are left out of the resolved ones."""
    index: BoxIndex[ReportMarker] = BoxIndex(tolerance)
    for old in baseline.markers:
        index.add(old.rule, old.box, old)
    existing = set()
    matched: set[tuple[str, int]] = set()
    for rule, position, marker in run_markers(result):
        hits = [old for box in placement_boxes(marker) for old in index.find(rule, box, tolerance)]
        if hits:
            existing.add((rule, position))
            matched.update((old.rule, old.index) for old in hits)
    checked = {outcome.rule.id for outcome in result.outcomes if outcome.checked}
    resolved = [
        old
        for old in baseline.markers
        if old.rule in checked and (old.rule, old.index) not in matched
    ]
    return BaselineMatch(existing, resolved)
