"""The example assemblies: clean, every assembly rule passes; broken, the rules fire
exactly where the planted errors are, and nowhere else; ``adk check-assembly`` writes a
marker database that opens in KLayout over the assembled layout."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import klayout.db as kdb
import klayout.rdb as rdb
import pytest

from adk.assembly import check_assembly, load_assembly, part_layers
from adk.checks import specs
from adk.cli import main
from adk.examples.assembly import (
    ASSEMBLY_FILE,
    EXAMPLES,
    deck_text,
    example,
    write_assembly_example,
)
from adk.lang.builder import load_text
from adk.lang.formatter import format_text
from adk.report.markers import RUN_CATEGORY

# markers per rule of each broken example: one per bump or pad where a die is off, one per
# net that lands nowhere, one per interface whose counts differ
EXPECTED = {
    "focos_bridge": {
        "DIE.APART.H2": 1,
        "D2D.GAP.H2": 1,
        "BR.SPAN": 1,
        "HBM2.BR2": 97,
        "HBM2.FOM": 256,
        "HBM2.BR2.N": 1,
        "HBM2.BR2.NET": 83,
        "HBM2.FOM.NET": 84,
        "HBM1.BR1": 96,  # every micro-bump 2.5 um off its pad
        "HBM1.FOM": 64,  # every power bump
        "GRID.HBM1": 160,  # all of them 0.5 um off the grid
        "ASIC.BR1": 6,  # the six pads of the missing row
        "ASIC.BR1.N": 1,
        "ASIC.BR1.NET": 5,  # its five signals (its ground lands elsewhere)
        "ASIC.BR2.NET": 6,  # two bumps on each other's pads, and their nets on each side
        "3DBLOX.CONN.hbm2_br2": 1,  # HBM2 turned: not one of its bumps on a pad
        "3DBLOX.CONN.hbm2_fom": 1,
    },
    "interposer": {
        "ASIC.IP": 519,
        "ASIC.IP.NET": 320,
        "HBM2.IP": 160,
        "HBM1.IP": 6,
        "HBM1.IP.N": 1,
        "HBM1.IP.NET": 5,
        "IP.SUB.NET": 6,
    },
}
PARTS = re.compile(r" \[([A-Za-z0-9_, ]+)\]$")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("assemblies")
    found = {}
    for name in EXAMPLES:
        for broken in (False, True):
            folder = root / f"{name}-{'broken' if broken else 'clean'}"
            write_assembly_example(name, str(folder), broken)
            found[name, broken] = folder
    return found


@pytest.fixture(scope="module")
def runs(folders):
    return {key: check_assembly(str(folder / ASSEMBLY_FILE)) for key, folder in folders.items()}


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_clean_assembly_passes_every_rule(runs, name):
    result = runs[name, False].result
    assert result.outcomes and all(o.status == "pass" for o in result.outcomes), [
        (o.rule.id, o.status, o.markers[:1]) for o in result.outcomes if o.status != "pass"
    ]
    assert (result.warnings, result.notes, result.missing_layers) == ([], [], [])


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_broken_assembly_fails_exactly_the_planted_rules(runs, name):
    result = runs[name, True].result
    fired = {o.rule.id: len(o.markers) for o in result.outcomes if o.markers}
    assert set(fired) == set(example(name).PLANTED)
    assert fired == EXPECTED[name]
    assert not result.failed_to_run() and not result.unchecked()


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_marker_names_the_parts_of_its_planted_error(runs, name):
    planted = example(name).PLANTED
    for outcome in runs[name, True].result.outcomes:
        for marker in outcome.markers:
            found = PARTS.search(marker.text)
            assert found, marker.text
            named = set(found.group(1).split(", "))
            assert named <= set(planted[outcome.rule.id][0]), (outcome.rule.id, marker.text)


def test_a_shifted_die_is_found_where_it_lies(runs):
    # HBM1 of the broken FOCoS-Bridge assembly sits 2.5 um high: every marker of its
    # alignment is a 2.5 um edge straight up from a bump, inside HBM1's footprint
    run = runs["focos_bridge", True]
    footprint = run.assembled.extents["HBM1"]
    outcome = next(o for o in run.result.outcomes if o.rule.id == "HBM1.BR1")
    for marker in outcome.markers:
        edge = marker.shape
        assert isinstance(edge, kdb.DEdge) and footprint.contains(edge.p1)
        assert (round(edge.dx(), 6), round(edge.dy(), 6)) == (0.0, -2.5)
        assert marker.text == "offset 2.5 um > 1 um (HBM1.bump to nearest BR1.pad) [HBM1, BR1]"


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_command_writes_one_marker_database_over_the_assembled_layout(folders, name, tmp_path):
    for broken, code in ((False, 0), (True, 1)):
        folder = folders[name, broken]
        report, layout = tmp_path / f"{broken}.lyrdb", tmp_path / f"{broken}.oas"
        argv = ["check-assembly", str(folder / ASSEMBLY_FILE), "-q", "-o", str(report)]
        assert main([*argv, "--write-assembled", str(layout)]) == code
        database = rdb.ReportDatabase("")
        database.load(str(report))
        assembled = kdb.Layout()
        assembled.read(str(layout))
        assert database.top_cell_name == assembled.top_cell().name == name
        assert database.original_file == str(layout)
        categories = (database.category_by_id(i.category_id()).name() for i in database.each_item())
        counts = Counter(name for name in categories if name != RUN_CATEGORY)
        assert dict(counts) == (EXPECTED[name] if broken else {})
        layers = {assembled.get_info(i).name for i in assembled.layer_indexes()}
        assert {"ASIC.bump", "HBM1.outline", "HBM2.net"} <= layers


SCRIPT = """
import json
import pya
view = pya.LayoutView()
view.load_layout(layout, True)
database = pya.ReportDatabase("")
database.load(report)
index = view.add_rdb(database)
view.show_rdb(index, 0)
database = view.rdb(index)
shown = view.cellview(0).layout()
found = {
    "top": shown.top_cell().name,
    "report_top": database.top_cell_name,
    "items": database.num_items(),
    "cells": sorted(cell.name() for cell in database.each_cell()),
    "known": all(shown.cell(cell.name()) is not None for cell in database.each_cell()),
}
with open(out, "w") as handle:
    json.dump(found, handle)
"""


def test_the_marker_database_opens_in_klayout_over_the_assembled_layout(folders, tmp_path):
    exe = shutil.which("klayout")
    if exe is None:
        pytest.skip("the KLayout application is not installed (Debian: apt-get install klayout)")
    report, layout, out = tmp_path / "b.lyrdb", tmp_path / "b.gds", tmp_path / "out.json"
    folder = folders["focos_bridge", True]
    main(["check-assembly", str(folder / ASSEMBLY_FILE), "-q", "-o", str(report),
          "--write-assembled", str(layout)])  # fmt: skip
    script = tmp_path / "open.py"
    script.write_text(SCRIPT)
    defines = [f"layout={layout}", f"report={report}", f"out={out}"]
    command = [
        exe,
        "-b",
        "-nc",
        "-rx",
        *(a for d in defines for a in ("-rd", d)),
        "-r",
        str(script),
    ]
    subprocess.run(
        command, check=True, capture_output=True, timeout=120, env={"HOME": str(tmp_path)}
    )
    found = json.loads(out.read_text())
    assert found == {
        "top": "focos_bridge",
        "report_top": "focos_bridge",
        "items": sum(EXPECTED["focos_bridge"].values()) + 2,  # and the run's two warnings
        "cells": ["focos_bridge"],
        "known": True,
    }


def test_the_deck_in_docs_assembly_md_is_valid_for_the_example(folders):
    text = (Path(__file__).parents[2] / "docs" / "assembly.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"^```adk-assembly\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assembly = load_assembly(str(folders["focos_bridge", False] / ASSEMBLY_FILE))
    deck = load_text(block, specs(), parts=part_layers(assembly))
    assert [rule.id for rule in deck.rules] == ["DIE.APART", "BR.SPAN", "HBM1.BR1"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_example_decks_are_formatted(name):
    assert format_text(deck_text(name)) == deck_text(name)
