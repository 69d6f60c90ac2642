"""The markers of an earlier report, read back: a marker database (``.lyrdb``, also the
``.lyrdb.w`` waiver database KLayout's marker browser saves) or a JSON report of
``adk check`` (``--report json:`` or ``--format json``). Baselines and ``adk waive`` read
reports through this."""

from __future__ import annotations

import json
from dataclasses import dataclass

import klayout.rdb as rdb

from adk.errors import AdkError
from adk.report.markers import RUN_CATEGORY
from adk.report.matching import Box

# the tag KLayout's marker browser gives the items a user waives
KLAYOUT_WAIVED_TAG = "waived"


@dataclass(frozen=True)
class ReportMarker:
    """One marker of a report: its rule, its position in the rule's list (from 0), its
    bounding box in the top cell's coordinates and its text; ``waived_in_klayout`` and
    ``comment`` say what a user did to it in KLayout's marker browser."""

    rule: str
    index: int
    box: Box
    text: str
    waived_in_klayout: bool = False
    comment: str = ""


@dataclass(frozen=True)
class Report:
    path: str
    top_cell: str
    markers: list[ReportMarker]


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
            ReportMarker(rule["id"], index, _box(marker["bbox_um"]), str(marker.get("text", "")))
            for rule in rules
            for index, marker in enumerate(rule["markers"])
        ]
        return Report(path, str(data.get("top_cell", "")), markers)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise AdkError(f"{path}: not a JSON report of adk check ({_what(exc)})") from None


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
    waived = db.tag_id(KLAYOUT_WAIVED_TAG)
    markers: list[ReportMarker] = []
    for category in db.each_category():
        if category.name() == RUN_CATEGORY:
            continue
        for index, item in enumerate(_geometric(db.each_item_per_category(category.rdb_id()))):
            _check_in_top_cell(path, db, item)
            markers.append(_report_marker(category.name(), index, item, waived))
    return Report(path, db.top_cell_name, markers)


def _geometric(items) -> list:
    return [item for item in items if _shape(item) is not None]


def _check_in_top_cell(path: str, db: rdb.ReportDatabase, item: rdb.RdbItem) -> None:
    """Boxes are compared in the top cell's coordinates: an item held in another cell is
    in that cell's coordinates (KLayout's deep-mode DRC writes such), which adk does not
    map back."""
    cell = db.cell_by_id(item.cell_id())
    name = cell.qname() if cell is not None else ""
    if name != db.top_cell_name:
        raise AdkError(
            f"{path}: a marker of {db.category_by_id(item.category_id()).name()} is in cell "
            f"{name!r}, not in the top cell {db.top_cell_name!r}: only markers in the top "
            "cell, as adk check writes them, can be read back"
        )


def _report_marker(rule: str, index: int, item: rdb.RdbItem, waived: int) -> ReportMarker:
    box = _shape(item).bbox()
    texts = [value.string() for value in item.each_value() if value.is_string()]
    return ReportMarker(
        rule,
        index,
        (box.left, box.bottom, box.right, box.top),
        texts[0] if texts else "",
        item.has_tag(waived),
        item.comment,
    )


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
