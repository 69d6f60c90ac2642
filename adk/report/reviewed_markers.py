"""The marker database with what waivers and a baseline say: a waived marker's item is
tagged ``waived`` (the tag KLayout's marker browser counts as waived) and
``by_waiver_file``, with the waiver's reason as its comment; with a baseline every item is
tagged ``new`` or ``existing``.

The second tag tells a marker the waiver file waived from one a user waived in the marker
browser since: the KLayout plugin saves only the latter to the file."""

from __future__ import annotations

from functools import partial

import klayout.rdb as rdb

from adk.report.atomic import save_atomically
from adk.report.markers import marker_database, write_marker_database
from adk.report.report_reader import BY_FILE_TAG, KLAYOUT_WAIVED_TAG
from adk.report.review import Review
from adk.report.waivers import Waiver
from adk.run.result import RunResult

TAGS = {
    KLAYOUT_WAIVED_TAG: "waived by a waiver file or in the marker browser",
    BY_FILE_TAG: "waived by an entry of the waiver file when the markers were made",
    "new": "not in the baseline (adk check --baseline)",
    "existing": "in the baseline (adk check --baseline)",
}


def reviewed_marker_database(result: RunResult, review: Review) -> rdb.ReportDatabase:
    if not review.active:
        return marker_database(result)
    return marker_database(result, partial(_mark, review))


def _mark(review: Review, db: rdb.ReportDatabase, item: rdb.RdbItem, rule: str, index: int) -> None:
    standing = review.of(rule, index)
    if standing.waiver is not None:
        item.add_tag(_tag(db, KLAYOUT_WAIVED_TAG))
        item.add_tag(_tag(db, BY_FILE_TAG))
        _annotate(item, _comment(standing.waiver))
    if standing.baseline_state is not None:
        item.add_tag(_tag(db, standing.baseline_state))


def _annotate(item: rdb.RdbItem, text: str) -> None:
    """The item's comment; KLayout 0.28 has no item comments, and there the text
    is a value of the item after the marker's own text, which the marker browser shows."""
    if hasattr(rdb.RdbItem, "comment"):  # on the class: an instance takes any attribute
        item.comment = text
    else:
        item.add_value(text)


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
