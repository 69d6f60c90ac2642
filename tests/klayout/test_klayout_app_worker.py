"""The menu's runs in a worker process (adk.klayout.progress, adk.klayout.worker) inside the
KLayout application, in batch mode: the layout as it is in memory, an unsaved edit and an
empty layer included, gives the markers a run inside KLayout gives; the worker's errors and
its death reach the menu as one message; where no worker can start, the run happens in
KLayout itself; a deck of other layers is asked about before it runs."""

from __future__ import annotations

import json
import os
import subprocess

from adk.api import load_deck
from tests.klayout.conftest import category_counts, marker_boxes

SCRIPT = """
import json, os, signal
import pya
from adk.klayout import plugin, progress, worker
import adk

found = {}
view = pya.LayoutView()
view.load_layout(layout, True)
edited = view.cellview(0).layout()
top = edited.top_cell()
box = top.bbox()
# not saved: an RDL1 line 0.5 um wide beside the package, and an empty layer 77/0
top.shapes(edited.layer(10, 0)).insert(pya.Box(box.right + 100000, box.bottom,
                                               box.right + 100500, box.bottom + 50000))
edited.layer(pya.LayerInfo(77, 0))

folders = []  # the runs' temporary folders
start = worker.Worker.start.__func__
def started(cls, *args):
    running = start(cls, *args)
    folders.append(running.folder)
    return running
progress.Worker.start = classmethod(started)

def check(deck, report, **options):
    bar = progress.Bar("adk: test")
    try:
        return progress.check(view, deck, report, options, bar)
    finally:
        bar.close()

steps = []
shown = progress.Bar.show
progress.Bar.show = lambda bar, what: (steps.append(what if isinstance(what, str) else
                                       [what.rule_id, what.tiles_done, what.tiles]),
                                       shown(bar, what))
done = check(deck, out_worker)
found["worker"] = [done.deck, done.report, done.summary, done.failed, done.rules]
found["steps"] = steps
progress.Bar.show = shown
here = plugin.check_on_view(view, deck, output=out_here)
found["here failed"] = sum(1 for o in here.result.outcomes if o.status == "fail")
found["left"] = [name for name in os.listdir(os.path.dirname(out_worker)) if "tmp" in name]

done = check(empty_deck, out_empty)
found["empty layer"] = done.summary.splitlines()[1]

try:
    check(deck, out_bad, layer_map=bad_map)
except Exception as exc:
    found["bad map"] = plugin.error_text(exc)
try:
    plugin.check_on_view(view, deck, bad_map, output=out_bad)
except Exception as exc:
    found["bad map here"] = plugin.error_text(exc)

def kill(bar, what):  # the worker dies at its first rule
    shown(bar, what)
    if not isinstance(what, str):
        os.kill(progress.running().pid, signal.SIGKILL)
progress.Bar.show = kill
try:
    check(deck, out_bad)
except Exception as exc:
    found["killed"] = plugin.error_text(exc)
progress.Bar.show = shown
found["bad written"] = os.path.exists(out_bad)

worker.klayout_executable = lambda: None  # no application to run a worker in
done = check(deck, out_no_worker)
found["no worker"] = done.failed

found["fits"] = plugin.fit_question(view, adk.load_deck(deck))
found["other"] = plugin.fit_question(view, adk.load_deck(other_deck))
found["runs"] = len(folders)
found["runs left"] = [folder for folder in folders if os.path.exists(folder)]
json.dump(found, open(answer, "w"))
"""

EMPTY_DECK = """deck empty "A layer the layout has, with no shapes" version "1.0"
units um
layer NOTES = 77/0 "notes"
rule NOTES.W "notes minimum width" : width(NOTES) >= 1 um
"""

OTHER_DECK = """deck other "Another package" version "1.0"
units um
layer M1 = 101/0 "metal 1"
layer M2 = 102/0 "metal 2"
layer RDL1 = 10/0 "fan-out RDL metal 1"
rule M1.W "M1 minimum width" : width(M1) >= 1 um
rule M2.W "M2 minimum width" : width(M2) >= 1 um
rule RDL1.W "RDL1 minimum width" : width(RDL1) >= 2 um
"""


def test_a_worker_checks_the_layout_in_memory(klayout_exe, klayout_home, dirty_focos, tmp_path):
    layout, adk_report = dirty_focos
    deck = klayout_home / "salt" / "adk" / "python" / "rules" / "focos_bridge.adk"
    (tmp_path / "empty.adk").write_text(EMPTY_DECK, encoding="utf-8")
    (tmp_path / "other.adk").write_text(OTHER_DECK, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("RDL1: [10\n", encoding="utf-8")
    script, answer = tmp_path / "worker.py", tmp_path / "answer.json"
    script.write_text(SCRIPT, encoding="utf-8")
    variables = {
        "layout": layout,
        "deck": deck,
        "empty_deck": tmp_path / "empty.adk",
        "other_deck": tmp_path / "other.adk",
        "bad_map": tmp_path / "bad.yaml",
        "answer": answer,
    }
    variables |= {
        f"out_{name}": tmp_path / f"{name}.lyrdb"
        for name in ("worker", "here", "empty", "bad", "no_worker")
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

    # the unsaved edit is checked: one RDL1.W marker more than the file has
    in_worker, in_file = category_counts(tmp_path / "worker.lyrdb"), category_counts(adk_report)
    assert in_worker == {**in_file, "RDL1.W": in_file["RDL1.W"] + 1}
    assert marker_boxes(tmp_path / "worker.lyrdb") == marker_boxes(tmp_path / "here.lyrdb")
    deck_name, report, summary, failed, rules = found["worker"]
    assert (deck_name, report, rules) == ("focos_bridge", str(tmp_path / "worker.lyrdb"), 22)
    assert failed == found["here failed"]
    assert summary.splitlines()[0].startswith(f"focos_bridge 1.0 on {layout.name} (cell ")
    assert summary.splitlines()[-1] == f"marker database: {tmp_path / 'worker.lyrdb'}"
    assert found["left"] == []  # the report was moved into place whole
    steps = found["steps"]
    assert steps[0] == "reading the layout"
    assert list(dict.fromkeys(rule for rule, *_ in steps[1:])) == [
        rule.id for rule in load_deck(str(deck)).rules
    ]
    for rule, _done, tiles in steps[1:]:  # every rule from its start to its last tile
        assert [rule, 0, tiles] in steps and [rule, tiles, tiles] in steps

    # a layer in memory without shapes reads as empty, as in KLayout itself: checked
    assert found["empty layer"] == "1 rules: 1 checked (0 failed, 1 passed), 0 not checked"

    # the worker's error is the message a run in KLayout gives; its death, one line
    assert found["bad map"] == found["bad map here"]
    assert found["killed"].startswith("the worker process ended (exit code -9) without a result")
    assert not found["bad written"]
    assert found["runs"] == 4 and found["runs left"] == []  # the temporary folders removed

    # no application to start: the run happens in KLayout itself
    assert found["no worker"] == failed

    assert found["fits"] is None
    assert found["other"].splitlines() == [
        "Another package (other 1.0) may not be the deck for this layout:",
        "",
        "- 2 of the 3 layers its rules read are absent: M1, M2",
        "- 2 of 3 rules not checked: layers absent; is this the right deck (or layer map) "
        "for this layout?",
        "",
        "Run it anyway?",
    ]
