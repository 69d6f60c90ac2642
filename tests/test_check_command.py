"""`adk check`: exit codes, summaries, marker databases, missing layers and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import klayout.db as kdb
import klayout.rdb as rdb
import pytest

from adk import __version__
from adk.api import load_deck
from adk.cli import main
from adk.examples.writer import write_example

DECK = os.path.abspath("rules/focos_bridge.adk")


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    folder = tmp_path_factory.mktemp("examples")
    clean, dirty = str(folder / "clean.gds"), str(folder / "dirty.gds")
    write_example("focos_bridge", clean)
    write_example("focos_bridge", dirty, dirty=True)
    return clean, dirty


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_clean_layout_exits_0_and_writes_an_empty_report(examples, tmp_path, capsys):
    report = str(tmp_path / "clean.lyrdb")
    status, out, _ = run(capsys, "check", examples[0], "--deck", DECK, "-o", report)
    assert status == 0
    assert "22 rules, 0 failed, 0 not checked, 0 markers" in out
    db = rdb.ReportDatabase("")
    db.load(report)
    assert db.num_items() == 0
    assert [c.name() for c in db.each_category()] == [r.id for r in load_deck(DECK).rules]


def test_dirty_layout_exits_1_and_the_report_loads_back(examples, tmp_path, capsys):
    report = str(tmp_path / "dirty.lyrdb")
    status, out, _ = run(
        capsys, "check", examples[1], "--deck", DECK, "-o", report, "--format", "json"
    )
    assert status == 1
    summary = json.loads(out)
    counts = {r["id"]: r["count"] for r in summary["rules"]}
    db = rdb.ReportDatabase("")
    db.load(report)
    assert db.generator == f"adk {__version__}"
    assert db.top_cell_name == "FOCOS_BRIDGE_PKG"
    assert os.path.basename(db.original_file) == "dirty.gds"
    categories = {c.name(): c for c in db.each_category()}
    assert set(categories) == set(counts)
    assert categories["UB.P"].description == "micro-bump pitch (error)"
    for name, category in categories.items():
        assert category.num_items() == counts[name]
    pitch = next(iter(categories["UB.P"].each_item()))
    values = list(pitch.each_value())
    assert values[0].is_edge() or values[0].is_edge_pair()
    assert values[1].string() == "pitch 30 um < 40 um"
    assert pitch.has_tag(db.tag_id("error"))


def test_missing_layer_is_listed_and_its_rules_are_not_checked(examples, tmp_path, capsys):
    layer_map = tmp_path / "map.yaml"
    layer_map.write_text("RDL2: 99/0\n")
    args = (
        "check",
        examples[0],
        "--deck",
        DECK,
        "--layer-map",
        str(layer_map),
        "-o",
        str(tmp_path / "r.lyrdb"),
    )
    status, out, err = run(capsys, *args)
    assert status == 4
    assert err == (
        f"adk: 2 rules not checked, their layers absent from {examples[0]}: RDL2.W, RDL2.S "
        "(RDL2); mark the layers optional in the deck or pass --allow-unchecked\n"
    )
    assert "warning: layer RDL2 absent from the layout, read as empty" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:24]}
    assert rows["RDL2.W"] == rows["RDL2.S"] == ["error", "not", "checked", "0", "RDL2"]
    # the keep-out rule reads RDL1 and UBUMP too: it runs, RDL2 read as empty
    assert rows["KOZ.1"] == ["error", "pass", "0", "RDL2"]
    assert "22 rules, 0 failed, 2 not checked, 0 markers" in out
    assert run(capsys, *args, "--strict")[0] == 4
    status, _, err = run(capsys, *args, "--allow-unchecked")
    assert (status, err) == (0, "")


def test_warnings_fail_only_under_strict(examples, tmp_path, capsys):
    deck = tmp_path / "warn.adk"
    deck.write_text('layer RDL1 = 10/0\nrule W "advisory" warning : width(RDL1) >= 20 um\n')
    args = ("check", examples[0], "--deck", str(deck), "-o", str(tmp_path / "w.lyrdb"))
    assert run(capsys, *args)[0] == 0
    assert run(capsys, *args, "--strict")[0] == 1


def test_only_selected_rules_run(examples, tmp_path, capsys):
    status, out, _ = run(
        capsys,
        "check",
        examples[1],
        "--deck",
        DECK,
        "--rule",
        "UB.P",
        "-o",
        str(tmp_path / "p.lyrdb"),
        "--format",
        "json",
    )
    assert status == 1
    assert [r["id"] for r in json.loads(out)["rules"]] == ["UB.P"]
    status, _, err = run(
        capsys,
        "check",
        examples[1],
        "--deck",
        DECK,
        "--rule",
        "NOPE",
        "-o",
        str(tmp_path / "p.lyrdb"),
    )
    assert status == 2 and "no rule 'NOPE'" in err


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: str(d / "absent.gds"), "absent.gds: no such layout file"),
        (lambda d: _write(d / "junk.gds", b"not a layout at all"), "junk.gds: cannot read layout"),
        (lambda d: _two_tops(d / "two.gds"), "two.gds: 2 top cells (A, B); choose one with --top"),
    ],
)
def test_bad_layouts_exit_2_with_one_line(tmp_path, capsys, make, message):
    report = tmp_path / "keep.lyrdb"
    report.write_text("previous report")
    status, _, err = run(capsys, "check", make(tmp_path), "--deck", DECK, "-o", str(report))
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and message in err
    assert report.read_text() == "previous report"


def test_unknown_top_cell_and_unwritable_report(examples, tmp_path, capsys):
    status, _, err = run(capsys, "check", examples[0], "--deck", DECK, "--top", "NOPE")
    assert status == 2 and "no cell named 'NOPE'" in err
    status, _, err = run(
        capsys,
        "check",
        examples[0],
        "--deck",
        DECK,
        "-o",
        str(tmp_path / "no" / "such" / "dir.lyrdb"),
    )
    assert status == 2 and "cannot write marker database" in err
    assert not list(tmp_path.glob("**/*.tmp"))


def test_installed_command_runs_outside_the_source_tree(examples, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "adk", "lint", DECK], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{DECK}: ok (22 rules, 15 layers)"


def test_installed_package_ships_its_decks(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "adk", "rules", "ic25d", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["deck"] == "ic25d"


def _write(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def _two_tops(path) -> str:
    layout = kdb.Layout()
    for name in ("A", "B"):
        layout.create_cell(name).shapes(layout.layer(1, 0)).insert(kdb.Box(0, 0, 10, 10))
    layout.write(str(path))
    return str(path)
