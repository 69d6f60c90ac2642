"""Marker databases (.lyrdb) through ``klayout.rdb``, written atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable

import klayout.rdb as rdb

from adk.checks.base import Filing, Marker
from adk.errors import AdkError
from adk.run.result import RuleOutcome, RunResult
from adk.version import __version__

# a category of its own for what the run says beside the markers; a rule id has no space,
# so no rule's category can take its name
RUN_CATEGORY = "about this run"

# the tag of the value that gives how many times a marker's cell is placed in the top cell
PLACEMENTS_TAG = "placements"

# what more an item says, given its database, the item, its rule id and its position in the
# rule's list; called as the item is made
ItemMark = Callable[[rdb.ReportDatabase, rdb.RdbItem, str, int], None]


def marker_database(result: RunResult, mark: ItemMark | None = None) -> rdb.ReportDatabase:
    """One category per rule (description and severity), or per category rules share
    (``category`` in the deck, each item tagged with its rule), one item per marker; first, when
    the run has warnings or notes, a category holding them as text items. A marker filed in
    a cell (docs/checking.md) is an item of that cell, in its coordinates, with a value
    tagged ``placements``; the cell refers to the top cell at its first placement, so the
    marker browser shows the item in the layout there. ``mark`` adds to each marker's item
    while it is being made: the KLayout application hands out the items of a database as
    read-only ones, so they cannot be changed once made."""
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
    cells = _Cells(db, cell)
    categories = _categories(db, result.outcomes)
    for outcome in result.outcomes:
        rule = outcome.rule
        category = categories[rule.reported_under]
        tags = [db.tag_id(rule.severity)]
        if rule.reported_under != rule.id:
            tags.append(db.tag_id(rule_tag(rule.id)))
        for index, marker in enumerate(outcome.markers):
            item = cells.item(marker, category)
            for tag in tags:
                item.add_tag(tag)
            if mark is not None:
                mark(db, item, rule.id, index)
    return db


RULE_TAG = "rule "


def rule_tag(rule_id: str) -> str:
    """The tag naming the rule of an item in a category named otherwise (``category`` in
    the deck): reading the database back tells the rules of a category apart by it."""
    return f"{RULE_TAG}{rule_id}"


def _categories(db: rdb.ReportDatabase, outcomes: list[RuleOutcome]) -> dict[str, int]:
    """One category per rule, or per category several rules share, in the order of their
    first rules, each with its id; a shared one, or one named otherwise than its rule,
    describes each rule after its id (``V1.IN: via 1 inside metal 1 (error); ...``)."""
    groups: dict[str, list[RuleOutcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.rule.reported_under, []).append(outcome)
    made = {}
    for name, members in groups.items():
        category = db.create_category(name)
        about = [f"{o.rule.description} ({o.rule.severity}){_absent(o)}" for o in members]
        if len(members) > 1 or members[0].rule.id != name:
            about = [f"{o.rule.id}: {text}" for o, text in zip(members, about)]
        category.description = "; ".join(about)
        made[name] = category.rdb_id()
    return made


class _Cells:
    """The database's cells: the top, and each cell a marker is filed in, made as its
    first marker is written."""

    def __init__(self, db: rdb.ReportDatabase, top: rdb.RdbCell):
        self.db = db
        self.top = top
        self.ids: dict[str, int] = {}

    def item(self, marker: Marker, category: int) -> rdb.RdbItem:
        """The marker's item: its geometry and text, and how many times it is placed."""
        filing = marker.filed
        if filing is None:
            item = self.db.create_item(self.top.rdb_id(), category)
            item.add_value(marker.shape)
            item.add_value(marker.text)
            return item
        item = self.db.create_item(self._cell(filing), category)
        item.add_value(filing.shape)
        item.add_value(marker.text)
        count = rdb.RdbItemValue(float(marker.placements))
        count.tag_id = self._placements_tag()
        item.add_value(count)
        return item

    def _cell(self, filing: Filing) -> int:
        if filing.cell not in self.ids:
            cell = self.db.create_cell(filing.cell)
            cell.add_reference(rdb.RdbReference(filing.trans, self.top.rdb_id()))
            self.ids[filing.cell] = cell.rdb_id()
        return self.ids[filing.cell]

    def _placements_tag(self) -> int:
        tag = self.db.user_tag_id(PLACEMENTS_TAG)
        self.db.set_tag_description(
            tag, "how many times the item's cell is placed in the top cell: one violation each"
        )
        return tag


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
