"""The same layout and deck give the same markers in the same order, whatever the number
of jobs and whatever the hierarchy the layout is drawn with."""

from __future__ import annotations

import os

import klayout.db as kdb
import pytest

from adk.api import load_deck
from adk.checks import tiled_space
from adk.checks.base import shape_key
from adk.examples.writer import write_example
from adk.layout.reader import read_layout
from adk.run.engine import Parallel, run_deck

DECK = os.path.abspath("rules/focos_bridge.adk")


def violations(path: str, parallel: Parallel | None = None) -> list[tuple]:
    """Every marker, rule by rule, in order: rule id, geometry and text; a marker filed in a
    cell at each placement, as the hierarchy decides where markers are filed."""
    deck = load_deck(DECK)
    result = run_deck(deck, deck.layers, read_layout(path), parallel=parallel).flat()
    return [
        (outcome.rule.id, shape_key(marker.shape), marker.text)
        for outcome in result.outcomes
        for marker in outcome.markers
    ]


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> tuple[str, str]:
    """The dirty FOCoS-Bridge example, as generated (cells, arrays) and flattened."""
    folder = tmp_path_factory.mktemp("determinism")
    hierarchical, flat = str(folder / "dirty.gds"), str(folder / "flat.oas")
    write_example("focos_bridge", hierarchical, dirty=True)
    layout = kdb.Layout()
    layout.read(hierarchical)
    top = layout.top_cell()
    top.flatten(-1, True)
    layout.write(flat)
    return hierarchical, flat


def test_a_flattened_copy_gives_the_same_violations(copies):
    hierarchical, flat = copies
    flattened = kdb.Layout()
    flattened.read(flat)
    assert len(list(flattened.each_cell())) == 1
    expected = violations(hierarchical)
    assert expected and violations(flat) == expected


@pytest.mark.parametrize(
    "parallel", [Parallel(tile_size=1200.0), Parallel(jobs=2)], ids=["tiles", "two-jobs"]
)
def test_any_number_of_jobs_gives_the_same_violations(copies, parallel):
    hierarchical, flat = copies
    assert violations(flat, parallel) == violations(hierarchical)


def test_runs_repeat_exactly(copies):
    assert violations(copies[0]) == violations(copies[0])


def test_space_checks_in_tiles_give_the_same_violations(copies, monkeypatch):
    hierarchical, flat = copies
    expected = violations(flat)
    monkeypatch.setattr(tiled_space, "TILED_SHAPES", 0)
    monkeypatch.setattr(tiled_space, "TILED_SHAPES_THREADED", 0)
    monkeypatch.setattr(tiled_space, "SPREAD_BUDGET", float("inf"))
    tiled = []
    by_tile = tiled_space._by_tile
    monkeypatch.setattr(tiled_space, "_by_tile", lambda *args: tiled.append(1) or by_tile(*args))
    assert violations(flat) == expected
    assert violations(hierarchical) == expected
    assert tiled  # the space rules did run in tiles
