"""Marker databases (.lyrdb) through ``klayout.rdb``, written atomically."""

from __future__ import annotations

import os
import tempfile

import klayout.rdb as rdb

from adk.errors import AdkError
from adk.run.result import RunResult
from adk.version import __version__


def marker_database(result: RunResult) -> rdb.ReportDatabase:
    """One category per rule (description and severity), one item per marker."""
    db = rdb.ReportDatabase(result.deck.name)
    db.description = (
        f"{result.deck.title or result.deck.name} on {os.path.basename(result.layout_path)}"
    )
    db.generator = f"adk {__version__}"
    db.original_file = os.path.abspath(result.layout_path)
    db.top_cell_name = result.top_cell
    cell = db.create_cell(result.top_cell)
    for outcome in result.outcomes:
        rule = outcome.rule
        category = db.create_category(rule.id)
        status = (
            "" if outcome.checked else " [not checked: missing " + ", ".join(outcome.missing) + "]"
        )
        category.description = f"{rule.description} ({rule.severity}){status}"
        tag = db.tag_id(rule.severity)
        for marker in outcome.markers:
            item = db.create_item(cell.rdb_id(), category.rdb_id())
            item.add_value(marker.shape)
            item.add_value(marker.text)
            item.add_tag(tag)
    return db


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
