"""SARIF 2.1.0 reports, for code scanning (GitHub) and other SARIF viewers.

SARIF locates results in text: lines and columns. A layout is binary, so a result names
the layout as its artifact with ``region: {startLine: 1}`` (GitHub shows no alert
without a start line) and gives the violation's place in the layout in its message and
in ``properties.bbox_um`` (left, bottom, right, top in µm, top cell coordinates), with the
top cell as its logical location. A marker filed in a cell (docs/checking.md) is one
result at its first placement, its message and ``properties`` naming the cell and how
many times it is placed. Since every result then has the same line, each
carries a fingerprint of its rule and box, so code scanning tells them apart and follows
them from run to run. Waived markers carry ``suppressions``; with a baseline, every
result has a ``baselineState`` (``new`` or ``unchanged``). docs/reports.md has more.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import pathlib
from urllib.parse import quote

from adk.checks.base import Marker
from adk.lang.model import Rule
from adk.report.atomic import write_text_atomically
from adk.report.categories import category_description, named_categories
from adk.report.matching import format_box, marker_box
from adk.report.review import Review, describe_waiver
from adk.report.rule_table import rule_row
from adk.report.run_info import RunInfo, run_info
from adk.report.waivers import Waiver
from adk.run.result import RuleOutcome, RunResult
from adk.version import __version__

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
SOURCE_ROOT = "%SRCROOT%"
# the taxonomy of the categories a deck names: each a taxon, a superset of its rules
CATEGORIES = "adk categories"


def sarif_log(result: RunResult, review: Review | None = None, info: RunInfo | None = None) -> dict:
    """The whole log: one run of the tool ``adk`` over the layout."""
    review = review or Review()
    info = info or run_info(result)
    artifact = _artifact_location(result.layout_path)
    run: dict = {
        "tool": {"driver": _driver(result)},
        "automationDetails": {
            "id": f"adk/{result.deck.name}/{os.path.basename(result.layout_path)}/"
        },
        "invocations": [_invocation(result, info)],
        "artifacts": [{"location": artifact, "roles": ["analysisTarget"]}],
        "results": [
            _result(outcome, index, marker, artifact, result.top_cell, review)
            for outcome in result.outcomes
            for index, marker in enumerate(outcome.markers)
        ],
        "properties": _run_properties(result, review),
        **_taxonomies(result),
        # the folder relative paths start from: a CI checkout's root
        "originalUriBaseIds": {SOURCE_ROOT: {"uri": pathlib.Path.cwd().as_uri() + "/"}},
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def sarif_text(result: RunResult, review: Review | None = None, info: RunInfo | None = None) -> str:
    return json.dumps(sarif_log(result, review, info), indent=2)


def write_sarif(
    result: RunResult, path: str, review: Review | None = None, info: RunInfo | None = None
) -> None:
    write_text_atomically(path, sarif_text(result, review, info) + "\n", "SARIF report")


def _driver(result: RunResult) -> dict:
    taxa = list(named_categories(result.deck.rules))
    return {
        "name": "adk",
        "fullName": f"adk (assembly design kit rule checker), deck {result.deck.name}",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": [_rule_descriptor(rule, result.deck.units, taxa) for rule in result.deck.rules],
    }


def _rule_descriptor(rule: Rule, units: str, taxa: list[str]) -> dict:
    """The rule, its category in ``properties`` (its id when it names none, as in the JSON
    report); a rule of a category the deck names also as a tag, which code scanning shows
    and filters by, and as a relationship to the category's taxon."""
    row = rule_row(rule, units)
    check = f"{row['check']}({row['layers']}) {row['value']}".strip()
    categorised = rule.reported_under in taxa
    tags = ["layout", rule.check.kind] + [f"category {rule.reported_under}"] * categorised
    descriptor: dict = {
        "id": rule.id,
        "shortDescription": {"text": rule.description or rule.id},
        "fullDescription": {"text": f"{rule.description or rule.id}: {check}"},
        "help": {"text": f"Rule {rule.id} ({rule.severity}): {check}. Defined at {_where(rule)}."},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "check": check,
            "severity": rule.severity,
            "category": rule.reported_under,
            "tags": tags,
        },
    }
    if categorised:
        descriptor["relationships"] = [_category_relationship(rule, taxa)]
    return descriptor


def _category_relationship(rule: Rule, taxa: list[str]) -> dict:
    """The rule's category is a superset of it: SARIF then counts a result of the rule
    as one of the category too."""
    category = rule.reported_under
    return {
        "target": {
            "id": category,
            "index": taxa.index(category),
            "toolComponent": {"name": CATEGORIES, "index": 0},
        },
        "kinds": ["superset"],
    }


def _taxonomies(result: RunResult) -> dict:
    """The categories the deck names as the taxa of one taxonomy; none without them."""
    categories = named_categories(result.deck.rules)
    if not categories:
        return {}
    taxa = [
        {"id": name, "shortDescription": {"text": category_description(members)}}
        for name, members in categories.items()
    ]
    return {"taxonomies": [{"name": CATEGORIES, "taxa": taxa}]}


def _where(rule: Rule) -> str:
    """The rule's place in its deck, relative to the working folder when inside it."""
    path = pathlib.Path(rule.span.file).resolve()
    with contextlib.suppress(ValueError):  # outside: the absolute path
        path = path.relative_to(pathlib.Path.cwd().resolve())
    return f"{path.as_posix()}:{rule.span.line}"


def _result(
    outcome: RuleOutcome, index: int, marker: Marker, artifact: dict, top_cell: str, review: Review
) -> dict:
    rule = outcome.rule
    box = marker_box(marker)
    standing = review.of(rule.id, index)
    found: dict = {
        "ruleId": rule.id,
        "level": LEVELS[rule.severity],
        "kind": "fail",
        "message": {"text": f"{marker.text} at {format_box(box)} in {top_cell}{_cell(marker)}"},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": artifact, "region": {"startLine": 1}},
                "logicalLocations": [{"name": top_cell, "kind": "module"}],
            }
        ],
        # every result has line 1: the box, not the line, tells the same violation again
        "partialFingerprints": {"primaryLocationLineHash": _fingerprint(rule.id, box)},
        "properties": {
            "bbox_um": list(box),
            "measured": marker.measured,
            "index": index + 1,
            "cell": marker.filed.cell if marker.filed else top_cell,
            "placements": marker.placements,
        },
    }
    if standing.waiver is not None:
        found["suppressions"] = [_suppression(standing.waiver)]
    if standing.existing is not None:
        found["baselineState"] = "unchanged" if standing.existing else "new"
    return found


def _cell(marker: Marker) -> str:
    """Where a marker filed in a cell is, beside its first placement's box."""
    if marker.filed is None:
        return ""
    return f", cell {marker.filed.cell} at the first of its {marker.placements} placements"


def _fingerprint(rule_id: str, box: tuple[float, ...]) -> str:
    """The rule and the box to a nanometre: stable across runs of the same layout."""
    text = rule_id + "|" + ",".join(f"{value:.3f}" for value in box)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _suppression(waiver: Waiver) -> dict:
    details = describe_waiver(waiver)
    return {
        "kind": "external",
        "status": "accepted",
        "justification": f"{waiver.reason} (owner {waiver.owner})",
        "location": {
            "physicalLocation": {
                "artifactLocation": _artifact_location(waiver.file),
                "region": {"startLine": max(waiver.line, 1)},
            }
        },
        "properties": details,
    }


def _invocation(result: RunResult, info: RunInfo) -> dict:
    finished = datetime.datetime.strptime(info.finished_utc, "%Y-%m-%dT%H:%M:%SZ")
    started = finished - datetime.timedelta(seconds=info.seconds)
    return {
        "executionSuccessful": not result.failed_to_run(),
        "startTimeUtc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endTimeUtc": info.finished_utc,
        "workingDirectory": {"uri": pathlib.Path.cwd().as_uri() + "/"},
        "toolExecutionNotifications": _notifications(result),
        "properties": info.as_dict(),
    }


def _notifications(result: RunResult) -> list[dict]:
    """The run's warnings (review warnings among them) and the rules not checked."""
    notes = [{"level": "warning", "message": {"text": text}} for text in result.warnings]
    notes += [{"level": "note", "message": {"text": text}} for text in result.notes]
    for outcome in result.failed_to_run():
        notes.append(
            {
                "level": "error",
                "message": {"text": f"{outcome.rule.id} failed to run: {outcome.error}"},
                "descriptor": {"id": outcome.rule.id},
            }
        )
    for outcome in result.outcomes:
        if not outcome.checked:
            absent = ", ".join(outcome.missing)
            notes.append(
                {
                    "level": "note" if outcome.excused else "warning",
                    "message": {
                        "text": f"{outcome.rule.id} {outcome.status}: layers absent: {absent}"
                    },
                    "descriptor": {"id": outcome.rule.id},
                }
            )
    return notes


def _run_properties(result: RunResult, review: Review) -> dict:
    totals = review.totals(result)
    return {
        "deck": result.deck.name,
        "layout": result.layout_path,
        "top_cell": result.top_cell,
        "markers": totals.markers,
        "placed": sum(outcome.placed for outcome in result.outcomes),
        "waived": totals.waived,
        "counting": totals.counted,
        "new": totals.new if review.baseline_path else None,
        "existing": totals.existing if review.baseline_path else None,
        "resolved": review.resolved if review.baseline_path else None,
        "fail_on": review.fail_on,
        "waivers": review.waivers_path,
        "baseline": review.baseline_path,
        "failed_rules": [o.rule.id for o in result.outcomes if review.fails(o)],
        "not_checked": [o.rule.id for o in result.outcomes if not o.checked],
    }


def _artifact_location(path: str) -> dict:
    """A path under the working directory (a CI checkout) as relative to the source root,
    as code scanning needs; another as an absolute file URI."""
    absolute = pathlib.Path(path).resolve()
    try:
        relative = absolute.relative_to(pathlib.Path.cwd().resolve())
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": SOURCE_ROOT}
