"""Markers of any engine against the planted sites and against each other, by category.

A marker database (adk's, the KLayout script's, the Python module's) is read as the bounding
boxes of its markers per category; geometry kinds differ between engines (KLayout reports
a too-wide plate as its four edges, adk as the plate), boxes do not.
"""

from __future__ import annotations

from collections.abc import Iterable

import klayout.db as kdb
import klayout.rdb as rdb

from benchmarks.lambdapdk.interposer import Mark

REACH = 1.0  # um: a marker's box grown by this covers a planted spot (as adk test-deck does)
SLACK = 0.001  # um: one database unit, for boxes compared across engines
GEOMETRY = ("box", "polygon", "edge_pair", "edge")
RUN_CATEGORY = "about this run"  # adk's warnings and notes, no rule's markers


def marker_boxes(path: str) -> dict[str, list[kdb.DBox]]:
    """Each category of a marker database with the bounding boxes of its markers (adk's
    notes about the run left out)."""
    database = rdb.ReportDatabase("")
    database.load(path)
    names = {category.rdb_id(): category.name() for category in database.each_category()}
    boxes: dict[str, list[kdb.DBox]] = {n: [] for n in names.values() if n != RUN_CATEGORY}
    for item in database.each_item():
        if names[item.category_id()] == RUN_CATEGORY:
            continue
        for value in item.each_value():
            kind = next((k for k in GEOMETRY if getattr(value, f"is_{k}")()), None)
            if kind is not None:
                boxes[names[item.category_id()]].append(getattr(value, kind)().bbox())
    return boxes


def covers(box: kdb.DBox, mark: Mark) -> bool:
    return box.enlarged(REACH, REACH).contains(kdb.DPoint(mark.x, mark.y))


def missed(marks: Iterable[Mark], boxes: list[kdb.DBox]) -> list[Mark]:
    """The marks no finding covers: markers that touch are one finding (KLayout marks a
    too-wide plate by its four edges, none of them near the plate's middle)."""
    found = joined(boxes)
    return [mark for mark in marks if not any(covers(box, mark) for box in found)]


def joined(boxes: list[kdb.DBox]) -> list[kdb.DBox]:
    """The boxes of the groups of boxes that touch or overlap."""
    region = kdb.Region()
    for box in boxes:  # grown by a unit, so that edges and points have an area
        region.insert(box.enlarged(SLACK, SLACK).to_itype(SLACK))
    return [polygon.bbox().to_dtype(SLACK) for polygon in region.merged().each()]


def within(inner: kdb.DBox, outer: kdb.DBox) -> bool:
    grown = outer.enlarged(SLACK, SLACK)
    return grown.contains(inner.p1) and grown.contains(inner.p2)


def outside(boxes: list[kdb.DBox], others: list[kdb.DBox]) -> list[kdb.DBox]:
    """The boxes inside none of ``others``."""
    return [box for box in boxes if not any(within(box, other) for other in others)]


def unmatched(boxes: list[kdb.DBox], others: list[kdb.DBox]) -> list[kdb.DBox]:
    """The boxes neither inside one of ``others`` nor holding one."""
    return [
        box
        for box in boxes
        if not any(within(box, other) or within(other, box) for other in others)
    ]


def found(
    marks: list[Mark], boxes: dict[str, list[kdb.DBox]], category_of: dict[str, str]
) -> list[Mark]:
    """The planted ``expect`` marks an engine's markers of their category cover."""
    expected = [mark for mark in marks if mark.kind == "expect"]
    lost = set()
    for category in set(category_of.values()):
        mine = [mark for mark in expected if category_of[mark.rule] == category]
        lost.update(id(mark) for mark in missed(mine, boxes.get(category, [])))
    return [mark for mark in expected if id(mark) not in lost]
