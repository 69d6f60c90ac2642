"""docs/ci.md runs as written: its adoption commands, the GitHub Actions job's steps and
the GitLab job's script, here, on the dirty FOCoS-Bridge example, with the adk installed
beside this Python. Steps that install adk or call a CI service's action are left out."""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml

from adk.examples.writer import write_example
from tests.report.conftest import SARIF_SCHEMA

DOC = Path(__file__).parent.parent.parent / "docs" / "ci.md"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.skipif(
    not (BIN / "adk").exists(), reason="no adk command beside this Python"
)


def blocks(language: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)


def shell(script: str, cwd: Path, env: dict[str, str], stop_on_error: bool = True) -> int:
    """Run a step as CI runners do: bash, stopping at the first failing command. Its
    output goes to standard output, which pytest shows for a failing test."""
    path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "-e", "-c", script] if stop_on_error else ["bash", "-c", script],
        cwd=cwd,
        env=os.environ | env | {"PATH": path},
        capture_output=True,
        text=True,
        check=False,
    )
    print(f"$ {script}\n{done.stdout}{done.stderr}exit {done.returncode}")
    return done.returncode


@pytest.fixture
def repository(tmp_path) -> Path:
    """A layout repository after the adoption commands: layout, baseline, waivers."""
    (tmp_path / "layout").mkdir()
    write_example("focos_bridge", str(tmp_path / "layout" / "package.gds"), dirty=True)
    (adoption,) = [block for block in blocks("sh") if "--report json:baseline" in block]
    # the documented expiry date stays ahead of the day the test runs
    next_year = (datetime.date.today() + datetime.timedelta(days=365)).isoformat()
    adoption = re.sub(r"--expires \S+", f"--expires {next_year}", adoption)
    shell(adoption, tmp_path, {}, stop_on_error=False)  # its check exits 1, as it says
    assert (tmp_path / "baseline" / "package.json").exists()
    assert "rule: UB.P" in (tmp_path / "waivers.yaml").read_text(encoding="utf-8")
    return tmp_path


def github_job() -> tuple[dict[str, str], list[dict]]:
    (workflow,) = [yaml.safe_load(b) for b in blocks("yaml") if "runs-on:" in b]
    (job,) = workflow["jobs"].values()
    env = {**workflow.get("env", {}), **job.get("env", {})}
    return env, job["steps"]


def run_github_steps(repository: Path) -> int:
    """The job's run steps in order; after a failure only those marked ``if: always()``,
    as GitHub does. Returns the job's exit status."""
    env, steps = github_job()
    status = 0
    for step in steps:
        if "run" not in step or step.get("name") == "Install adk":
            continue
        if status == 0 or step.get("if") == "always()":
            code = shell(step["run"], repository, env)
            status = status or code
    return status


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    with open(SARIF_SCHEMA, encoding="utf-8") as handle:
        return jsonschema.Draft4Validator(json.load(handle))


@pytest.mark.skipif(shutil.which("jq") is None, reason="the job's jq step needs jq")
def test_the_github_job_passes_on_the_baseline_and_uploads_open_violations(
    repository, sarif_validator
):
    assert run_github_steps(repository) == 0  # every violation is in the baseline
    with open(repository / "adk.sarif", encoding="utf-8") as handle:
        full = json.load(handle)
    with open(repository / "adk-open.sarif", encoding="utf-8") as handle:
        uploaded = json.load(handle)
    sarif_validator.validate(full)
    sarif_validator.validate(uploaded)
    results = full["runs"][0]["results"]
    waived = [r for r in results if r.get("suppressions")]
    assert [r["ruleId"] for r in waived] == ["UB.P"]
    assert len(uploaded["runs"][0]["results"]) == len(results) - 1
    assert {r["baselineState"] for r in results} == {"unchanged"}
    location = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "layout/package.gds", "uriBaseId": "%SRCROOT%"}
    for name in ("package.lyrdb", "adk.json", "adk.txt"):
        assert (repository / name).exists(), name


@pytest.mark.skipif(shutil.which("jq") is None, reason="the job's jq step needs jq")
def test_the_github_job_fails_on_a_new_violation_and_still_writes_its_reports(repository):
    baseline = repository / "baseline" / "package.json"
    data = json.loads(baseline.read_text(encoding="utf-8"))
    for rule in data["rules"]:
        if rule["id"] == "RDL1.S":
            rule["markers"] = []  # as if the violation had come with this change
    baseline.write_text(json.dumps(data), encoding="utf-8")
    assert run_github_steps(repository) == 1
    with open(repository / "adk-open.sarif", encoding="utf-8") as handle:
        results = json.load(handle)["runs"][0]["results"]
    assert [r["ruleId"] for r in results if r["baselineState"] == "new"] == ["RDL1.S"]
    assert "baseline baseline/package.json: 1 new" in (repository / "adk.txt").read_text(
        encoding="utf-8"
    )


def test_the_gitlab_job_writes_a_junit_report(repository):
    (pipeline,) = [yaml.safe_load(b) for b in blocks("yaml") if "adk-check:" in b]
    job = pipeline["adk-check"]
    assert shell("\n".join(job["script"]), repository, job["variables"]) == 0
    junit = job["artifacts"]["reports"]["junit"]
    root = ET.parse(repository / junit).getroot()
    cases = {case.get("name"): case for case in root.iter("testcase")}
    assert len(cases) == 22
    assert all(case.find("failure") is None for case in cases.values())  # --fail-on new
    output = cases["UB.P"].find("system-out").text
    assert "[existing] [waived: daisy-chain test bumps" in output
    for path in job["artifacts"]["paths"]:
        assert (repository / path).exists(), path
