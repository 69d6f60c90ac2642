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
    "# (um, top cell coordinates) or involving a net. Format: docs/reports.md.\n"
)


@dataclass(frozen=True)
class Selection:
    """Which markers of a report to waive: those of ``rule`` (every rule when None), all
    of them, those at ``items`` (their positions in the rule's list, from 1), those
    involving ``net``, or those waived in KLayout's marker browser."""

    rule: str | None = None
    items: tuple[int, ...] = ()
    all: bool = False
    waived_in_klayout: bool = False
    net: str | None = None


def selected_markers(report: Report, selection: Selection) -> list[ReportMarker]:
    markers = [m for m in report.markers if selection.rule in (None, m.rule)]
    if selection.net is not None and not report.gives_nets:
        # checked first: a marker database cannot say, whatever its markers
        raise AdkError(
            f"{report.path}: this report does not give its markers' nets (a marker database "
            "never does): --net needs a JSON report of the run (--report json:PATH)"
        )
    if selection.rule is not None and not markers and not selection.waived_in_klayout:
        raise AdkError(f"{report.path}: no marker of rule {selection.rule}")
    if selection.net is not None:
        return _involving(report, markers, selection.net)
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


def _involving(report: Report, markers: list[ReportMarker], net: str) -> list[ReportMarker]:
    """The markers that involve ``net``; none is an error naming the nets there are."""
    found = [m for m in markers if net in m.nets]
    if not found:
        nets = sorted({n for m in markers for n in m.nets})
        there = f"its markers involve {', '.join(nets)}" if nets else "its markers involve no net"
        raise AdkError(
            f"{report.path}: no marker of rule {markers[0].rule} involves net {net}; {there}"
        )
    return found


def net_waiver(
    markers: list[ReportMarker],
    net: str,
    reason: str,
    owner: str,
    expires: datetime.date | None,
) -> Waiver:
    """One entry for the markers of a rule involving ``net``: it waives them wherever they
    are, and the markers the net gets later. The text is the marker's when there is one."""
    text = markers[0].text if len(markers) == 1 else ""
    return Waiver(markers[0].rule, None, reason, owner, expires, DEFAULT_TOLERANCE, text, net=net)


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
        if waiver.box is None:  # an entry naming a net: held by one of its rule and net
            held = any(_same(waiver, other) for other in old)
        else:
            held = bool(index.find(waiver.rule, waiver.box, DEFAULT_TOLERANCE))
        if not held and not any(_same(waiver, other) for other in fresh):
            fresh.append(waiver)
    return fresh


def _same(first: Waiver, second: Waiver) -> bool:
    if first.rule != second.rule:
        return False
    if first.box is None or second.box is None:  # net entries: the same net, and no box
        return first.box is second.box and bool(first.net) and first.net == second.net
    return boxes_match(first.box, second.box, DEFAULT_TOLERANCE)


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
    # flow style for the box alone: a mapping of scalars only (a net entry) stays a block
    flow = None if waiver.box is not None else False
    return yaml.safe_dump(
        [entry], sort_keys=False, default_flow_style=flow, allow_unicode=True, width=100
    )
