"""Marker databases (.lyrdb) through ``klayout.rdb``, written atomically."""

from __future__ import annotations

import os
import tempfile

import klayout.rdb as rdb

from adk.errors import AdkError
from adk.run.result import RuleOutcome, RunResult
from adk.version import __version__

# a category of its own for what the run says beside the markers; a rule id has no space,
# so no rule's category can take its name
RUN_CATEGORY = "about this run"


def marker_database(result: RunResult) -> rdb.ReportDatabase:
    """One category per rule (description and severity), one item per marker; first, when
    the run has warnings or notes, a category holding them as text items."""
    db = rdb.ReportDatabase(result.deck.name)
    db.description = (
        f"{result.deck.title or result.deck.name} on {os.path.basename(result.layout_path)}"
    )
    db.generator = f"adk {__version__}"
    db.original_file = os.path.abspath(result.layout_path)
    db.top_cell_name = result.top_cell
    cell = db.create_cell(result.top_cell)
    if result.warnings or result.notes:
        _run_category(db, cell, result)
    for outcome in result.outcomes:
        rule = outcome.rule
        category = db.create_category(rule.id)
        category.description = f"{rule.description} ({rule.severity}){_absent(outcome)}"
        tag = db.tag_id(rule.severity)
        for marker in outcome.markers:
            item = db.create_item(cell.rdb_id(), category.rdb_id())
            item.add_value(marker.shape)
            item.add_value(marker.text)
            item.add_tag(tag)
    return db


def _run_category(db: rdb.ReportDatabase, cell: rdb.RdbCell, result: RunResult) -> None:
    """The run's warnings (tagged warning) and notes (tagged info), one text item each:
    the marker browser lists them with their tags, at the top of the categories."""
    category = db.create_category(RUN_CATEGORY)
    category.description = "warnings and notes on how the deck fits the layout (no geometry)"
    for texts, tag in ((result.warnings, "warning"), (result.notes, "info")):
        for text in texts:
            item = db.create_item(cell.rdb_id(), category.rdb_id())
            item.add_value(text)
            item.add_tag(db.tag_id(tag))


def _absent(outcome: RuleOutcome) -> str:
    """What the rule's category says of its absent layers; nothing when none is absent."""
    names = ", ".join(outcome.missing)
    if outcome.excused:
        return f" [not checked: optional layers absent: {names}]"
    if not outcome.checked:
        return f" [not checked: missing {names}]"
    return f" [absent, read as empty: {names}]" if names else ""


def write_marker_database(result: RunResult, path: str) -> None:
    """Write the markers to ``path`` through a temporary file and a rename."""
    db = marker_database(result)
    folder = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(suffix=".lyrdb.tmp", dir=folder)
    except OSError as exc:
        raise AdkError(f"{path}: cannot write marker database: {exc.strerror}") from None
    os.close(handle)
    try:
        db.save(temporary)
        os.replace(temporary, path)
    except Exception as exc:
        os.unlink(temporary)
        raise AdkError(f"{path}: cannot write marker database: {exc}") from None


def default_report(layout: str) -> str:
    """The layout's file name with ``.lyrdb`` for its format suffixes, in the current folder."""
    name = os.path.basename(layout)
    for suffix in (".gz", ".gds", ".oas", ".gds2", ".oasis"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name + ".lyrdb"
