"""A rule that fails to run is that rule's error: the others are still checked and
reported, every report says which rule failed and why, and the run fails (exit 2 for
the rule's input, 3 for a bug) (docs/checking.md)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import klayout.db as kdb
import klayout.rdb as rdb
import pytest

from adk import checks
from adk.cli import main

DECK = """\
units um
layer M = 1/0
rule D "density" : density(M, window {window}) {{ density >= 20 % }}
rule W "width" : width(M) >= 200 um
"""


@pytest.fixture
def square(tmp_path) -> str:
    """A 100 µm square: too narrow for W."""
    layout = kdb.Layout()
    layout.dbu = 0.001
    layout.create_cell("TOP").shapes(layout.layer(1, 0)).insert(kdb.Box(0, 0, 100_000, 100_000))
    path = str(tmp_path / "square.gds")
    layout.write(path)
    return path


def run(capsys, tmp_path, layout: str, window: str, *extra: str) -> tuple[int, str, str]:
    deck = tmp_path / "deck.adk"
    deck.write_text(DECK.format(window=window))
    status = main(["check", layout, "--deck", str(deck), "-o", str(tmp_path / "out.lyrdb"), *extra])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("jobs", [[], ["--jobs", "2"]], ids=["whole", "tiled"])
def test_a_rule_failing_for_its_input_fails_the_run_and_the_others_are_reported(
    capsys, tmp_path, square, jobs
):
    status, out, err = run(capsys, tmp_path, square, "0.0001 um", "--format", "json", *jobs)
    message = (
        "density window 0.0001 um or step 0.0001 um is below the layout's database unit 0.001 um"
    )
    assert status == 2
    assert err == f"adk: error: {tmp_path / 'deck.adk'}:3:1: rule D: {message}\n"
    rules = {rule["id"]: rule for rule in json.loads(out)["rules"]}
    assert (rules["D"]["status"], rules["D"]["error"], rules["D"]["count"]) == ("error", message, 0)
    assert (rules["W"]["status"], rules["W"]["error"], rules["W"]["count"]) == ("fail", None, 1)
    assert f"rule D failed to run: {message}" in json.loads(out)["warnings"]
    database = rdb.ReportDatabase()
    database.load(str(tmp_path / "out.lyrdb"))
    values = [value.string() for item in database.each_item() for value in item.each_value()]
    assert f"rule D failed to run: {message}" in values


def test_the_table_counts_the_rules_that_failed_to_run(capsys, tmp_path, square):
    status, out, _ = run(capsys, tmp_path, square, "0.0001 um")
    assert status == 2
    assert "2 rules, 1 failed, 1 failed to run, 0 not checked, 1 markers" in out
    assert out.splitlines()[2].split() == ["D", "error", "error", "0"]


def test_a_rule_failing_by_a_bug_is_an_internal_error_of_that_rule(
    capsys, tmp_path, square, monkeypatch
):
    def broken(check, context):
        raise ZeroDivisionError("division by zero")

    original = checks.runner
    monkeypatch.setattr(
        checks, "runner", lambda kind: broken if kind == "density" else original(kind)
    )
    sarif, junit = tmp_path / "run.sarif", tmp_path / "run.xml"
    status, _, err = run(
        capsys,
        tmp_path,
        square,
        "10 um",
        "--report",
        f"sarif:{sarif}",
        "--report",
        f"junit:{junit}",
    )
    assert status == 3
    assert err == (
        f"adk: internal error: {tmp_path / 'deck.adk'}:3:1: rule D: "
        "ZeroDivisionError: division by zero; please report it\n"
    )
    run_ = json.loads(sarif.read_text())["runs"][0]
    invocation = run_["invocations"][0]
    assert invocation["executionSuccessful"] is False
    errors = [n for n in invocation["toolExecutionNotifications"] if n["level"] == "error"]
    assert [n["message"]["text"] for n in errors] == [
        "D failed to run: internal error: ZeroDivisionError: division by zero"
    ]
    cases = {case.get("name"): case for case in ET.parse(junit).getroot().iter("testcase")}
    assert cases["D"].find("error").get("message") == (
        "internal error: ZeroDivisionError: division by zero"
    )
    assert cases["W"].find("failure") is not None


def test_running_out_of_memory_in_a_rule_is_no_rule_error(capsys, tmp_path, square, monkeypatch):
    def greedy(check, context):
        raise RuntimeError("std::bad_alloc in Region.merged")

    monkeypatch.setattr(checks, "runner", lambda kind: greedy)
    status, _, err = run(capsys, tmp_path, square, "10 um")
    assert (status, err) == (5, "adk: error: out of memory in KLayout's Region.merged\n")
