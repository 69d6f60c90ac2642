"""``adk waive``: entries from a report appended to a waiver file (by box, or by net from a
JSON report), and the waivers of KLayout's marker browser (REPORT.lyrdb.w) imported."""

from __future__ import annotations

import datetime
import json

import klayout.rdb as rdb
import pytest

from adk.examples.assembly import ASSEMBLY_FILE, write_assembly_example
from adk.report.waivers import load_waivers
from tests.report.conftest import DECK, run, write_text


@pytest.fixture
def report(layout, tmp_path, capsys) -> str:
    path = str(tmp_path / "package.lyrdb")
    run(capsys, "check", layout, "--deck", DECK, "-o", path)
    return path


def waive(capsys, report: str, *args: str) -> tuple[int, str, str]:
    return run(capsys, "waive", report, "--owner", "jane", *args)


def check(capsys, layout: str, tmp_path, waivers: str) -> int:
    out = str(tmp_path / "again.lyrdb")
    return run(capsys, "check", layout, "--deck", DECK, "-o", out, "--waivers", waivers)[0]


def test_waiving_every_violation_of_a_rule_makes_the_run_pass(layout, report, tmp_path, capsys):
    waivers = str(tmp_path / "waivers.yaml")
    status, out, _ = waive(
        capsys, report, "--rule", "M1.W", "--all", "--reason", "agreed", "--expires",
        "2999-12-31", "-o", waivers,
    )  # fmt: skip
    assert (status, out) == (0, f"2 waivers added to {waivers}\n")
    first, second = load_waivers(waivers)
    assert (first.rule, first.box, first.reason, first.owner) == (
        "M1.W", (0.0, 0.0, 1.0, 20.0), "agreed", "jane",
    )  # fmt: skip
    assert first.expires == datetime.date(2999, 12, 31)
    assert first.text == "width 1 um < 2 um" and second.box == (50.0, 0.0, 51.0, 20.0)
    assert check(capsys, layout, tmp_path, waivers) == 0


def test_items_are_numbered_from_1_and_a_json_report_works_too(layout, tmp_path, capsys):
    report = str(tmp_path / "package.json")
    run(
        capsys, "check", layout, "--deck", DECK, "-o", str(tmp_path / "r.lyrdb"),
        "--report", f"json:{report}",
    )  # fmt: skip
    waivers = str(tmp_path / "w.yaml")
    status, _, _ = waive(
        capsys, report, "--rule", "M1.W", "--item", "2", "--reason", "r", "-o", waivers
    )
    assert status == 0
    assert [w.box for w in load_waivers(waivers)] == [(50.0, 0.0, 51.0, 20.0)]
    status, _, err = waive(
        capsys, report, "--rule", "M1.W", "--item", "3", "--reason", "r", "-o", waivers
    )
    assert status == 2 and "rule M1.W has 2 markers, no item 3" in err
    status, _, err = waive(capsys, report, "--rule", "NO.SUCH", "--all", "--reason", "r")
    assert status == 2 and "no marker of rule NO.SUCH" in err


def test_appending_keeps_the_file_and_leaves_out_what_it_holds(report, tmp_path, capsys):
    waivers = write_text(
        tmp_path / "w.yaml",
        "# reviewed by the package team\n"
        "tolerance: 0.02\n"
        "waivers:\n"
        "  # the first line, long agreed\n"
        "  - rule: M1.W\n"
        "    box: [0, 0, 1, 20]\n"
        "    reason: agreed long ago\n"
        "    owner: bob\n",
    )
    before = read(waivers)
    status, out, _ = waive(
        capsys, report, "--rule", "M1.W", "--all", "--reason", "new", "-o", waivers
    )
    assert (status, out) == (0, f"1 waiver added to {waivers} (1 already there)\n")
    after = read(waivers)
    assert after.startswith(before)
    assert after[len(before) :].startswith("  - rule: M1.W\n    box: [50.0, 0.0, 51.0, 20.0]\n")
    assert [(w.reason, w.owner, w.tolerance) for w in load_waivers(waivers)] == [
        ("agreed long ago", "bob", 0.02), ("new", "jane", 0.02),
    ]  # fmt: skip
    status, out, _ = waive(
        capsys, report, "--rule", "M1.W", "--all", "--reason", "new", "-o", waivers
    )
    assert out == f"0 waivers added to {waivers} (2 already there)\n"
    assert read(waivers) == after


def test_a_file_whose_list_is_not_last_is_left_as_it_is(report, tmp_path, capsys):
    text = "waivers:\n- {rule: M1.S, box: [0, 0, 1, 1], reason: r, owner: o}\ntolerance: 0.02\n"
    waivers = write_text(tmp_path / "w.yaml", text)
    status, _, err = waive(
        capsys, report, "--rule", "M1.W", "--all", "--reason", "r", "-o", waivers
    )
    assert status == 2
    assert "cannot append to this waiver file without rewriting it" in err
    assert "- rule: M1.W\n  box: [0.0, 0.0, 1.0, 20.0]" in err  # to add by hand
    assert read(waivers) == text


def test_a_malformed_waiver_file_is_not_appended_to(report, tmp_path, capsys):
    waivers = write_text(tmp_path / "w.yaml", "waivers:\n- rule: M1.W\n")
    status, _, err = waive(
        capsys, report, "--rule", "M1.W", "--all", "--reason", "r", "-o", waivers
    )
    assert status == 2 and f"{waivers}:2:3: error: waiver without 'box'" in err


def read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def klayout_waiver_database(report: str, comments: dict[int, str]) -> str:
    """What KLayout's marker browser saves with File > Save Waiver DB: the whole report
    as REPORT.lyrdb.w, the items the user waived tagged 'waived', with their comments."""
    db = rdb.ReportDatabase("")
    db.load(report)
    (width,) = [c for c in db.each_category() if c.name() == "M1.W"]
    items = list(db.each_item_per_category(width.rdb_id()))
    for index, comment in comments.items():
        items[index].add_tag(db.tag_id("waived"))
        items[index].comment = comment
    db.save(report + ".w")
    return report + ".w"


def test_the_waivers_of_klayouts_marker_browser_are_imported(layout, report, tmp_path, capsys):
    side_file = klayout_waiver_database(report, {1: "pad ring, agreed with assembly"})
    waivers = str(tmp_path / "w.yaml")
    status, out, _ = waive(capsys, side_file, "--klayout-waived", "-o", waivers)
    assert (status, out) == (0, f"1 waiver added to {waivers}\n")
    (waiver,) = load_waivers(waivers)
    assert (waiver.rule, waiver.box) == ("M1.W", (50.0, 0.0, 51.0, 20.0))
    assert (waiver.reason, waiver.owner) == ("pad ring, agreed with assembly", "jane")
    assert check(capsys, layout, tmp_path, waivers) == 1  # the first line is not waived


def test_an_imported_waiver_needs_a_reason(report, tmp_path, capsys):
    side_file = klayout_waiver_database(report, {0: ""})
    waivers = str(tmp_path / "w.yaml")
    status, _, err = waive(capsys, side_file, "--klayout-waived", "-o", waivers)
    assert status == 2 and "no reason for 1 markers (M1.W item 1): give --reason" in err
    status, _, _ = waive(capsys, side_file, "--klayout-waived", "--reason", "agreed", "-o", waivers)
    assert status == 0 and load_waivers(waivers)[0].reason == "agreed"


def test_a_report_without_klayout_waivers_has_nothing_to_import(report, tmp_path, capsys):
    status, _, err = waive(capsys, report, "--klayout-waived", "-o", str(tmp_path / "w.yaml"))
    assert status == 2 and "no marker waived in KLayout's marker browser" in err
    assert not (tmp_path / "w.yaml").exists()


def test_usage_errors(report, capsys):
    assert waive(capsys, report, "--all", "--reason", "r")[0] == 2  # no --rule
    assert waive(capsys, report, "--rule", "M1.W", "--all")[0] == 2  # no --reason
    assert waive(capsys, report, "--rule", "M1.W", "--reason", "r")[0] == 2  # which ones?
    status, _, err = waive(capsys, report, "--rule", "M1.W", "--item", "0", "--reason", "r")
    assert status == 2 and "expected a violation's number from 1" in err
    status, _, err = waive(
        capsys, report, "--rule", "M1.W", "--all", "--reason", "r", "--expires", "soon"
    )
    assert status == 2 and "expected a date YYYY-MM-DD" in err


# ---------------------------------------------------------------- by net
NET_REPORT = {
    "top_cell": "PKG",
    "rules": [
        {
            "id": "PKG.NET",
            "markers": [
                {
                    "text": "short: net VDD lands on nets VDD, VSS",
                    "bbox_um": [10.0, 20.0, 10.0, 20.0],
                    "nets": ["VDD", "VSS"],
                },
                {"text": "net SENSE floats", "bbox_um": [30.0, 5.0, 30.0, 5.0], "nets": ["SENSE"]},
                {"text": "net VSS opens", "bbox_um": [40.0, 5.0, 40.0, 5.0], "nets": ["VSS"]},
            ],
        },
        {"id": "M1.W", "markers": [{"text": "width", "bbox_um": [0, 0, 1, 1], "nets": []}]},
    ],
}


@pytest.fixture
def net_report(tmp_path) -> str:
    return write_text(tmp_path / "nets.json", json.dumps(NET_REPORT))


def test_a_net_waiver_is_one_entry_for_the_rules_markers_on_the_net(net_report, tmp_path, capsys):
    waivers = str(tmp_path / "w.yaml")
    status, out, err = waive(
        capsys, net_report, "--rule", "PKG.NET", "--net", "VSS", "--reason", "strap on purpose",
        "--expires", "2999-12-31", "-o", waivers,
    )  # fmt: skip
    assert (status, out, err) == (0, f"1 waiver added to {waivers}\n", "")
    assert read(waivers) == (
        "# Waivers for adk check --waivers: each accepts the violations of a rule at a box\n"
        "# (um, top cell coordinates) or involving a net. Format: docs/reports.md.\n"
        "waivers:\n"
        "- rule: PKG.NET\n"
        "  net: VSS\n"
        "  reason: strap on purpose\n"
        "  owner: jane\n"
        "  expires: 2999-12-31\n"
    )
    status, out, _ = waive(
        capsys, net_report, "--rule", "PKG.NET", "--net", "VSS", "--reason", "again", "-o", waivers
    )
    assert (status, out) == (0, f"0 waivers added to {waivers} (1 already there)\n")
    # one marker on the net: the entry keeps its text
    status, _, _ = waive(
        capsys, net_report, "--rule", "PKG.NET", "--net", "SENSE", "--reason", "test pad",
        "-o", waivers,
    )  # fmt: skip
    assert status == 0
    assert read(waivers).endswith(
        "- rule: PKG.NET\n  net: SENSE\n  reason: test pad\n  owner: jane\n"
        "  text: net SENSE floats\n"
    )
    assert [(w.rule, w.net, w.box) for w in load_waivers(waivers)] == [
        ("PKG.NET", "VSS", None), ("PKG.NET", "SENSE", None),
    ]  # fmt: skip


def test_a_net_no_marker_of_the_rule_involves_is_refused(net_report, tmp_path, capsys):
    waivers = tmp_path / "w.yaml"
    status, _, err = waive(
        capsys, net_report, "--rule", "PKG.NET", "--net", "GND", "--reason", "r",
        "-o", str(waivers),
    )  # fmt: skip
    assert (status, err) == (
        2,
        f"adk: error: {net_report}: no marker of rule PKG.NET involves net GND; its markers "
        "involve SENSE, VDD, VSS\n",
    )
    status, _, err = waive(
        capsys, net_report, "--rule", "M1.W", "--net", "VSS", "--reason", "r", "-o", str(waivers)
    )
    assert err == (
        f"adk: error: {net_report}: no marker of rule M1.W involves net VSS; its markers "
        "involve no net\n"
    )
    assert not waivers.exists()


def test_a_marker_database_gives_no_nets(report, tmp_path, capsys):
    status, _, err = waive(
        capsys, report, "--rule", "M1.W", "--net", "VSS", "--reason", "r",
        "-o", str(tmp_path / "w.yaml"),
    )  # fmt: skip
    assert (status, err) == (
        2,
        f"adk: error: {report}: this report does not give its markers' nets (a marker "
        "database never does): --net needs a JSON report of the run (--report json:PATH)\n",
    )


def test_a_json_report_without_nets_gives_none(tmp_path, capsys):
    older = json.loads(json.dumps(NET_REPORT))
    for rule in older["rules"]:
        for marker in rule["markers"]:
            del marker["nets"]  # as written before markers' nets were
    path = write_text(tmp_path / "old.json", json.dumps(older))
    status, _, err = waive(capsys, path, "--rule", "PKG.NET", "--net", "VSS", "--reason", "r")
    assert status == 2 and "this report does not give its markers' nets" in err


def test_net_usage_errors(net_report, capsys):
    status, _, err = waive(capsys, net_report, "--net", "VSS", "--reason", "r")
    assert status == 2 and "--all, --item and --net need --rule and --reason" in err
    status, _, err = waive(
        capsys, net_report, "--rule", "PKG.NET", "--net", "VDD SENSE", "--reason", "r"
    )
    assert status == 2 and "expected a net's name without spaces, not 'VDD SENSE'" in err
    status, _, err = waive(
        capsys, net_report, "--rule", "PKG.NET", "--net", "VSS", "--all", "--reason", "r"
    )
    assert status == 2 and "not allowed with argument" in err


def test_a_net_waiver_written_from_an_assembly_report_waives_its_markers(
    tmp_path, capsys, monkeypatch
):
    """The example assembly with a bump of the ASIC moved to VSS: the net rule's two
    markers involve the bridge's pad net H2_1; one entry naming it waives both."""
    monkeypatch.chdir(tmp_path)
    write_assembly_example("focos_bridge", str(tmp_path))
    bump_map = tmp_path / "asic_bumps.csv"
    text = bump_map.read_text(encoding="utf-8")
    bump_map.write_text(text.replace("\nR_1_0,H2_1,", "\nR_1_0,VSS,"), encoding="utf-8")
    status, _, _ = run(capsys, "check-assembly", ASSEMBLY_FILE, "-q", "--report", "json:a.json")
    assert status == 1
    markers = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))["rules"]
    assert [m["nets"] for r in markers if r["id"] == "ASIC.BR2.NET" for m in r["markers"]] == [
        ["H2_1"], ["VSS", "H2_1"],
    ]  # fmt: skip
    status, out, _ = waive(
        capsys, "a.json", "--rule", "ASIC.BR2.NET", "--net", "H2_1", "--reason", "shield pad",
        "-o", "w.yaml",
    )  # fmt: skip
    assert (status, out) == (0, "1 waiver added to w.yaml\n")
    assert read("w.yaml").endswith(
        "- rule: ASIC.BR2.NET\n  net: H2_1\n  reason: shield pad\n  owner: jane\n"
    )
    status, out, _ = run(
        capsys, "check-assembly", ASSEMBLY_FILE, "--waivers", "w.yaml", "--format", "json"
    )
    assert status == 0
    (rule,) = [r for r in json.loads(out)["rules"] if r["id"] == "ASIC.BR2.NET"]
    assert [m["waived"]["waiver"] for m in rule["markers"]] == ["w.yaml:4", "w.yaml:4"]
