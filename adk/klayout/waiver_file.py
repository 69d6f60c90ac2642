"""The layout's waiver file in the KLayout plugin: where it is, what it waives in a run, and
the markers a user waives in the marker browser appended to it.

A run of the menu reads the file (when it exists), so waived markers come up tagged
``waived`` and do not count; *Save Waivers* appends an entry for each marker waived in the
browser since, which the next run then waives. Everything here runs in batch mode too
(``klayout -b -r``); the menu's dialog only asks for the reason and the owner.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

from adk.klayout.embedded import use_application_modules

use_application_modules()  # before the adk modules that import klayout.rdb

from adk.errors import AdkError  # noqa: E402
from adk.report.browser_waivers import BrowserWaivers, compare_waivers, describe  # noqa: E402
from adk.report.markers import default_report  # noqa: E402
from adk.report.report_reader import (  # noqa: E402
    BY_FILE_TAG,
    KLAYOUT_WAIVED_TAG,
    Report,
    database_report,
)
from adk.report.review import Review, review_run  # noqa: E402
from adk.report.waivers import Waiver, load_waivers  # noqa: E402
from adk.report.waiving import append_waivers, new_waivers  # noqa: E402
from adk.run.result import RunResult  # noqa: E402

SUFFIX = ".waivers.yaml"
GENERATOR = "adk "  # how the marker databases adk writes name their generator


def waiver_path(layout_path: str, chosen: str = "") -> str:
    """``chosen`` (Settings > Waiver File...), else ``LAYOUT.waivers.yaml`` beside the
    layout file, which serves every deck run on it; for a layout never saved, in the
    temporary folder."""
    if chosen:
        return chosen
    name = default_report(layout_path)[: -len(".lyrdb")] + SUFFIX
    if os.path.isfile(layout_path):
        return os.path.join(os.path.dirname(os.path.abspath(layout_path)), name)
    return os.path.join(tempfile.gettempdir(), name)


def read_waivers(path: str) -> list[Waiver] | None:
    """The entries of the waiver file at ``path``, None when there is no such file."""
    return load_waivers(path) if os.path.isfile(path) else None


def run_review(
    result: RunResult,
    path: str,
    waivers: list[Waiver] | None,
    today: datetime.date | None = None,
) -> Review:
    """What the waiver file at ``path`` (its entries ``waivers``, None without a file)
    says about a run. Entries of rules the deck does not have are left out, not reported:
    they belong to the other decks run on the layout."""
    if waivers is None:
        return Review()
    rules = {rule.id for rule in result.deck.rules}
    mine = [waiver for waiver in waivers if waiver.rule in rules]
    return review_run(result, mine, waivers_path=path, today=today)


@dataclass
class ShownMarkers:
    """A marker database of adk that a view shows, set against its layout's waiver file."""

    index: int  # in the view's list of marker databases
    report: Report
    waivers_path: str
    found: BrowserWaivers


def shown_markers(
    view: Any, chosen: str = "", today: datetime.date | None = None
) -> list[ShownMarkers]:
    """Every marker database of adk in ``view``, with what its browser's waive flags and
    its waiver file say of each marker; databases of other tools are left alone."""
    shown = []
    for index, db in _adk_databases(view):
        path = waiver_path(db.original_file, chosen)
        waivers = read_waivers(path) or []
        report = database_report(db, db.filename() or db.original_file)
        found = compare_waivers(report.markers, waivers, today or datetime.date.today())
        shown.append(ShownMarkers(index, report, path, found))
    return shown


def _adk_databases(view: Any) -> list[tuple[int, Any]]:
    databases = (view.rdb(index) for index in range(view.num_rdbs()))
    return [(i, db) for i, db in enumerate(databases) if db.generator.startswith(GENERATOR)]


def unsaved_count(view: Any, chosen: str = "") -> int:
    """How many markers are waived in the view's marker browser and in no waiver file.
    Quick when no marker is waived by hand, as before most runs: the markers are read
    and matched only when one is."""
    if not any(_waived_by_hand(db) for _, db in _adk_databases(view)):
        return 0
    return sum(len(shown.found.new) for shown in shown_markers(view, chosen))


def _waived_by_hand(db: Any) -> bool:
    waived, by_file = db.tag_id(KLAYOUT_WAIVED_TAG), db.tag_id(BY_FILE_TAG)
    return any(item.has_tag(waived) and not item.has_tag(by_file) for item in db.each_item())


def parse_expiry(text: str, today: datetime.date | None = None) -> datetime.date | None:
    """The expiry date a user typed: ``YYYY-MM-DD``, or nothing for a waiver that holds
    until it is removed; a date before today would waive nothing."""
    if not text.strip():
        return None
    try:
        date = datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise AdkError(f"expiry date {text.strip()!r}: expected YYYY-MM-DD") from None
    if date < (today or datetime.date.today()):
        raise AdkError(f"expiry date {date} is in the past: the waiver would waive nothing")
    return date


@dataclass
class Saved:
    """What *Save Waivers* did: the entries added to each waiver file, and what the user
    should know about other markers."""

    added: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def message(self) -> str:
        lines = [
            f"{path}: {plural(count, 'entry', 'entries')} added"
            for path, count in self.added.items()
            if count
        ]
        if not lines:
            lines = ["No marker is waived in the marker browser that the waiver file lacks."]
        return "\n".join(lines + self.notes)


def save_browser_waivers(
    view: Any,
    reason: str,
    owner: str,
    expires: datetime.date | None = None,
    chosen: str = "",
    today: datetime.date | None = None,
) -> Saved:
    """Append an entry with ``reason``, ``owner`` and ``expires`` for each marker waived
    in the view's marker browser that its waiver file does not hold; an empty ``reason``
    takes each marker's comment in the browser, where KLayout has item comments (0.28 has
    none)."""
    if not owner.strip():
        raise AdkError("give an owner: every waiver names who is answerable for it")
    pending: dict[str, list[Waiver]] = {}
    saved = Saved()
    for shown in shown_markers(view, chosen, today):
        _check_reasons(shown, reason)
        reason_given = reason.strip() or None
        made = new_waivers(shown.report, shown.found.new, reason_given, owner.strip(), expires)
        pending.setdefault(shown.waivers_path, []).extend(made)
        saved.notes += describe(shown.found)
    for path, waivers in pending.items():
        if waivers:
            saved.added[path] = append_waivers(path, waivers)[0]
    return saved


def _check_reasons(shown: ShownMarkers, reason: str) -> None:
    lacking = [m for m in shown.found.new if not m.comment.strip()]
    if lacking and not reason.strip():
        raise AdkError(
            f"give a reason: {plural(len(lacking), 'marker')} waived in the marker browser "
            "without a comment to take it from"
        )


def plural(count: int, noun: str, nouns: str = "") -> str:
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"
