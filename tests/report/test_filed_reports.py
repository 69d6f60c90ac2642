"""Reports of a marker filed in a cell (docs/reports.md): one line or result for it, at its
first placement, with its cell and how many times it is placed; waivers and baselines
match it at any placement."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import klayout.db as kdb
import klayout.rdb as rdb

from tests.report.conftest import DECK, SARIF_SCHEMA, run, write_text

PLACES = ((0.0, 0.0), (50.0, 0.0), (100.0, 0.0))
SECOND = "[50, 0, 51, 20]"


def write_layout(path: Path, places: tuple[tuple[float, float], ...] = PLACES) -> str:
    """One cell LINE with a line 1 um wide (M1.W) placed at each of ``places``."""
    layout = kdb.Layout()
    layout.dbu = 0.001
    top = layout.create_cell("TOP")
    line = layout.create_cell("LINE")
    line.shapes(layout.layer(1, 0)).insert(kdb.DBox(0, 0, 1, 20))
    for x, y in places:
        top.insert(kdb.DCellInstArray(line.cell_index(), kdb.DTrans(x, y)))
    layout.write(str(path))
    return str(path)


def check(capsys, tmp_path: Path, layout: str, *args: str) -> tuple[int, str, dict]:
    report = tmp_path / "run.json"
    status, out, _ = run(
        capsys, "check", layout, "--deck", DECK, "-o", str(tmp_path / "run.lyrdb"),
        "--report", f"json:{report}", *args,
    )  # fmt: skip
    return status, out, json.loads(report.read_text(encoding="utf-8"))


def width_rule(summary: dict) -> dict:
    return next(rule for rule in summary["rules"] if rule["id"] == "M1.W")


def test_a_waiver_at_any_placement_waives_the_marker(capsys, tmp_path):
    layout = write_layout(tmp_path / "lines.gds")
    waivers = write_text(
        tmp_path / "waivers.yaml",
        f"waivers:\n- rule: M1.W\n  box: {SECOND}\n  reason: test lines\n  owner: qa\n",
    )
    status, out, summary = check(capsys, tmp_path, layout, "--waivers", waivers)
    assert status == 0
    rule = width_rule(summary)
    assert (rule["count"], rule["placed"], rule["waived"], rule["counting"]) == (1, 3, 1, 0)
    assert rule["markers"][0]["waived"]["box_um"] == [50.0, 0.0, 51.0, 20.0]
    assert "waivers " in out and "1 markers waived, 0 stale" in out
    db = rdb.ReportDatabase("")
    db.load(str(tmp_path / "run.lyrdb"))
    (item,) = [i for i in db.each_item() if db.cell_by_id(i.cell_id()).name() == "LINE"]
    assert item.has_tag(db.tag_id("waived"))


def test_adk_waive_on_a_filed_item_waives_it_in_the_next_run(capsys, tmp_path):
    layout = write_layout(tmp_path / "lines.gds")
    check(capsys, tmp_path, layout)
    waivers = tmp_path / "waivers.yaml"
    status, _, _ = run(
        capsys, "waive", str(tmp_path / "run.lyrdb"), "--rule", "M1.W", "--all",
        "--reason", "test lines", "--owner", "qa", "-o", str(waivers),
    )  # fmt: skip
    assert status == 0
    # the first placement's box, in the top cell
    assert "box: [0.0, 0.0, 1.0, 20.0]" in waivers.read_text(encoding="utf-8")
    assert check(capsys, tmp_path, layout, "--waivers", str(waivers))[0] == 0


def test_a_baseline_matches_a_filed_marker_at_any_placement(capsys, tmp_path):
    """A flat baseline (one marker per placement) and a filed one both say the marker
    exists; no baseline marker is resolved."""
    layout = write_layout(tmp_path / "lines.gds")
    flat, filed = tmp_path / "flat.json", tmp_path / "filed.lyrdb"
    run(capsys, "check", layout, "--deck", DECK, "-o", str(tmp_path / "f.lyrdb"),
        "--flat-markers", "--report", f"json:{flat}")  # fmt: skip
    assert len(width_rule(json.loads(flat.read_text(encoding="utf-8")))["markers"]) == 3
    run(capsys, "check", layout, "--deck", DECK, "-o", str(filed))
    for baseline in (flat, filed):
        status, out, summary = check(
            capsys, tmp_path, layout, "--baseline", str(baseline), "--fail-on", "new"
        )
        assert status == 0, baseline
        assert [m["baseline"] for m in width_rule(summary)["markers"]] == ["existing"]
        assert "0 new, 1 existing, 0 resolved" in out
    # one more placement of the cell: the same violation of the cell, not a new one
    more = write_layout(tmp_path / "more.gds", PLACES + ((150.0, 0.0),))
    status, out, summary = check(capsys, tmp_path, more, "--baseline", str(filed))
    assert width_rule(summary)["placed"] == 4 and "0 new, 1 existing, 0 resolved" in out


def test_sarif_and_junit_give_the_cell_and_the_placements(capsys, tmp_path):
    layout = write_layout(tmp_path / "lines.gds")
    sarif, junit = tmp_path / "run.sarif", tmp_path / "run.xml"
    check(capsys, tmp_path, layout, "--report", f"sarif:{sarif}", "--report", f"junit:{junit}")
    log = json.loads(sarif.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(log)
    (result,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "M1.W"]
    assert result["message"]["text"] == (
        "width 1 um < 2 um at [0, 0, 1, 20] um in TOP, cell LINE at the first of its 3 placements"
    )
    assert (result["properties"]["cell"], result["properties"]["placements"]) == ("LINE", 3)
    assert log["runs"][0]["properties"]["placed"] == 3
    case = next(c for c in ET.parse(junit).getroot().iter("testcase") if c.get("name") == "M1.W")
    failure = case.find("failure")
    assert failure.get("message") == "1 marker (error, 3 placed), worst: width 1 um < 2 um"
    assert failure.text == "1: width 1 um < 2 um at [0, 0, 1, 20] um [cell LINE, 3 placements]"


def test_the_html_report_counts_placements_and_names_the_cell(capsys, tmp_path):
    layout = write_layout(tmp_path / "lines.gds")
    folder = tmp_path / "html"
    check(capsys, tmp_path, layout, "--report", f"html:{folder}")
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "1 marker (3 placed)" in page
    assert '<td class="count">1 (3 placed)</td>' in page
    assert "in cell LINE, shown at the first of 3 placements" in page
