"""SARIF reports: valid against the SARIF 2.1.0 schema, one result per violation with the
rule, the level, the measured value and the box, waived ones suppressed."""

from __future__ import annotations

import json
import os

import jsonschema
import pytest

from adk.report.sarif import SCHEMA
from tests.report.conftest import DECK, SARIF_SCHEMA, run, write_layout, write_text


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    with open(SARIF_SCHEMA, encoding="utf-8") as handle:
        schema = json.load(handle)
    assert schema["id"] == SCHEMA  # the log names the schema it is checked against
    return jsonschema.Draft4Validator(schema)


def sarif(capsys, tmp_path, *args: str, layout: str | None = None) -> tuple[int, dict]:
    layout = layout or write_layout(tmp_path / "package.gds")
    report = str(tmp_path / "report.sarif")
    status, _, _ = run(
        capsys, "check", layout, "--deck", DECK, "-o", str(tmp_path / "r.lyrdb"),
        "--report", f"sarif:{report}", *args,
    )  # fmt: skip
    with open(report, encoding="utf-8") as handle:
        return status, json.load(handle)


def test_a_report_validates_and_has_one_result_per_violation(
    validator, tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    status, log = sarif(capsys, tmp_path)
    validator.validate(log)
    assert status == 1
    (sarif_run,) = log["runs"]
    results = sarif_run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("M1.W", "error"), ("M1.W", "error"), ("M1.S", "warning"),
    ]  # fmt: skip
    first = results[0]
    assert first["message"]["text"] == "width 1 um < 2 um at [0, 0, 1, 20] um in TOP"
    assert first["properties"]["bbox_um"] == [0.0, 0.0, 1.0, 20.0]
    assert first["properties"]["measured"] == 1.0
    (location,) = first["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "package.gds", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 1},
    }
    assert location["logicalLocations"] == [{"name": "TOP", "kind": "module"}]
    assert sarif_run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")
    assert "suppressions" not in first and "baselineState" not in first


def test_the_rules_and_the_run_are_described(validator, tmp_path, capsys):
    _, log = sarif(capsys, tmp_path)
    (sarif_run,) = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "adk"
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert list(rules) == ["M1.W", "M1.S", "M2.W"]
    assert rules["M1.W"]["shortDescription"]["text"] == "metal 1 width"
    assert rules["M1.W"]["fullDescription"]["text"] == "metal 1 width: width(M1) width >= 2 um"
    assert rules["M1.S"]["defaultConfiguration"]["level"] == "warning"
    (invocation,) = sarif_run["invocations"]
    facts = invocation["properties"]
    assert facts["deck"] == "reports_test" and facts["top_cell"] == "TOP"
    assert facts["adk_version"] and facts["klayout_version"]
    assert facts["peak_memory_mib"] > 0 and facts["seconds"] >= 0
    assert os.path.basename(facts["layout"]) == "package.gds"
    # the rule not checked is a notification: its layer is optional and absent
    notes = invocation["toolExecutionNotifications"]
    assert {"level": "note", "descriptor": {"id": "M2.W"}}.items() <= notes[-1].items()
    assert sarif_run["properties"]["failed_rules"] == ["M1.W"]


def test_fingerprints_tell_violations_apart_and_stay_from_run_to_run(tmp_path, capsys):
    _, first = sarif(capsys, tmp_path)
    _, again = sarif(capsys, tmp_path)

    def prints(log: dict) -> list[str]:
        return [
            r["partialFingerprints"]["primaryLocationLineHash"] for r in log["runs"][0]["results"]
        ]

    assert prints(first) == prints(again)
    assert len(set(prints(first))) == 3


def test_waived_violations_are_suppressed_and_baseline_states_given(validator, tmp_path, capsys):
    waivers = write_text(
        tmp_path / "w.yaml",
        "waivers:\n- rule: M1.W\n  box: [0, 0, 1, 20]\n  reason: agreed\n  owner: jane\n"
        "  expires: 2999-01-01\n",
    )
    sarif(capsys, tmp_path)
    baseline = str(tmp_path / "r.lyrdb")
    os.replace(baseline, tmp_path / "old.lyrdb")
    more = write_layout(tmp_path / "more.gds", lines=((0.0, 0.0), (50.0, 0.0), (100.0, 0.0)))
    status, log = sarif(
        capsys, tmp_path, "--waivers", waivers, "--baseline", str(tmp_path / "old.lyrdb"),
        "--fail-on", "new", layout=more,
    )  # fmt: skip
    validator.validate(log)
    assert status == 1  # the third line is new
    results = log["runs"][0]["results"]
    (suppression,) = results[0]["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert suppression["justification"] == "agreed (owner jane)"
    assert suppression["properties"]["expires"] == "2999-01-01"
    assert suppression["location"]["physicalLocation"]["region"] == {"startLine": 2}
    assert [r.get("baselineState") for r in results] == [
        "unchanged",
        "unchanged",
        "new",
        "unchanged",
    ]
    assert all("suppressions" not in r for r in results[1:])
    assert log["runs"][0]["properties"]["waived"] == 1
    assert log["runs"][0]["properties"]["new"] == 1


def test_a_layout_outside_the_working_folder_is_an_absolute_uri(
    validator, tmp_path, capsys, monkeypatch
):
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    _, log = sarif(capsys, tmp_path)
    validator.validate(log)
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": (tmp_path / "package.gds").as_uri()}


def test_a_clean_run_is_a_valid_log_without_results(validator, tmp_path, capsys):
    clean = tmp_path / "clean.gds"
    write_layout(clean, lines=())  # the line's cell unplaced: a second top cell
    status, log = sarif(capsys, tmp_path, "--rule", "M1.W", "--top", "TOP", layout=str(clean))
    validator.validate(log)
    assert status == 0 and log["runs"][0]["results"] == []
