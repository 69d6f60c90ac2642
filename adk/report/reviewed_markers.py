"""The marker database with what waivers and a baseline say: a waived marker's item is
tagged ``waived`` (the tag KLayout's marker browser counts as waived) with the waiver's
reason as its comment; with a baseline every item is tagged ``new`` or ``existing``."""

from __future__ import annotations

import klayout.rdb as rdb

from adk.report.atomic import save_atomically
from adk.report.markers import marker_database, write_marker_database
from adk.report.review import Review
from adk.report.waivers import Waiver
from adk.run.result import RunResult

TAGS = {
    "waived": "waived by a waiver file (adk check --waivers)",
    "new": "not in the baseline (adk check --baseline)",
    "existing": "in the baseline (adk check --baseline)",
}


def reviewed_marker_database(result: RunResult, review: Review) -> rdb.ReportDatabase:
    db = marker_database(result)
    if not review.active:
        return db
    # by name: a category path splits at dots, which rule ids have
    categories = {category.name(): category for category in db.each_category()}
    for outcome in result.outcomes:
        category = categories[outcome.rule.id]
        items = list(db.each_item_per_category(category.rdb_id()))
        # the database holds one item per marker, made in the markers' order
        assert len(items) == len(outcome.markers), outcome.rule.id
        for index, item in enumerate(items):
            _mark(db, item, review, outcome.rule.id, index)
    return db


def _mark(db: rdb.ReportDatabase, item: rdb.RdbItem, review: Review, rule: str, index: int) -> None:
    standing = review.of(rule, index)
    if standing.waiver is not None:
        item.add_tag(_tag(db, "waived"))
        item.comment = _comment(standing.waiver)
    if standing.baseline_state is not None:
        item.add_tag(_tag(db, standing.baseline_state))


def _tag(db: rdb.ReportDatabase, name: str) -> int:
    tag = db.tag_id(name)
    db.set_tag_description(tag, TAGS[name])
    return tag


def _comment(waiver: Waiver) -> str:
    expiry = f", expires {waiver.expires}" if waiver.expires else ""
    return f"waived: {waiver.reason} (owner {waiver.owner}{expiry}; {waiver.where})"


def write_reviewed_markers(result: RunResult, path: str, review: Review) -> None:
    """Write the database through a temporary file and a rename; without waivers or a
    baseline it is the plain marker database."""
    if not review.active:
        write_marker_database(result, path)
        return
    db = reviewed_marker_database(result, review)
    save_atomically(path, db.save, "marker database")
