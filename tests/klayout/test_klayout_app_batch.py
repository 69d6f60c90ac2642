"""The menu's code path (adk.klayout.plugin) inside the KLayout application, in batch mode:
the grain installed into a temporary KLayout home, the layout in a LayoutView and in a
pya.Layout in memory, markers as ``adk check`` finds them, the run's summary, the deck's
layers named in the view (and a .lyp file read back by KLayout), the decks' titles and the
rule manual."""

from __future__ import annotations

import json
import os
import subprocess

from adk.cli import main
from adk.kit.decks import shipped_decks
from adk.klayout.layers import HOLLOW, STIPPLES
from tests.klayout.conftest import category_counts

SCRIPT = """
import json
import pya
from adk.klayout import plugin
from adk.klayout.summary import run_summary

def layers_of(view):
    found, iterator = [], view.begin_layers()
    while not iterator.at_end():
        node = iterator.current()
        found.append([node.source, node.name, node.fill_color & 0xFFFFFF, node.dither_pattern,
                      node.width])
        iterator.next()
    return found

view = pya.LayoutView()
view.load_layout(layout, True)
# a layer the deck does not name, with the user's own name and colour
shapes = view.cellview(0).layout().top_cell().shapes(view.cellview(0).layout().layer(99, 0))
shapes.insert(pya.Box(0, 0, 1000, 1000))
view.add_missing_layers()
iterator = view.begin_layers()
while not iterator.current().source.startswith("99/0"):
    iterator.next()
own = iterator.current().dup()
own.name, own.fill_color, own.dither_pattern = "my notes", 0x123456, 2
view.set_layer_properties(iterator, own)

steps = []
run = plugin.check_on_view(view, deck, output=out_view,
                           progress=lambda done, total, rule: steps.append((done, total)))
report = run.report
named = plugin.name_layers(view, run.result.deck)
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
from_file = pya.LayoutView()
from_file.load_layout(layout, True)
from_file.load_layer_props(lyp)
json.dump({"report": report, "in_memory": in_memory, "rdbs": view.num_rdbs(),
           "items": view.rdb(index).num_items(), "steps": steps, "error": error,
           "summary": run_summary(run.result, report), "named": named,
           "layers": layers_of(view), "lyp_layers": layers_of(from_file),
           "decks": plugin.shipped_decks(), "choices": plugin.deck_choices(),
           "manual": plugin.rule_manual(deck)}, open(answer, "w"))
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
    lyp = tmp_path / "focos_bridge.lyp"
    assert main(["klayout", "lyp", "focos_bridge", "-o", str(lyp)]) == 0
    answer = tmp_path / "answer.json"
    variables = {
        "layout": layout,
        "deck": deck,
        "out_view": tmp_path / "view.lyrdb",
        "out_memory": tmp_path / "memory.lyrdb",
        "bad_deck": bad_deck,
        "lyp": lyp,
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
    assert ["focos_bridge", str(deck), "FOCoS-Bridge assembly rules (focos_bridge 1.0)"] in found[
        "choices"
    ]
    title, manual = found["manual"]
    assert title == "FOCoS-Bridge assembly rules (focos_bridge 1.0)"
    assert manual.startswith("# FOCoS-Bridge assembly rules\n") and "| PKG.D2D.GAP |" in manual

    failed = sum(1 for count in expected.values() if count)
    summary = found["summary"].splitlines()
    assert summary[0].startswith(f"focos_bridge 1.0 on {layout.name} (cell ")
    assert summary[1] == (
        f"{len(expected)} rules: {len(expected)} checked ({failed} failed, "
        f"{len(expected) - failed} passed), 0 not checked"
    )
    assert summary[2] == f"{sum(expected.values())} markers: {sum(expected.values())} error"
    assert summary[-1] == f"marker database: {found['report']}"

    # the deck's 14 drawn layers named and coloured, the user's own layer as it was
    layers = {source: rest for source, *rest in found["layers"]}
    assert found["named"] == 14 and len(layers) == 15
    assert layers["99/0@1"][:3] == ["my notes", 0x123456, 2]
    assert layers["2/0@1"][0] == "PKG - package outline" and layers["2/0@1"][2:] == [HOLLOW, 2]
    assert layers["51/0@1"][0] == "BR_M1 - bridge metal 1"
    assert {stipple for _, _, stipple, _ in layers.values()} - {2} <= {*STIPPLES, HOLLOW}
    # the .lyp file, loaded by KLayout: the same names, colours and stipples, in deck order
    assert [source for source, *_ in found["lyp_layers"]][:3] == ["2/0@1", "1/1@1", "1/2@1"]
    assert {source: rest for source, *rest in found["lyp_layers"]} == {
        source: style for source, style in layers.items() if source != "99/0@1"
    }
