"""``adk check-assembly`` writes the reports of ``adk check`` (SARIF, JUnit, JSON, text,
HTML from the assembled layout in memory), takes a baseline, fails on new violations
only; ``adk lint --assembly`` checks a deck's ``PART.LAYER`` names against the assembly."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from adk.assembly import check_assembly
from adk.cli import main
from adk.examples.assembly import ASSEMBLY_FILE, DECK_FILE, write_assembly_example
from adk.report.html import PICTURES, PICTURES_PER_RULE, write_html

REPORTS = {"sarif": "p.sarif", "junit": "p.xml", "json": "p.json", "text": "p.txt", "html": "html"}


def adk(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's bad usage
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("broken")
    write_assembly_example("focos_bridge", str(folder), broken=True)
    return folder


@pytest.fixture(scope="module")
def reported(broken, tmp_path_factory) -> tuple[Path, dict]:
    """Every report of one run of the broken example, and the run's JSON on stdout."""
    out = tmp_path_factory.mktemp("reports")
    reports = [f"--report={name}:{out / path}" for name, path in REPORTS.items()]
    argv = [str(broken / ASSEMBLY_FILE), "-o", str(out / "p.lyrdb"), "--format", "json"]
    try:
        code = main(["check-assembly", *argv, *reports])
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 1
    return out, json.loads((out / "p.json").read_text())


def marker_counts(report: dict) -> dict[str, int]:
    return {rule["id"]: len(rule["markers"]) for rule in report["rules"] if rule["markers"]}


def test_the_json_report_has_every_rule_and_marker_of_the_run(reported):
    _, report = reported
    counts = marker_counts(report)
    assert len(report["rules"]) == 46
    assert sum(counts.values()) == 864
    assert counts["BR.SPAN"] == 1 and counts["3DBLOX.CONN.hbm2_br2"] == 1
    (marker,) = next(r for r in report["rules"] if r["id"] == "BR.SPAN")["markers"]
    assert marker["text"] == "dies 1 != 2 [BR2, ASIC, HBM2]"


def test_sarif_has_a_result_per_marker(reported):
    out, report = reported
    (run,) = json.loads((out / REPORTS["sarif"]).read_text())["runs"]
    per_rule: dict[str, int] = {}
    for result in run["results"]:
        per_rule[result["ruleId"]] = per_rule.get(result["ruleId"], 0) + 1
    assert per_rule == marker_counts(report)
    assert {rule["id"] for rule in run["tool"]["driver"]["rules"]} == {
        rule["id"] for rule in report["rules"]
    }


def test_junit_has_a_failure_per_failing_rule_with_its_count(reported):
    out, report = reported
    (suite,) = ET.parse(out / REPORTS["junit"]).getroot()
    failures = {
        case.get("name"): case.find("failure").get("message")
        for case in suite.iter("testcase")
        if case.find("failure") is not None
    }
    counts = marker_counts(report)
    assert suite.get("tests") == "46" and suite.get("failures") == str(len(counts)) == "17"
    assert set(failures) == set(counts)
    for rule, count in counts.items():
        assert failures[rule].startswith(f"{count} marker{'s' if count > 1 else ''} (error)")


def test_the_text_report_has_the_summary(reported):
    out, _ = reported
    text = (out / REPORTS["text"]).read_text()
    assert "46 rules, 17 failed, 0 not checked, 864 markers" in text
    assert "dies 1 != 2 [BR2, ASIC, HBM2]" in text


def test_the_html_report_draws_the_assembled_layout_without_writing_it(reported):
    out, report = reported
    page = (out / "html" / "index.html").read_text()
    pictures = sorted((out / "html" / PICTURES).glob("*.png"))
    expected = sum(min(count, PICTURES_PER_RULE) for count in marker_counts(report).values())
    assert len([p for p in pictures if not p.name.startswith(("density-", "bumps-"))]) == expected
    assert page.count("<img") == len(pictures)
    assert 'id="rule-BR.SPAN"' in page and "dies 1 != 2 [BR2, ASIC, HBM2]" in page
    assert not list(out.glob("*.gds")) and not list(out.glob("*.oas"))


def shape_count(layout) -> int:
    return sum(cell.shapes(i).size() for cell in layout.each_cell() for i in layout.layer_indexes())


def test_the_html_report_leaves_the_assembled_layout_whole(broken, tmp_path):
    # the layout view frees the layout it draws: the report draws a copy
    run = check_assembly(str(broken / ASSEMBLY_FILE), rules=["BR.SPAN"])
    extent, shapes = run.assembled.top.dbbox(), shape_count(run.assembled.layout)
    write_html(run.result, str(tmp_path / "html"), layout=run.assembled.loaded())
    assert run.assembled.top.dbbox() == extent
    assert shape_count(run.assembled.layout) == shapes
    assert len(list((tmp_path / "html" / PICTURES).glob("*-BR.SPAN-*.png"))) == 1


def test_the_html_report_names_the_assembled_layout_written(broken, tmp_path, capsys):
    written = tmp_path / "package.oas"
    argv = [str(broken / ASSEMBLY_FILE), "-o", str(tmp_path / "r.lyrdb"), "--rule", "BR.SPAN"]
    argv += ["--write-assembled", str(written), "--report", f"html:{tmp_path / 'html'}"]
    code, out, _ = adk(capsys, "check-assembly", *argv)
    assert code == 1
    assert out.splitlines()[-1] == f"assembled layout: {written}"
    page = (tmp_path / "html" / "index.html").read_text()
    assert "<title>adk check: focos_bridge_assembly on package.oas</title>" in page


def test_a_baseline_fails_the_run_on_new_violations_only(broken, tmp_path, capsys):
    assembly = str(broken / ASSEMBLY_FILE)
    baseline = tmp_path / "baseline.json"
    first = [assembly, "-o", str(tmp_path / "first.lyrdb"), "--report", f"json:{baseline}"]
    assert adk(capsys, "check-assembly", *first)[0] == 1
    again = [assembly, "-o", str(tmp_path / "r.lyrdb"), "--baseline", str(baseline)]
    code, out, _ = adk(capsys, "check-assembly", *again, "--fail-on", "new")
    assert code == 0
    said = f"baseline {baseline}: 0 new, 864 existing, 0 resolved markers"
    assert f"{said}; only new markers fail the run" in out
    # the marker database of the first run is a baseline too
    lyrdb = [*again[:-1], str(tmp_path / "first.lyrdb"), "--fail-on", "new", "-q"]
    assert adk(capsys, "check-assembly", *lyrdb)[0] == 0

    deck = broken / f"{tmp_path.name}.adk"
    deck.write_text(
        (broken / DECK_FILE).read_text()
        + 'rule GAP.NEW "ASIC to HBM1, 5 mm apart" : separation(ASIC.outline, HBM1.outline) '
        ">= 5000 um\n"
    )
    code, out, _ = adk(
        capsys, "check-assembly", *again, "--fail-on", "new", "--deck", str(deck), "-q"
    )
    assert code == 1
    report = tmp_path / "new.json"
    argv = [*again, "--fail-on", "new", "--deck", str(deck), "--report", f"json:{report}", "-q"]
    assert adk(capsys, "check-assembly", *argv)[0] == 1
    rules = {rule["id"]: rule for rule in json.loads(report.read_text())["rules"]}
    assert rules["GAP.NEW"]["markers"]
    assert {m["baseline"] for m in rules["GAP.NEW"]["markers"]} == {"new"}
    assert {m["baseline"] for m in rules["HBM1.BR1"]["markers"]} == {"existing"}


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (
            ["--fail-on", "new"],
            "adk: error: --fail-on new needs --baseline: new is against a baseline",
        ),
        (
            ["--report", "pdf:r.pdf"],
            "adk: error: argument --report: unknown report format 'pdf'; known: sarif, junit, "
            "json, text, html",
        ),
        (
            ["--report", "sarif"],
            "adk: error: argument --report: expected FORMAT:PATH, such as sarif:report.sarif, "
            "not 'sarif'",
        ),
        (
            ["--match-tolerance", "-1"],
            "adk: error: argument --match-tolerance: expected a distance in um, 0 or more, "
            "not '-1'",
        ),
    ],
)
def test_bad_report_options_fail_as_adk_check_s_do(broken, tmp_path, capsys, argv, error):
    output = ["-o", str(tmp_path / "r.lyrdb")]
    code, _, err = adk(capsys, "check-assembly", str(broken / ASSEMBLY_FILE), *output, *argv)
    assert code == 2
    assert err.strip().splitlines()[-1] == error
    assert not (tmp_path / "r.lyrdb").exists()
    if argv[0] != "--fail-on":  # adk check stops there only after reading its layout
        checked = adk(capsys, "check", "package.gds", "--deck", "focos_bridge", *argv)
        assert checked[2].strip().splitlines()[-1] == error


def test_a_report_to_the_marker_database_s_path_is_refused(broken, tmp_path, capsys):
    output = str(tmp_path / "r.lyrdb")
    argv = [str(broken / ASSEMBLY_FILE), "-o", output, "--report", f"json:{output}"]
    code, _, err = adk(capsys, "check-assembly", *argv)
    assert code == 2
    assert f"{output}: both the marker database and the json report" in err


# ---------------------------------------------------------------- lint
def test_lint_with_the_assembly_passes_its_deck(broken, capsys):
    deck = broken / DECK_FILE
    code, out, err = adk(capsys, "lint", str(deck), "--assembly", str(broken / ASSEMBLY_FILE))
    assert (code, err) == (0, "")
    assert out == f"{deck}: ok (37 rules, 27 layers)\n"


def test_lint_with_the_assembly_reports_unknown_parts_and_layers(broken, tmp_path, capsys):
    deck = tmp_path / "bad.adk"
    deck.write_text("rule X : width(HBM3.outline) >= 1 um\nrule Y : width(HBM1.bumps) >= 1 um\n")
    code, out, err = adk(capsys, "lint", str(deck), "--assembly", str(broken / ASSEMBLY_FILE))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == (
        f"{deck}:1:16: error: unknown part 'HBM3': the assembly has no such part "
        "(did you mean 'HBM2'?)"
    )
    assert (
        lines[3] == f"{deck}:2:16: error: part 'HBM1' has no layer 'bumps' (did you mean 'bump'?)"
    )
    assert lines[-1] == "2 errors"


def test_lint_without_the_assembly_says_to_pass_it_once_per_name(tmp_path, capsys):
    deck = tmp_path / "a.adk"
    deck.write_text(
        "layer DIES = ASIC.outline or HBM1.outline\n"
        "rule A : width(ASIC.outline) >= 1 um\n"
        "rule B : width(BR1.pad) >= 1 um\n"
        "rule C : width(UNKNOWN) >= 1 um\n"
    )
    code, out, err = adk(capsys, "lint", str(deck))
    assert (code, out) == (2, "")
    heads = [line for line in err.splitlines() if line.startswith(str(deck))]
    how = "which only an assembly has: lint the deck with --assembly ASSEMBLY.yaml|STACK.3dbx"
    assert heads == [
        f"{deck}:1:14: error: 'ASIC.outline' is a layer of the part 'ASIC' (PART.LAYER), {how}",
        f"{deck}:3:16: error: 'BR1.pad' is a layer of the part 'BR1' (PART.LAYER), {how}",
        f"{deck}:4:16: error: unknown layer 'UNKNOWN'",
    ]
    assert err.splitlines()[-1] == "3 errors"


def test_lint_with_a_3dblox_stack(tmp_path, capsys):
    folder = tmp_path / "fb3"
    main(["example-assembly", "focos_bridge", str(folder), "--3dblox"])
    capsys.readouterr()
    deck = folder / DECK_FILE
    code, out, _ = adk(capsys, "lint", str(deck), "--assembly", str(folder / "stack.3dbx"))
    assert code == 0 and out == f"{deck}: ok (37 rules, 27 layers)\n"


def test_lint_with_an_unreadable_assembly_is_one_line(tmp_path, capsys):
    deck = tmp_path / "a.adk"
    deck.write_text("rule A : width(ASIC.outline) >= 1 um\n")
    code, _, err = adk(capsys, "lint", str(deck), "--assembly", str(tmp_path / "none.yaml"))
    assert code == 2
    assert err.strip() == (
        f"adk: error: {tmp_path / 'none.yaml'}: cannot read assembly: No such file or directory"
    )
