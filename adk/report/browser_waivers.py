"""What the waive flags of KLayout's marker browser say beside a waiver file.

A user waives markers in the browser (its *Waive* button tags them ``waived``) and un-waives
them; the waiver file holds what is decided, with reasons and owners. Set side by side, each
marker of a report is one of: waived in the browser and in no entry yet (to append), waived
and held by an entry (saved already), waived but held only by an expired entry (its date to
change), waived by the file when the markers were made but in no entry now (removed from the
file since), or not waived in the browser while an entry still waives it (un-waived there:
the entry stays until it is removed from the file)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from adk.report.matching import BoxIndex, boxes_match
from adk.report.options import DEFAULT_TOLERANCE
from adk.report.report_reader import ReportMarker
from adk.report.waivers import Waiver


@dataclass
class BrowserWaivers:
    """A report's markers sorted by what the browser and the waiver file say of them."""

    new: list[ReportMarker] = field(default_factory=list)
    saved: list[ReportMarker] = field(default_factory=list)
    expired: list[tuple[ReportMarker, Waiver]] = field(default_factory=list)
    removed: list[ReportMarker] = field(default_factory=list)
    unwaived: list[tuple[ReportMarker, Waiver]] = field(default_factory=list)

    def add(self, other: BrowserWaivers) -> None:
        for name in BrowserWaivers.__dataclass_fields__:
            getattr(self, name).extend(getattr(other, name))


def compare_waivers(
    markers: Iterable[ReportMarker], waivers: list[Waiver], today: datetime.date
) -> BrowserWaivers:
    """Sort ``markers`` (read from the browser's database) against the file's ``waivers``;
    each entry matches as a run matches it, with its own tolerance. Entries naming a net
    match none: a report's markers carry no nets."""
    boxed = [w for w in waivers if w.box is not None and not w.net]
    index: BoxIndex[Waiver] = BoxIndex(max([DEFAULT_TOLERANCE] + [w.tolerance for w in boxed]))
    for waiver in boxed:
        assert waiver.box is not None
        index.add(waiver.rule, waiver.box, waiver)
    reach = index.cell
    found = BrowserWaivers()
    for marker in markers:
        hits = [
            w
            for w in index.find(marker.rule, marker.box, reach)
            if w.box is not None and boxes_match(marker.box, w.box, w.tolerance)
        ]
        live = [w for w in hits if not w.expired(today)]
        _sort(found, marker, live, [w for w in hits if w.expired(today)])
    return found


def _sort(
    into: BrowserWaivers, marker: ReportMarker, live: list[Waiver], dead: list[Waiver]
) -> None:
    if not marker.waived_in_klayout:
        if live:
            into.unwaived.append((marker, live[0]))
    elif live:
        into.saved.append(marker)
    elif dead:
        into.expired.append((marker, dead[0]))
    elif marker.waived_by_file:
        into.removed.append(marker)
    else:
        into.new.append(marker)


def describe(found: BrowserWaivers) -> list[str]:
    """What a user should know beside the markers to append, one line each."""
    lines = []
    for marker, waiver in found.expired:
        lines.append(
            f"{_name(marker)}: waived by {waiver.where}, which expired on {waiver.expires}: "
            "change its date in the file"
        )
    for marker in found.removed:
        lines.append(
            f"{_name(marker)}: waived by the waiver file when the markers were made, by no "
            "entry now: not saved again"
        )
    for marker, waiver in found.unwaived:
        lines.append(
            f"{_name(marker)}: not waived in the marker browser, still waived by {waiver.where} "
            f"(owner {waiver.owner}): remove that entry to un-waive it"
        )
    return lines


def _name(marker: ReportMarker) -> str:
    return f"{marker.rule} item {marker.index + 1}"
