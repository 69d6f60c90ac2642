"""JUnit XML reports, for CI systems that show test results (GitLab, Jenkins, ...).

One test suite for the run, one test case per rule. A rule fails when it fails the run
(markers that count, of an error rule, of any rule under --strict): its failure gives the
count and the worst value, and lists the markers. A rule not checked is skipped, with the
reason. Waived markers, and under --fail-on new the existing ones, do not fail a rule;
they are listed in the case's output. A marker filed in a cell is listed once, at its
first placement, with the cell and how many times it is placed.

The rules of a category the deck names (``category``) are grouped by their case's
``classname``, ``adk.DECK.CATEGORY``, beside the others' ``adk.DECK``: CI test views group
cases by class (Jenkins: package and class; GitLab: the suite column), so a category shows
as a group of its rules, each still a case of its own with its severity, failure and
markers. One case per category would merge rules of different severities into one
verdict and lose the rule ids that waivers and baselines name."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from adk.report.atomic import write_text_atomically
from adk.report.categories import named_categories
from adk.report.matching import format_box, marker_box
from adk.report.review import Review
from adk.report.run_info import RunInfo, run_info
from adk.run.result import RuleOutcome, RunResult

# markers listed in one failure; the count always says how many there are
LISTED_MARKERS = 200


def junit_xml(result: RunResult, review: Review | None = None, info: RunInfo | None = None) -> str:
    review = review or Review()
    info = info or run_info(result)
    categories = named_categories(outcome.rule for outcome in result.outcomes)
    cases = [
        _testcase(outcome, _classname(outcome, result.deck.name, categories), review)
        for outcome in result.outcomes
    ]
    failures = sum(case.find("failure") is not None for case in cases)
    skipped = sum(case.find("skipped") is not None for case in cases)
    counts = {
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
        "time": f"{result.seconds:.3f}",
    }
    suites = ET.Element("testsuites", {"name": "adk check", **counts})
    suite_name = f"{result.deck.name} on {result.top_cell}"
    attributes = {"name": suite_name, "timestamp": info.finished_utc, **counts}
    suite = ET.SubElement(suites, "testsuite", attributes)
    _properties(suite, info, review)
    suite.extend(cases)
    if result.warnings or result.notes:
        lines = [f"warning: {t}" for t in result.warnings] + [f"note: {t}" for t in result.notes]
        ET.SubElement(suite, "system-out").text = "\n".join(lines)
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def write_junit(
    result: RunResult, path: str, review: Review | None = None, info: RunInfo | None = None
) -> None:
    write_text_atomically(path, junit_xml(result, review, info), "JUnit report")


def _properties(suite: ET.Element, info: RunInfo, review: Review) -> None:
    properties = ET.SubElement(suite, "properties")
    values = info.as_dict() | {
        "fail_on": review.fail_on,
        "waivers": review.waivers_path,
        "baseline": review.baseline_path,
    }
    for name, value in values.items():
        if value is not None:
            ET.SubElement(properties, "property", name=name, value=str(value))


def _classname(outcome: RuleOutcome, deck: str, categories: dict) -> str:
    """``adk.DECK``, and ``.CATEGORY`` after it for a rule of a category the deck names."""
    category = outcome.rule.reported_under
    return f"adk.{deck}.{category}" if category in categories else f"adk.{deck}"


def _testcase(outcome: RuleOutcome, classname: str, review: Review) -> ET.Element:
    rule = outcome.rule
    case = ET.Element("testcase", name=rule.id, classname=classname, time=f"{outcome.seconds:.3f}")
    if outcome.error is not None:  # JUnit's "error": the test could not run
        ET.SubElement(case, "error", message=outcome.error, type="rule error")
        return case
    if not outcome.checked:
        absent = ", ".join(outcome.missing)
        ET.SubElement(case, "skipped", message=f"{outcome.status}: layers absent: {absent}")
        return case
    counting, other = _marker_lines(outcome, review)
    shown = counting + other
    if review.fails(outcome):
        failure = ET.SubElement(
            case, "failure", message=_failure_message(outcome, review), type=rule.severity
        )
        failure.text = _listing(counting)
        shown = other
    if shown:
        ET.SubElement(case, "system-out").text = _listing(shown)
    return case


def _failure_message(outcome: RuleOutcome, review: Review) -> str:
    """The count of markers that fail the run and the worst of them."""
    counted = [m for i, m in enumerate(outcome.markers) if review.counts(outcome.rule.id, i)]
    worst = replace(outcome, markers=counted).worst()
    plural = "s" if len(counted) != 1 else ""
    worst_text = worst.text if worst else ""
    placed = sum(marker.placements for marker in counted)
    placements = f", {placed} placed" if placed != len(counted) else ""
    return (
        f"{len(counted)} marker{plural} ({outcome.rule.severity}{placements}), worst: {worst_text}"
    )


def _marker_lines(outcome: RuleOutcome, review: Review) -> tuple[list[str], list[str]]:
    """The rule's markers as lines: those that count, and the others (waived, existing)."""
    counting: list[str] = []
    other: list[str] = []
    for index, marker in enumerate(outcome.markers):
        standing = review.of(outcome.rule.id, index)
        line = f"{index + 1}: {marker.text} at {format_box(marker_box(marker))}"
        if marker.filed is not None:
            line += f" [cell {marker.filed.cell}, {marker.placements} placements]"
        if standing.baseline_state:
            line += f" [{standing.baseline_state}]"
        if standing.waiver is not None:
            waiver = standing.waiver
            line += f" [waived: {waiver.reason} ({waiver.owner}), {waiver.where}]"
        (counting if review.counts(outcome.rule.id, index) else other).append(line)
    return counting, other


def _listing(lines: list[str]) -> str:
    more = len(lines) - LISTED_MARKERS
    return "\n".join(lines[:LISTED_MARKERS] + ([f"... and {more} more"] if more > 0 else []))
