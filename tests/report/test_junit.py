"""JUnit reports, parsed back: a test case per rule, failed as the run fails, skipped
when not checked."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tests.report.conftest import DECK, run, write_layout, write_text


def junit(capsys, tmp_path, *args: str) -> tuple[int, ET.Element]:
    layout = write_layout(tmp_path / "package.gds")
    report = str(tmp_path / "report.xml")
    status, _, _ = run(
        capsys, "check", layout, "--deck", DECK, "-o", str(tmp_path / "r.lyrdb"),
        "--report", f"junit:{report}", *args,
    )  # fmt: skip
    return status, ET.parse(report).getroot()


def cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name"): case for case in root.iter("testcase")}


def test_a_case_per_rule_failed_with_count_and_worst_value(tmp_path, capsys):
    status, root = junit(capsys, tmp_path)
    assert status == 1
    assert root.tag == "testsuites"
    (suite,) = root.iter("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    found = cases(root)
    assert list(found) == ["M1.W", "M1.S", "M2.W"]
    assert found["M1.W"].get("classname") == "adk.reports_test"
    failure = found["M1.W"].find("failure")
    assert failure.get("message") == "2 markers (error), worst: width 1 um < 2 um"
    assert failure.get("type") == "error"
    assert failure.text.splitlines() == [
        "1: width 1 um < 2 um at [0, 0, 1, 20] um",
        "2: width 1 um < 2 um at [50, 0, 51, 20] um",
    ]
    # a warning rule fails the run only under --strict: its markers are listed
    assert found["M1.S"].find("failure") is None
    assert found["M1.S"].find("system-out").text == "1: space 1 um < 2 um at [210, 0, 211, 20] um"
    skipped = found["M2.W"].find("skipped")
    assert skipped.get("message") == "not checked (optional layers absent): layers absent: M2"
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["deck"] == "reports_test" and properties["top_cell"] == "TOP"
    assert {"adk_version", "klayout_version", "seconds", "peak_memory_mib"} <= set(properties)
    assert (
        "note: optional layer M2 absent from the layout, read as empty"
        in suite.find("system-out").text
    )


def test_under_strict_warning_rules_fail_too(tmp_path, capsys):
    status, root = junit(capsys, tmp_path, "--strict")
    failure = cases(root)["M1.S"].find("failure")
    assert failure.get("type") == "warning"
    assert failure.get("message") == "1 marker (warning), worst: space 1 um < 2 um"
    assert status == 1


def test_waived_markers_do_not_fail_their_rule(tmp_path, capsys):
    waivers = write_text(
        tmp_path / "w.yaml",
        "waivers:\n"
        "- {rule: M1.W, box: [0, 0, 1, 20], reason: agreed, owner: jane}\n"
        "- {rule: M1.W, box: [50, 0, 51, 20], reason: agreed, owner: jane}\n",
    )
    status, root = junit(capsys, tmp_path, "--waivers", waivers)
    width = cases(root)["M1.W"]
    assert width.find("failure") is None
    lines = width.find("system-out").text.splitlines()
    assert (
        lines[0] == f"1: width 1 um < 2 um at [0, 0, 1, 20] um [waived: agreed (jane), {waivers}:2]"
    )
    assert root.find("testsuite").get("failures") == "0"
    assert status == 0
