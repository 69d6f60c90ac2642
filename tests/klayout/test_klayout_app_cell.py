"""Running the menu on a cell other than the top, inside the KLayout application in batch
mode: the markers of that cell, checked in the context of the top cell placing it, in the
worker process and in KLayout itself, as `adk check --cell` gives them
(docs/checking.md, "The markers of a cell")."""

from __future__ import annotations

import json
import os
import subprocess

from adk.cli import main
from tests.klayout.conftest import marker_boxes
from tests.test_cell_markers import DECK, package

SCRIPT = """
import json
import pya
from adk.klayout import plugin, progress

view = pya.LayoutView()
view.load_layout(layout, True)
cellview = view.active_cellview()
cellview.cell = cellview.layout().cell("DIE")  # the user opened the die
bar = progress.Bar("adk: test")
try:
    done = progress.check(view, deck, out_worker, {}, bar)
finally:
    bar.close()
here = plugin.check_on_view(view, deck, output=out_here)
json.dump({"worker": done.report, "here top": here.result.top_cell}, open(answer, "w"))
"""


def test_a_menu_run_on_a_cell_gives_that_cells_markers(klayout_exe, klayout_home, tmp_path):
    layout = package(tmp_path / "pkg.gds")
    deck = tmp_path / "pkg.adk"
    deck.write_text(DECK, encoding="utf-8")
    expected = tmp_path / "die.lyrdb"
    args = ["check", layout, "--deck", str(deck), "--cell", "DIE", "-o", str(expected), "-q"]
    assert main(args) == 1
    script, answer = tmp_path / "cell.py", tmp_path / "answer.json"
    script.write_text(SCRIPT, encoding="utf-8")
    variables = {
        "layout": layout,
        "deck": deck,
        "out_worker": tmp_path / "worker.lyrdb",
        "out_here": tmp_path / "here.lyrdb",
        "answer": answer,
    }
    command = [klayout_exe, "-b", "-r", str(script)]
    for name, value in variables.items():
        command += ["-rd", f"{name}={value}"]
    done = subprocess.run(
        command,
        env=dict(os.environ, KLAYOUT_HOME=str(klayout_home)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert answer.is_file(), done.stdout + done.stderr
    found = json.loads(answer.read_text(encoding="utf-8"))
    assert found["here top"] == "DIE"
    boxes = marker_boxes(expected)
    assert sum(len(b) for b in boxes.values()) == 3  # one per rule, not one per bump
    assert marker_boxes(tmp_path / "worker.lyrdb") == boxes
    assert marker_boxes(tmp_path / "here.lyrdb") == boxes
