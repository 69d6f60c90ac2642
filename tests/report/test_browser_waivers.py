"""The waive flags of KLayout's marker browser set against a waiver file: which markers to
append, which an entry holds already, which it held before it expired, which were removed
from the file since the run, and which were un-waived in the browser."""

from __future__ import annotations

import datetime

from adk.report.browser_waivers import compare_waivers, describe
from adk.report.report_reader import ReportMarker
from adk.report.waivers import Waiver

TODAY = datetime.date(2026, 1, 15)


def marker(index: int, left: float, waived: bool = False, by_file: bool = False) -> ReportMarker:
    box = (left, 0.0, left + 1.0, 20.0)
    return ReportMarker("M1.W", index, box, "width 1 um < 2 um", waived, "", by_file)


def waiver(left: float, line: int, expires: datetime.date | None = None, tolerance=0.01) -> Waiver:
    box = (left, 0.0, left + 1.0, 20.0)
    return Waiver("M1.W", box, "agreed", "jane", expires, tolerance, "", "w.yaml", line)


def test_each_marker_is_sorted_by_its_flag_and_the_entries_matching_it():
    markers = [
        marker(0, 0, waived=True),  # waived in the browser, in no entry: new
        marker(1, 10, waived=True, by_file=True),  # and held by an entry: saved
        marker(2, 20, waived=True),  # held by an expired entry only
        marker(3, 30, waived=True, by_file=True),  # the file waived it, its entry is gone
        marker(4, 40),  # un-waived in the browser, still in the file
        marker(5, 50),  # neither
    ]
    waivers = [
        waiver(10, 3),
        waiver(20, 8, expires=datetime.date(2025, 12, 31)),
        waiver(40.3, 13, tolerance=0.5),  # matched with its own tolerance
    ]
    found = compare_waivers(markers, waivers, TODAY)
    assert [m.index for m in found.new] == [0]
    assert [m.index for m in found.saved] == [1]
    assert [(m.index, w.line) for m, w in found.expired] == [(2, 8)]
    assert [m.index for m in found.removed] == [3]
    assert [(m.index, w.line) for m, w in found.unwaived] == [(4, 13)]
    assert describe(found) == [
        "M1.W item 3: waived by w.yaml:8, which expired on 2025-12-31: change its date in the file",
        "M1.W item 4: waived by the waiver file when the markers were made, by no entry now: "
        "not saved again",
        "M1.W item 5: not waived in the marker browser, still waived by w.yaml:13 (owner "
        "jane): remove that entry to un-waive it",
    ]


def test_a_live_entry_wins_over_an_expired_one_and_other_rules_do_not_match():
    waivers = [waiver(0, 3, expires=datetime.date(2025, 1, 1)), waiver(0, 9)]
    found = compare_waivers([marker(0, 0, waived=True)], waivers, TODAY)
    assert len(found.saved) == 1 and not found.expired
    other = ReportMarker("M1.S", 0, (0.0, 0.0, 1.0, 20.0), "", True)
    assert compare_waivers([other], waivers, TODAY).new == [other]
    on_its_last_day = compare_waivers([marker(0, 0, True)], waivers[:1], datetime.date(2025, 1, 1))
    assert len(on_its_last_day.saved) == 1
