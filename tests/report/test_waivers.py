"""Waiver files: what they waive (rule and box, with a tolerance; cell names play no
part), stale and expired waivers, and malformed files with their line numbers."""

from __future__ import annotations

import datetime
import json
import textwrap

import klayout.rdb as rdb
import pytest

from adk.errors import AdkError
from adk.report import waivers as waiver_files
from adk.report.waivers import ENTRY_KEYS, WaiverFileError, load_waivers, parse_waivers
from tests.report.conftest import DECK, run, write_layout, write_text

# the M1.W markers of the default test layout
FIRST_LINE = "[0, 0, 1, 20]"
SECOND_LINE = "[50, 0, 51, 20]"


def waiver_file(tmp_path, entries: str, header: str = "") -> str:
    return write_text(
        tmp_path / "waivers.yaml", header + "waivers:\n" + textwrap.dedent(entries).lstrip()
    )


def entry(box: str, rule: str = "M1.W", extra: str = "") -> str:
    return (
        f"- rule: {rule}\n  box: {box}\n  reason: agreed with the foundry\n  owner: jane\n"
        + "".join(f"  {line}\n" for line in extra.splitlines())
    )


def check_json(capsys, layout: str, tmp_path, *args: str) -> tuple[int, dict]:
    report = str(tmp_path / "report.json")
    status, _, _ = run(
        capsys, "check", layout, "--deck", DECK, "-o", str(tmp_path / "r.lyrdb"),
        "--report", f"json:{report}", *args,
    )  # fmt: skip
    with open(report, encoding="utf-8") as handle:
        return status, json.load(handle)


def waived_boxes(summary: dict, rule: str = "M1.W") -> list[list[float]]:
    (found,) = [r for r in summary["rules"] if r["id"] == rule]
    return [m["bbox_um"] for m in found["markers"] if m["waived"]]


def test_a_waiver_waives_the_marker_at_its_box_and_the_run_passes_on_the_rest(
    layout, tmp_path, capsys
):
    waivers = waiver_file(tmp_path, entry(FIRST_LINE) + entry(SECOND_LINE))
    status, summary = check_json(capsys, layout, tmp_path, "--waivers", waivers)
    assert status == 0  # M1.S is a warning rule: it fails only under --strict
    assert waived_boxes(summary) == [[0.0, 0.0, 1.0, 20.0], [50.0, 0.0, 51.0, 20.0]]
    (width,) = [r for r in summary["rules"] if r["id"] == "M1.W"]
    assert width["waived"] == 2 and width["counting"] == 0 and not width["fails_run"]
    assert width["markers"][0]["waived"] == {
        "reason": "agreed with the foundry",
        "owner": "jane",
        "expires": None,
        "waiver": f"{waivers}:2",
        "box_um": [0.0, 0.0, 1.0, 20.0],
    }
    assert summary["waivers"] == {
        "file": waivers, "waived": 2, "stale": [], "expired": [], "unknown_rule": [],
    }  # fmt: skip
    assert run(capsys, "check", layout, "--deck", DECK, "-o", str(tmp_path / "r.lyrdb"))[0] == 1


def test_one_waiver_left_fails_the_run_on_the_other_marker(layout, tmp_path, capsys):
    waivers = waiver_file(tmp_path, entry(FIRST_LINE))
    status, summary = check_json(capsys, layout, tmp_path, "--waivers", waivers)
    assert status == 1
    assert waived_boxes(summary) == [[0.0, 0.0, 1.0, 20.0]]


def test_waived_markers_stay_in_the_marker_database_tagged_waived_with_the_reason(
    layout, tmp_path, capsys
):
    waivers = waiver_file(tmp_path, entry(FIRST_LINE, extra="expires: 2999-12-31"))
    report = str(tmp_path / "r.lyrdb")
    run(capsys, "check", layout, "--deck", DECK, "-o", report, "--waivers", waivers)
    db = rdb.ReportDatabase("")
    db.load(report)
    (width,) = [c for c in db.each_category() if c.name() == "M1.W"]
    first, second = db.each_item_per_category(width.rdb_id())
    waived = db.tag_id("waived")
    assert first.has_tag(waived) and not second.has_tag(waived)
    assert first.comment == (
        f"waived: agreed with the foundry (owner jane, expires 2999-12-31; {waivers}:2)"
    )
    assert first.has_tag(db.tag_id("error"))


@pytest.mark.parametrize(
    ("box", "waived"),
    [
        ("[0.006, -0.008, 1.01, 20.0]", True),  # every side within the default 0.01 um
        ("[0.02, 0, 1, 20]", False),
        ("[0, 0, 1, 20.011]", False),
    ],
)
def test_the_box_matches_within_the_tolerance(layout, tmp_path, capsys, box, waived):
    waivers = waiver_file(tmp_path, entry(box))
    _, summary = check_json(capsys, layout, tmp_path, "--waivers", waivers)
    assert bool(waived_boxes(summary)) is waived


def test_a_tolerance_of_the_entry_of_the_file_or_the_command_line(layout, tmp_path, capsys):
    moved = "[0.3, 0, 1.3, 20]"
    for extra, header, option in (
        ("tolerance: 0.5", "", ()),
        ("", "tolerance: 0.5\n", ()),
        ("", "", ("--match-tolerance", "0.5")),
    ):
        waivers = waiver_file(tmp_path, entry(moved, extra=extra), header)
        _, summary = check_json(capsys, layout, tmp_path, "--waivers", waivers, *option)
        assert waived_boxes(summary) == [[0.0, 0.0, 1.0, 20.0]], (extra, header, option)
    waivers = waiver_file(tmp_path, entry(moved, extra="tolerance: 0.1"), "tolerance: 0.5\n")
    _, summary = check_json(capsys, layout, tmp_path, "--waivers", waivers)
    assert waived_boxes(summary) == []  # the entry's own tolerance wins


def test_renamed_cells_keep_their_waivers(tmp_path, capsys):
    """The box is in the top cell's coordinates: renaming the cell holding the shape, or
    the top cell, changes nothing."""
    waivers = waiver_file(tmp_path, entry(FIRST_LINE) + entry(SECOND_LINE))
    for top, cell in (("TOP", "LINE"), ("TOP", "LINE_V2"), ("PACKAGE_REV_B", "WIRE")):
        layout = write_layout(tmp_path / f"{top}-{cell}.gds", top=top, cell=cell)
        status, summary = check_json(capsys, layout, tmp_path, "--waivers", waivers)
        assert summary["top_cell"] == top
        assert status == 0 and len(waived_boxes(summary)) == 2, (top, cell)


def test_a_waiver_that_matches_nothing_is_stale_and_reported(layout, tmp_path, capsys):
    waivers = waiver_file(tmp_path, entry(FIRST_LINE) + entry("[500, 500, 501, 520]"))
    status, out, _ = run(
        capsys, "check", layout, "--deck", DECK, "-o", str(tmp_path / "r.lyrdb"),
        "--waivers", waivers,
    )  # fmt: skip
    stale = f"{waivers}:6: waiver of M1.W at [500, 500, 501, 520] um matches no marker"
    assert f"warning: {stale} (stale): remove it" in out
    assert "waivers " + waivers + ": 1 markers waived, 1 stale, 0 expired" in out
    assert status == 1  # the second line is not waived
    _, summary = check_json(capsys, layout, tmp_path, "--waivers", waivers)
    assert summary["waivers"]["stale"] == [f"{waivers}:6"]
    assert any(stale in warning for warning in summary["warnings"])


def test_an_expired_waiver_no_longer_waives_and_is_reported(layout, tmp_path, capsys):
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    today = datetime.date.today()
    waivers = waiver_file(
        tmp_path,
        entry(FIRST_LINE, extra=f"expires: {yesterday}")
        + entry(SECOND_LINE, extra=f"expires: {today}"),  # the last day it holds
    )
    status, summary = check_json(capsys, layout, tmp_path, "--waivers", waivers)
    assert status == 1
    assert waived_boxes(summary) == [[50.0, 0.0, 51.0, 20.0]]
    assert summary["waivers"]["expired"] == [f"{waivers}:2"]
    assert (
        f"{waivers}:2: waiver of M1.W at {FIRST_LINE} um expired on {yesterday} (owner jane): "
        "1 marker no longer waived"
    ) in summary["warnings"]


def test_waivers_of_rules_not_run_are_neither_used_nor_stale(layout, tmp_path, capsys):
    waivers = waiver_file(
        tmp_path,
        entry(FIRST_LINE)
        + entry("[1, 1, 2, 2]", rule="M2.W")
        + entry("[0, 0, 1, 1]", rule="NO.SUCH"),
    )
    _, summary = check_json(capsys, layout, tmp_path, "--waivers", waivers, "--rule", "M1.S")
    assert summary["waivers"]["stale"] == []  # M1.W did not run; M2.W was not checked
    assert summary["waivers"]["unknown_rule"] == [f"{waivers}:10"]
    assert (
        f"{waivers}:10: waiver of NO.SUCH at [0, 0, 1, 1] um: deck reports_test has no rule NO.SUCH"
        in summary["warnings"]
    )


def test_a_waiver_file_reads_back_every_field(tmp_path):
    path = waiver_file(
        tmp_path,
        entry(
            "[1, 2.5, 3, 4]", extra="expires: 2030-01-31\ntext: width 1 um < 2 um\ntolerance: 0.2"
        )
        + "- {rule: '1.10', box: [0, 0, 0, 0], reason: yes, owner: 1234}\n",
        "# comment\ntolerance: 0.05\n",
    )
    first, second = load_waivers(path)
    assert (first.rule, first.box, first.reason, first.owner) == (
        "M1.W", (1.0, 2.5, 3.0, 4.0), "agreed with the foundry", "jane",
    )  # fmt: skip
    assert (first.expires, first.text, first.tolerance) == (
        datetime.date(2030, 1, 31), "width 1 um < 2 um", 0.2,
    )  # fmt: skip
    assert first.where == f"{path}:4"
    # text is text as written: a rule id like a number, a reason like a truth value
    assert (second.rule, second.reason, second.owner) == ("1.10", "yes", "1234")
    assert second.tolerance == 0.05  # the file's
    assert parse_waivers("empty.yaml", "") == []
    assert parse_waivers("empty.yaml", "# nothing waived yet\nwaivers:\n") == []


MALFORMED = """\
waivers:
- rule: M1.W
  box: [0, 0, 1]
  reason: short box
  owner: jane
- rule: M1.W
  box: [0, 0, 1, 1]
  owner: jane
- rule: M1.W
  box: [0, 0, 1, 1]
  reason: typo
  owner: jane
  expire: 2030-01-01
- rule: M1.W
  box: [5, 0, 1, 1]
  reason: left of right
  owner: jane
  expires: 31.12.2030
  tolerance: -1
- just a string
- rule: M1.W
  rule: M1.S
  box: [0, 0, 1, 1]
  reason: !!python/object/apply:os.system [echo run]
  owner: ""
"""


def test_malformed_entries_are_all_reported_with_their_lines(tmp_path):
    path = write_text(tmp_path / "bad.yaml", MALFORMED)
    with pytest.raises(WaiverFileError) as caught:
        load_waivers(path)
    found = [(d.line, d.column, d.message) for d in caught.value.diagnostics]
    assert found == [
        (3, 8, "'box' must be [left, bottom, right, top] in um"),
        (6, 3, "waiver without 'reason'"),
        (13, 3, "unknown key 'expire'; expected one of " + ", ".join(ENTRY_KEYS)),
        (15, 8, "'box' must be [left, bottom, right, top]: left > right or bottom > top"),
        (18, 12, "'expires' must be a date, YYYY-MM-DD"),
        (19, 14, "'tolerance' must be a distance in um, 0 or more"),
        (20, 3, "a waiver must be a mapping of rule, box, reason, owner, ..."),
        (22, 3, "'rule' given twice"),
        (24, 11, "'reason' must be a non-empty text"),
        (25, 10, "'owner' must be a non-empty text"),
    ]
    rendered = caught.value.render()
    assert rendered.startswith(
        f"{path}:3:8: error: 'box' must be [left, bottom, right, top] in um\n"
        "      box: [0, 0, 1]\n"
        "           ^~~~~~~~~\n"
    )
    assert rendered.endswith("10 errors")


def test_malformed_files_exit_2_before_the_run_leaving_reports_as_they_were(
    layout, tmp_path, capsys
):
    report = tmp_path / "old.sarif"
    report.write_text("earlier report", encoding="utf-8")
    cases = {
        "waivers: [\n": "not valid YAML",
        "- rule: M1.W\n": "expected a mapping with a 'waivers' list",
        "waivers: {rule: M1.W}\n": "'waivers' must be a list of entries",
        "waiver:\n- rule: M1.W\n": "unknown key 'waiver'",
    }
    for text, message in cases.items():
        path = write_text(tmp_path / "bad.yaml", text)
        status, _, err = run(
            capsys, "check", layout, "--deck", DECK, "-o", str(tmp_path / "r.lyrdb"),
            "--waivers", path, "--report", f"sarif:{report}",
        )  # fmt: skip
        assert status == 2, text
        assert err.startswith(f"{path}:") and message in err, err
    assert report.read_text(encoding="utf-8") == "earlier report"
    assert not (tmp_path / "r.lyrdb").exists()


def test_a_waiver_file_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    path = waiver_file(tmp_path, entry(FIRST_LINE))
    monkeypatch.setattr(waiver_files, "MAX_BYTES", 16)
    with pytest.raises(AdkError, match="over the limit of 16 bytes"):
        load_waivers(path)
    with pytest.raises(AdkError, match="cannot read waiver file"):
        load_waivers(str(tmp_path / "absent.yaml"))


def test_the_safe_loader_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    path = write_text(
        tmp_path / "evil.yaml",
        f"waivers:\n- rule: !!python/object/apply:os.system ['touch {marker}']\n"
        "  box: [0, 0, 1, 1]\n  reason: x\n  owner: y\n",
    )
    with pytest.raises(WaiverFileError):
        load_waivers(path)
    assert not marker.exists()
