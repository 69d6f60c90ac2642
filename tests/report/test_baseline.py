"""Baselines: an earlier report (.lyrdb or JSON) marks each violation new or existing,
and --fail-on new fails a run only on the new ones."""

from __future__ import annotations

import json

import klayout.rdb as rdb
import pytest

from tests.report.conftest import DECK, run, write_layout, write_text

LINES = ((0.0, 0.0), (50.0, 0.0))
ONE_MORE = LINES + ((100.0, 0.0),)


@pytest.fixture(params=["lyrdb", "json"])
def baseline(request, tmp_path, capsys) -> str:
    """The report of a first run on a layout with two violations of M1.W."""
    layout = write_layout(tmp_path / "old.gds", lines=LINES)
    lyrdb, report = str(tmp_path / "old.lyrdb"), str(tmp_path / "old.json")
    run(capsys, "check", layout, "--deck", DECK, "-o", lyrdb, "--report", f"json:{report}")
    return lyrdb if request.param == "lyrdb" else report


def check(capsys, tmp_path, baseline: str, *args: str, **layout) -> tuple[int, dict, str]:
    path = write_layout(tmp_path / "new.gds", **layout)
    report = str(tmp_path / "new.json")
    status, out, _ = run(
        capsys, "check", path, "--deck", DECK, "-o", str(tmp_path / "new.lyrdb"),
        "--baseline", baseline, "--report", f"json:{report}", *args,
    )  # fmt: skip
    with open(report, encoding="utf-8") as handle:
        return status, json.load(handle), out


def standings(summary: dict, rule: str = "M1.W") -> list[str]:
    (found,) = [r for r in summary["rules"] if r["id"] == rule]
    return [marker["baseline"] for marker in found["markers"]]


def test_the_same_layout_has_only_existing_violations(baseline, tmp_path, capsys):
    status, summary, out = check(capsys, tmp_path, baseline, "--fail-on", "new", lines=LINES)
    assert standings(summary) == ["existing", "existing"]
    assert standings(summary, "M1.S") == ["existing"]
    assert summary["baseline"] == {"file": baseline, "new": 0, "existing": 3, "resolved": 0}
    assert status == 0
    assert f"baseline {baseline}: 0 new, 3 existing, 0 resolved markers" in out
    assert check(capsys, tmp_path, baseline, lines=LINES)[0] == 1  # --fail-on any


def test_a_new_violation_is_new_and_fails_the_run_under_fail_on_new(baseline, tmp_path, capsys):
    status, summary, _ = check(capsys, tmp_path, baseline, "--fail-on", "new", lines=ONE_MORE)
    assert standings(summary) == ["existing", "existing", "new"]
    (width,) = [r for r in summary["rules"] if r["id"] == "M1.W"]
    assert (width["new"], width["existing"], width["counting"]) == (1, 2, 1)
    assert status == 1


def test_boxes_match_within_the_tolerance(baseline, tmp_path, capsys):
    _, summary, _ = check(capsys, tmp_path, baseline, lines=LINES, shift=0.005)
    assert standings(summary) == ["existing", "existing"]
    _, summary, _ = check(capsys, tmp_path, baseline, lines=LINES, shift=0.5)
    assert standings(summary) == ["new", "new"]
    assert summary["baseline"]["resolved"] == 2  # the old boxes no longer have markers
    _, summary, _ = check(
        capsys, tmp_path, baseline, "--match-tolerance", "0.6", lines=LINES, shift=0.5
    )
    assert standings(summary) == ["existing", "existing"]


def test_a_fixed_violation_is_resolved(baseline, tmp_path, capsys):
    status, summary, _ = check(capsys, tmp_path, baseline, "--fail-on", "new", lines=LINES[:1])
    assert standings(summary) == ["existing"]
    assert summary["baseline"]["resolved"] == 1
    assert status == 0


def test_waivers_and_baseline_together(baseline, tmp_path, capsys):
    """A new violation that is waived does not fail the run either."""
    waivers = write_text(
        tmp_path / "w.yaml",
        "waivers:\n- rule: M1.W\n  box: [100, 0, 101, 20]\n  reason: r\n  owner: o\n",
    )
    status, summary, _ = check(
        capsys, tmp_path, baseline, "--fail-on", "new", "--waivers", waivers, lines=ONE_MORE
    )
    (width,) = [r for r in summary["rules"] if r["id"] == "M1.W"]
    assert width["markers"][2]["baseline"] == "new" and width["markers"][2]["waived"]
    assert status == 0


def test_the_marker_database_tags_new_and_existing(baseline, tmp_path, capsys):
    check(capsys, tmp_path, baseline, lines=ONE_MORE)
    db = rdb.ReportDatabase("")
    db.load(str(tmp_path / "new.lyrdb"))
    (width,) = [c for c in db.each_category() if c.name() == "M1.W"]
    new, existing = db.tag_id("new"), db.tag_id("existing")
    tags = [
        "new" if item.has_tag(new) else "existing" if item.has_tag(existing) else None
        for item in db.each_item_per_category(width.rdb_id())
    ]
    assert tags == ["existing", "existing", "new"]


def test_bad_baselines_and_options_exit_2(tmp_path, capsys):
    layout = write_layout(tmp_path / "new.gds")
    args = ("check", layout, "--deck", DECK, "-o", str(tmp_path / "new.lyrdb"))
    status, _, err = run(capsys, *args, "--fail-on", "new")
    assert status == 2 and "--fail-on new needs --baseline" in err
    not_a_report = write_text(tmp_path / "notes.txt", "hello\n")
    status, _, err = run(capsys, *args, "--baseline", not_a_report)
    assert status == 2 and f"{not_a_report}: not a marker database" in err
    other_json = write_text(tmp_path / "other.json", '{"results": []}\n')
    status, _, err = run(capsys, *args, "--baseline", other_json)
    assert status == 2 and f"{other_json}: not a JSON report of adk check" in err
    status, _, err = run(capsys, *args, "--baseline", str(tmp_path / "absent.lyrdb"))
    assert status == 2 and "cannot read report" in err
    status, _, err = run(capsys, *args, "--match-tolerance", "-1")
    assert status == 2 and "expected a distance in um" in err
