"""``adk waive``: waiver entries made from a report's markers, appended to a waiver file
with its content, comments and layout kept."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable
from dataclasses import dataclass

import yaml

from adk.errors import AdkError
from adk.report.atomic import write_text_atomically
from adk.report.matching import BoxIndex, boxes_match
from adk.report.options import DEFAULT_TOLERANCE
from adk.report.report_reader import Report, ReportMarker
from adk.report.waivers import Waiver, compose, parse_waivers

HEADER = (
    "# Waivers for adk check --waivers: each accepts the violations of a rule at a box\n"
    "# (um, top cell coordinates). Format: docs/reports.md.\n"
)


@dataclass(frozen=True)
class Selection:
    """Which markers of a report to waive: those of ``rule`` (every rule when None), all
    of them, those at ``items`` (their positions in the rule's list, from 1), or those
    waived in KLayout's marker browser."""

    rule: str | None = None
    items: tuple[int, ...] = ()
    all: bool = False
    waived_in_klayout: bool = False


def selected_markers(report: Report, selection: Selection) -> list[ReportMarker]:
    markers = [m for m in report.markers if selection.rule in (None, m.rule)]
    if selection.rule is not None and not markers and not selection.waived_in_klayout:
        raise AdkError(f"{report.path}: no marker of rule {selection.rule}")
    if selection.waived_in_klayout:
        waived = [m for m in markers if m.waived_in_klayout]
        if not waived:
            raise AdkError(f"{report.path}: no marker waived in KLayout's marker browser")
        return waived
    if selection.all:
        return markers
    count = len(markers)
    wrong = [n for n in selection.items if not 1 <= n <= count]
    if wrong:
        raise AdkError(
            f"{report.path}: rule {selection.rule} has {count} markers, no item "
            + ", ".join(map(str, wrong))
        )
    return [markers[n - 1] for n in selection.items]


def new_waivers(
    report: Report,
    markers: list[ReportMarker],
    reason: str | None,
    owner: str,
    expires: datetime.date | None,
) -> list[Waiver]:
    """One waiver per marker. Without ``reason``, a marker's comment in KLayout's marker
    browser is its reason; a marker with neither is an error."""
    lacking = [m for m in markers if not (reason or m.comment.strip())]
    if lacking:
        listed = ", ".join(f"{m.rule} item {m.index + 1}" for m in lacking[:10])
        raise AdkError(
            f"{report.path}: no reason for {len(lacking)} markers ({listed}): give --reason, "
            "or a comment on each in KLayout's marker browser"
        )
    return [
        Waiver(
            m.rule, m.box, reason or m.comment.strip(), owner, expires, DEFAULT_TOLERANCE, m.text
        )
        for m in markers
    ]


def append_waivers(path: str, waivers: list[Waiver]) -> tuple[int, int]:
    """Append the waivers to the file (made when absent), leaving out those that an entry
    of the file already holds; returns (added, already there)."""
    old_text = _existing_text(path)
    old = parse_waivers(path, old_text) if old_text is not None else []
    added = _not_yet_waived(waivers, old)
    if old_text is None:
        text = HEADER + "waivers:\n" + entries_yaml(added, 0)
    elif added:
        text = _appended(path, old_text, added)
    else:
        return 0, len(waivers)
    _check_appended(path, text, old, added)
    write_text_atomically(path, text, "waiver file")
    return len(added), len(waivers) - len(added)


def _existing_text(path: str) -> str | None:
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except OSError as exc:
        raise AdkError(f"{path}: cannot read waiver file: {exc.strerror}") from None


def _not_yet_waived(waivers: list[Waiver], old: list[Waiver]) -> list[Waiver]:
    index: BoxIndex[Waiver] = BoxIndex(max([DEFAULT_TOLERANCE] + [w.tolerance for w in old]))
    for waiver in old:
        if waiver.box is not None:  # an entry naming a net only holds no box of a report
            index.add(waiver.rule, waiver.box, waiver)
    fresh: list[Waiver] = []
    for waiver in waivers:
        assert waiver.box is not None  # made from a report's marker
        held = index.find(waiver.rule, waiver.box, DEFAULT_TOLERANCE)
        if not held and not any(_same(waiver, other) for other in fresh):
            fresh.append(waiver)
    return fresh


def _same(first: Waiver, second: Waiver) -> bool:
    if first.box is None or second.box is None:
        return False
    return first.rule == second.rule and boxes_match(first.box, second.box, DEFAULT_TOLERANCE)


def _appended(path: str, old_text: str, added: list[Waiver]) -> str:
    """The old text with the entries after it, at the column of the file's own list; a
    file with no list yet gets one."""
    _, root = compose(path, old_text)
    body = old_text if old_text.endswith("\n") or not old_text else old_text + "\n"
    found, entries = _waivers_node(root)
    if not found:
        return body + "waivers:\n" + entries_yaml(added, 0)
    if isinstance(entries, yaml.SequenceNode):
        return body + entries_yaml(added, entries.start_mark.column)
    return body + entries_yaml(added, 0)  # 'waivers:' with nothing after it yet


def _waivers_node(root: yaml.Node | None) -> tuple[bool, yaml.Node | None]:
    """Whether the file has the key 'waivers', and its value."""
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "waivers":
                return True, value
    return False, None


def _check_appended(path: str, text: str, old: list[Waiver], added: list[Waiver]) -> None:
    """Appending is text: it holds when the list is the file's last block. Read back,
    the file must give the old entries and then the new ones, or it is not written."""
    try:
        read = parse_waivers(path, text)
    except AdkError:
        read = []
    wanted = [_essence(w) for w in old + added]
    if [_essence(w) for w in read] != wanted:
        raise AdkError(
            f"{path}: cannot append to this waiver file without rewriting it: its 'waivers' "
            "list must be a block list (one '- rule: ...' per entry) at the end of the file; "
            "add these entries by hand:\n" + entries_yaml(added, 0).rstrip()
        )


def _essence(waiver: Waiver) -> tuple:
    box = tuple(round(value, 6) for value in waiver.box) if waiver.box is not None else ()
    return (waiver.rule, waiver.net, waiver.reason, waiver.owner, waiver.expires) + box


def entries_yaml(waivers: Iterable[Waiver], column: int) -> str:
    """The entries as a YAML block list, each line indented by ``column`` spaces."""
    text = "".join(_entry_yaml(waiver) for waiver in waivers)
    pad = " " * column
    return "".join(pad + line if line.strip() else line for line in text.splitlines(True))


def _entry_yaml(waiver: Waiver) -> str:
    entry: dict[str, object] = {"rule": waiver.rule}
    if waiver.box is not None:
        # rounded to a picometre: a box read from a report carries float noise below that
        entry["box"] = [round(value, 6) for value in waiver.box]
    if waiver.net:
        entry["net"] = waiver.net
    entry.update(reason=waiver.reason, owner=waiver.owner)
    if waiver.expires is not None:
        entry["expires"] = waiver.expires
    if waiver.text:
        entry["text"] = waiver.text
    return yaml.safe_dump(
        [entry], sort_keys=False, default_flow_style=None, allow_unicode=True, width=100
    )
