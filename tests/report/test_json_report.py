"""JSON and text reports, the --report option, atomic writes, and the API."""

from __future__ import annotations

import json
import os

import pytest

from adk import api
from adk.errors import AdkError
from adk.report.atomic import save_atomically
from adk.report.summary import summary_json
from tests.report.conftest import DECK, run, write_text

RUN_FACTS = {
    "deck", "deck_path", "deck_version", "layout", "top_cell", "adk_version",
    "klayout_version", "python_version", "seconds", "peak_memory_mib",
    "peak_memory_children_mib", "finished_utc",
}  # fmt: skip


def test_the_json_report_is_the_summary_with_markers_standing_and_run_facts(
    layout, tmp_path, capsys
):
    report, lyrdb = str(tmp_path / "r.json"), str(tmp_path / "r.lyrdb")
    status, out, _ = run(
        capsys, "check", layout, "--deck", DECK, "-o", lyrdb, "--format", "json",
        "--report", f"json:{report}",
    )  # fmt: skip
    assert status == 1
    with open(report, encoding="utf-8") as handle:
        written = json.load(handle)
    printed = json.loads(out)
    for data in (written, printed):
        data["run"].pop("finished_utc")
        data["run"].pop("peak_memory_mib")
    assert written == printed
    assert set(written["run"]) | {"finished_utc", "peak_memory_mib"} == RUN_FACTS
    assert written["run"]["klayout_version"] and written["run"]["top_cell"] == "TOP"
    assert (written["fail_on"], written["waivers"], written["baseline"]) == ("any", None, None)
    # every field of the summary is there as the summary gives it
    result = api.check(layout, api.load_deck(DECK))
    summary = json.loads(summary_json(result, lyrdb))
    for key in set(summary) - {"seconds", "rules"}:
        assert written[key] == summary[key], key
    for rule, plain in zip(written["rules"], summary["rules"]):
        assert {
            k: v for k, v in rule.items() if k in plain and k not in ("seconds", "markers")
        } == {k: v for k, v in plain.items() if k not in ("seconds", "markers")}
        for marker, plain_marker in zip(rule["markers"], plain["markers"]):
            assert marker == plain_marker | {"waived": None, "baseline": None}


def test_the_text_report_is_the_terminal_summary(layout, tmp_path, capsys):
    report = tmp_path / "r.txt"
    _, out, _ = run(
        capsys, "check", layout, "--deck", DECK, "-o", str(tmp_path / "r.lyrdb"),
        "--report", f"text:{report}",
    )  # fmt: skip
    text = report.read_text(encoding="utf-8")
    assert out == text + f"markers: {tmp_path / 'r.lyrdb'}\n"
    assert text.splitlines()[0].split()[:5] == ["rule", "severity", "status", "count", "worst"]


def test_reports_are_written_through_a_rename_leaving_no_temporary_file(layout, tmp_path, capsys):
    reports = tmp_path / "reports"
    reports.mkdir()
    args = [
        f"--report={name}:{reports / ('r.' + name)}" for name in ("sarif", "junit", "json", "text")
    ]
    run(capsys, "check", layout, "--deck", DECK, "-o", str(reports / "r.lyrdb"), *args)
    assert sorted(os.listdir(reports)) == ["r.json", "r.junit", "r.lyrdb", "r.sarif", "r.text"]
    mode = os.stat(reports / "r.sarif").st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_an_unwritable_report_exits_2_with_one_line(layout, tmp_path, capsys):
    status, _, err = run(
        capsys, "check", layout, "--deck", DECK, "-o", str(tmp_path / "r.lyrdb"),
        "--report", f"sarif:{tmp_path / 'no' / 'such' / 'folder.sarif'}",
    )  # fmt: skip
    assert status == 2
    target = tmp_path / "no" / "such" / "folder.sarif"
    assert err == f"adk: error: {target}: cannot write SARIF report: No such file or directory\n"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("sarif", "expected FORMAT:PATH, such as sarif:report.sarif, not 'sarif'"),
        ("pdf:r.pdf", "unknown report format 'pdf'; known: sarif, junit, json, text"),
        ("json:", "expected FORMAT:PATH"),
    ],
)
def test_bad_report_options_are_usage_errors(layout, tmp_path, capsys, spec, message):
    status, _, err = run(capsys, "check", layout, "--deck", DECK, "--report", spec)
    assert status == 2 and message in err


def test_two_reports_to_one_file_are_refused_before_the_run(layout, tmp_path, capsys):
    same = str(tmp_path / "r.out")
    status, _, err = run(
        capsys, "check", layout, "--deck", DECK, "-o", str(tmp_path / "r.lyrdb"),
        "--report", f"json:{same}", "--report", f"text:{same}",
    )  # fmt: skip
    assert status == 2 and f"{same}: both the json report and the text report" in err
    status, _, err = run(
        capsys, "check", layout, "--deck", DECK, "-o", same, "--report", f"sarif:{same}"
    )
    assert status == 2 and "both the marker database and the sarif report" in err
    assert not os.path.exists(same)


def test_the_api_reviews_a_run_and_writes_every_format(layout, tmp_path):
    waivers = write_text(
        tmp_path / "w.yaml",
        "waivers:\n- {rule: M1.W, box: [0, 0, 1, 20], reason: agreed, owner: jane}\n"
        "- {rule: M1.W, box: [9, 9, 9, 9], reason: gone, owner: jane}\n",
    )
    result = api.check(layout, DECK)
    review = api.review(result, waivers=waivers)
    assert review.of("M1.W", 0).waiver is not None and review.of("M1.W", 1).waiver is None
    assert review.counted(result).violations()  # the second line still fails
    for name in ("lyrdb", "sarif", "junit", "json", "text"):
        api.write_report(result, tmp_path / f"r.{name}", name, review)
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["waivers"]["stale"] == [f"{waivers}:3"]
    assert any("(stale)" in warning for warning in data["warnings"])
    assert "waived" in (tmp_path / "r.lyrdb").read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="unknown report format 'pdf'"):
        api.write_report(result, tmp_path / "r.pdf", "pdf")


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    target = tmp_path / "r.sarif"
    target.write_text("earlier report", encoding="utf-8")

    def fail(temporary: str) -> None:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write("half a rep")
        raise OSError(28, "No space left on device")

    with pytest.raises(
        AdkError, match=r"r\.sarif: cannot write SARIF report: No space left on device"
    ):
        save_atomically(str(target), fail, "SARIF report")
    assert target.read_text(encoding="utf-8") == "earlier report"
    assert os.listdir(tmp_path) == ["r.sarif"]
