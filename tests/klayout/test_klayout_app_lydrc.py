"""The exported .lydrc, run by the KLayout application in batch mode, finds on each dirty
example what ``adk check`` finds, rule by rule, for the rules it translates."""

from __future__ import annotations

import subprocess

import pytest

from adk.api import load_deck
from adk.examples import PILLARS
from adk.export.lydrc import export_deck
from tests.klayout.conftest import RULES, category_counts, example_and_report, marker_boxes

DECKS = [pillar for pillar in PILLARS if (RULES / f"{pillar}.adk").is_file()]


@pytest.mark.parametrize("pillar", DECKS)
def test_exported_script_finds_what_adk_check_finds(klayout_exe, pillar, tmp_path):
    # the script reports every edge pair, also where the deck joins them into areas
    layout, adk_report = example_and_report(tmp_path, pillar, pairs=True)
    exported = export_deck(load_deck(str(RULES / f"{pillar}.adk")))
    script = tmp_path / f"{pillar}.lydrc"
    script.write_text(exported.text, encoding="utf-8")
    drc_report = tmp_path / f"{pillar}.drc.lyrdb"
    done = subprocess.run(
        [
            klayout_exe,
            "-b",
            "-r",
            str(script),
            "-rd",
            f"input={layout}",
            "-rd",
            f"report={drc_report}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert drc_report.is_file(), done.stdout + done.stderr

    drc_counts = category_counts(drc_report)
    assert list(drc_counts) == exported.rules  # one category per translated rule, in deck order
    adk_counts = category_counts(adk_report)
    assert drc_counts == {rule: adk_counts[rule] for rule in exported.rules}
    adk_boxes, drc_boxes = marker_boxes(adk_report), marker_boxes(drc_report)
    assert drc_boxes == {rule: adk_boxes[rule] for rule in exported.rules}
