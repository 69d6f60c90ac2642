"""The markers of an earlier report, read back: a marker database (``.lyrdb``, also the
``.lyrdb.w`` waiver database KLayout's marker browser saves) or a JSON report of
``adk check`` (``--report json:`` or ``--format json``). Baselines and ``adk waive`` read
reports through this."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

import klayout.db as kdb
import klayout.rdb as rdb

from adk.errors import AdkError
from adk.report.markers import PLACEMENTS_TAG, RULE_TAG, RUN_CATEGORY
from adk.report.matching import Box

# the tag KLayout's marker browser gives the items a user waives, and the one adk gives
# those a waiver file waived (adk.report.reviewed_markers, which imports this module)
KLAYOUT_WAIVED_TAG = "waived"
BY_FILE_TAG = "by_waiver_file"


@dataclass(frozen=True)
class ReportMarker:
    """One marker of a report: its rule, its position in the rule's list (from 0), its
    bounding box in the top cell's coordinates (of its first placement, for a marker filed
    in a cell: ``cell`` names it, "" for the top, and ``placements`` counts them) and its
    text; ``waived_in_klayout`` and ``comment`` say what a user did to it in KLayout's
    marker browser, ``waived_by_file`` whether a waiver file waived it when the report was
    made; ``nets`` the nets it involves, as a JSON report gives them."""

    rule: str
    index: int
    box: Box
    text: str
    waived_in_klayout: bool = False
    comment: str = ""
    waived_by_file: bool = False
    cell: str = ""
    placements: int = 1
    nets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """``gives_nets``: whether the report says which nets its markers involve (a JSON
    report of this version; a marker database does not)."""

    path: str
    top_cell: str
    markers: list[ReportMarker]
    gives_nets: bool = False


def read_report(path: str) -> Report:
    """A report's markers; a JSON report is told from a marker database by its content."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(64).lstrip()
    except OSError as exc:
        raise AdkError(f"{path}: cannot read report: {exc.strerror}") from None
    if start.startswith(b"{"):
        return _read_json(path)
    return _read_marker_database(path)


def _read_json(path: str) -> Report:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        rules = data["rules"]
        markers = [
            ReportMarker(
                rule["id"],
                index,
                _box(marker["bbox_um"]),
                str(marker.get("text", "")),
                cell=_json_cell(marker, data),
                placements=int(marker.get("placements", 1)),
                nets=tuple(str(net) for net in marker.get("nets", ())),
            )
            for rule in rules
            for index, marker in enumerate(rule["markers"])
        ]
        # a report of an earlier version has no "nets": it does not say, rather than none
        gives_nets = all("nets" in marker for rule in rules for marker in rule["markers"])
        return Report(path, str(data.get("top_cell", "")), markers, gives_nets)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise AdkError(f"{path}: not a JSON report of adk check ({_what(exc)})") from None


def _json_cell(marker: dict, data: dict) -> str:
    """The cell a JSON marker is filed in; "" for the top cell (or an older report)."""
    cell = str(marker.get("cell") or "")
    return "" if cell == str(data.get("top_cell", "")) else cell


def _box(values: list) -> Box:
    left, bottom, right, top = (float(value) for value in values)
    return (left, bottom, right, top)


def _what(exc: Exception) -> str:
    return f"no {exc}" if isinstance(exc, KeyError) else str(exc)


def _read_marker_database(path: str) -> Report:
    db = rdb.ReportDatabase("")
    try:
        db.load(path)
    except RuntimeError as exc:
        raise AdkError(f"{path}: not a marker database: {_first_line(exc)}") from None
    return database_report(db, path)


def database_report(db: rdb.ReportDatabase, path: str) -> Report:
    """The markers of a marker database held in memory, such as the one a LayoutView's
    marker browser shows, with what the user did to them there; ``path`` names it in
    errors. Only reads the items: the KLayout application hands them out read-only."""
    tags = (db.tag_id(KLAYOUT_WAIVED_TAG), db.tag_id(BY_FILE_TAG))
    markers: list[ReportMarker] = []
    for category in db.each_category():
        if category.name() == RUN_CATEGORY:
            continue
        counts: dict[str, int] = {}  # the items of each rule of the category so far
        for item in _geometric(db.each_item_per_category(category.rdb_id())):
            rule = _item_rule(item, category.name())
            index = counts[rule] = counts.get(rule, -1) + 1
            trans, cell = _to_top(path, db, item)
            marker = _report_marker(rule, index, item, tags, trans)
            markers.append(replace(marker, cell=cell, placements=_placements(db, item)))
    return Report(path, db.top_cell_name, markers)


_TAG = re.compile(r"'((?:[^'\\]|\\.)*)'|([^,']+)")


def _item_rule(item: rdb.RdbItem, category: str) -> str:
    """The rule of an item: the one its rule tag names, in a category several rules share
    (``category`` in the deck); else the category's own."""
    for quoted, plain in _TAG.findall(item.tags_str):
        name = quoted or plain
        if name.startswith(RULE_TAG):
            return name[len(RULE_TAG) :]
    return category


def _geometric(items) -> list:
    return [item for item in items if _shape(item) is not None]


def _to_top(path: str, db: rdb.ReportDatabase, item: rdb.RdbItem) -> tuple[kdb.DCplxTrans, str]:
    """Boxes are compared in the top cell's coordinates: an item held in another cell (adk
    check files markers in cells, KLayout's deep-mode DRC writes such) is mapped to the
    top through the cell's first reference, at each level; returns that transformation
    and the cell's name ("" for the top)."""
    cell = db.cell_by_id(item.cell_id())
    name = cell.qname() if cell is not None else ""
    trans, seen = kdb.DCplxTrans(), {name}
    while cell is not None and cell.qname() != db.top_cell_name:
        reference = next(iter(cell.each_reference()), None)
        parent = None if reference is None else db.cell_by_id(reference.parent_cell_id)
        if reference is None or parent is None or parent.qname() in seen:
            raise AdkError(
                f"{path}: a marker of {db.category_by_id(item.category_id()).name()} is in "
                f"cell {name!r}, which does not refer to the top cell {db.top_cell_name!r}: "
                "its place in the top cell is not known"
            )
        trans = reference.trans * trans
        seen.add(parent.qname())
        cell = parent
    return trans, "" if name == db.top_cell_name else name


def _report_marker(
    rule: str,
    index: int,
    item: rdb.RdbItem,
    tags: tuple[int, int],
    trans: kdb.DCplxTrans,
) -> ReportMarker:
    box = _shape(item).transformed(trans).bbox()
    texts = [value.string() for value in item.each_value() if value.is_string()]
    waived, by_file = tags
    return ReportMarker(
        rule,
        index,
        (box.left, box.bottom, box.right, box.top),
        texts[0] if texts else "",
        item.has_tag(waived),
        getattr(item, "comment", ""),  # KLayout 0.28 has no item comments
        item.has_tag(by_file),
    )


def _placements(db: rdb.ReportDatabase, item: rdb.RdbItem) -> int:
    """How many times the item's cell is placed, as adk check writes it; 1 when not said.
    The tag is looked up by name, without adding one to a database that lacks it."""
    counts = [
        value.float()
        for value in item.each_value()
        if value.is_float() and value.tag_id and db.tag_name(value.tag_id) == PLACEMENTS_TAG
    ]
    return int(counts[0]) if counts else 1


def _shape(item: rdb.RdbItem):
    """The item's first geometric value, or None for a text-only item."""
    for value in item.each_value():
        for test, get in _GEOMETRY:
            if test(value):
                return get(value)
    return None


_GEOMETRY = (
    (rdb.RdbItemValue.is_edge_pair, rdb.RdbItemValue.edge_pair),
    (rdb.RdbItemValue.is_polygon, rdb.RdbItemValue.polygon),
    (rdb.RdbItemValue.is_box, rdb.RdbItemValue.box),
    (rdb.RdbItemValue.is_edge, rdb.RdbItemValue.edge),
    (rdb.RdbItemValue.is_path, rdb.RdbItemValue.path),
)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
