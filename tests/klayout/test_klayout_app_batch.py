"""The menu's code path (adk.klayout.plugin) inside the KLayout application, in batch mode:
the grain installed into a temporary KLayout home, the layout in a LayoutView and in a
pya.Layout in memory, markers as ``adk check`` finds them."""

from __future__ import annotations

import json
import os
import subprocess

from adk.kit.decks import shipped_decks
from tests.klayout.conftest import category_counts

SCRIPT = """
import json
import pya
from adk.klayout import plugin

view = pya.LayoutView()
view.load_layout(layout, True)
steps = []
report = plugin.run_on_view(view, deck, output=out_view,
                            progress=lambda done, total, rule: steps.append((done, total)))
index = plugin.show_markers(view, report)
plugin.show_markers(view, report)  # again: replaces the earlier copy
memory = pya.Layout()
memory.read(layout)
in_memory = plugin.run_on_view(memory, deck, output=out_memory)
try:
    plugin.run_on_view(view, bad_deck)
    error = None
except Exception as exc:
    error = plugin.error_text(exc)
json.dump({"report": report, "in_memory": in_memory, "rdbs": view.num_rdbs(),
           "items": view.rdb(index).num_items(), "steps": steps, "error": error,
           "decks": plugin.shipped_decks(),
           "manual": plugin.rule_manual(deck)[0]}, open(answer, "w"))
"""


def test_plugin_in_batch_mode_finds_what_adk_check_finds(
    klayout_exe, klayout_home, dirty_focos, tmp_path
):
    layout, adk_report = dirty_focos
    script = tmp_path / "batch.py"
    script.write_text(SCRIPT, encoding="utf-8")
    bad_deck = tmp_path / "bad.adk"
    bad_deck.write_text("layer A = 1/0\nrule X : width(B) >= 2 um\n", encoding="utf-8")
    deck = klayout_home / "salt" / "adk" / "python" / "rules" / "focos_bridge.adk"
    answer = tmp_path / "answer.json"
    variables = {
        "layout": layout,
        "deck": deck,
        "out_view": tmp_path / "view.lyrdb",
        "out_memory": tmp_path / "memory.lyrdb",
        "bad_deck": bad_deck,
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

    expected = category_counts(adk_report)
    assert category_counts(tmp_path / "view.lyrdb") == expected
    assert category_counts(tmp_path / "memory.lyrdb") == expected
    assert found["rdbs"] == 1 and found["items"] == sum(expected.values())
    assert found["steps"][0] == [0, len(expected)] and found["steps"][-1] == [len(expected)] * 2
    assert found["error"] == f"{bad_deck}:2:16: error: unknown layer 'B'"
    assert sorted(found["decks"]) == sorted(shipped_decks())  # from the grain, not the clone
    assert found["decks"]["focos_bridge"] == str(deck)
    assert found["manual"].startswith("FOCoS-Bridge assembly rules")
