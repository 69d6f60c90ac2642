"""Tiled runs, in this process, in local processes and on a Dask cluster, give exactly the
markers of a run in one piece: the same set in the same order, whatever the tile size."""

from __future__ import annotations

import json
import os
import random

import klayout.db as kdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adk.api import load_deck
from adk.checks.base import shape_key
from adk.cli import main
from adk.cli.check_command import ProgressBar
from adk.examples.writer import write_example
from adk.layout.reader import read_layout
from adk.run.engine import Parallel, run_deck
from adk.run.plan import plan

DECK = os.path.abspath("rules/focos_bridge.adk")

RANDOM_DECK = """\
deck random "tiling on random layouts" version "1"
units um
layer A    = 1/0
layer B    = 2/0
layer Z    = 3/0
layer BUMP = 4/0
layer PAD  = 5/0
layer AG   = grow(A, 0.3 um)
layer AB   = A not B
rule A.W   : width(A) >= 1.3 um
rule A.S   : space(A) >= 2 um
rule AG.S  : space(AG) >= 1 um
rule AB.W  : width(AB) >= 0.5 um
rule SEP   : separation(A, B) >= 1 um
rule ENC   : enclosure(B, A) >= 0.5 um
rule OVL   : overlap(A, B) >= 1 um
rule EXT   : extension(A, B) >= 1 um
rule AREA  : area(A) >= 20 um2
rule DEN   : density(A, window 5 um, step 2.5 um) <= 30 %
rule KO    : keepout(A, B, zone Z) >= 1 um
rule KO.AR : keepout(A, B, zone Z, markers areas) >= 1 um
rule A.SAR : space(A, markers areas) >= 2 um
rule KOE   : keepout(B, edge Z) >= 0.5 um
rule P     : pitch(BUMP) >= 3 um
rule AL.TO : align(BUMP, to PAD) <= 0.4 um
rule AL.BO : align(BUMP, both PAD) <= 0.4 um
rule DIST  : distance(B, A) >= 1 um
rule A.WMAX : width(A) <= 3 um
rule A.GRID : ongrid(A, grid 0.2 um)
rule B.SIZE : size(B) { width >= 1 um  length <= 5 um }
rule B.NONE : none(B)
"""

GRID = 100  # dbu: 0.1 um


def markers_of(result) -> list[tuple]:
    """Every marker of a run, rule by rule, in order, exactly."""
    return [
        (outcome.rule.id, shape_key(m.shape), m.measured, m.text)
        for outcome in result.outcomes
        for m in outcome.markers
    ]


def check(layout: str, deck_path: str, parallel: Parallel | None = None) -> list[tuple]:
    deck = load_deck(deck_path)
    return markers_of(run_deck(deck, deck.layers, read_layout(layout), parallel=parallel))


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[str, list[tuple]]:
    path = str(tmp_path_factory.mktemp("parallel") / "dirty.gds")
    write_example("focos_bridge", path, dirty=True)
    return path, check(path, DECK)


@pytest.mark.parametrize("tile_size", [500.0, 2900.0, 20000.0])
def test_tiles_in_this_process_give_the_same_markers(dirty, tile_size):
    path, whole = dirty
    assert whole and check(path, DECK, Parallel(tile_size=tile_size)) == whole


def test_local_processes_give_the_same_markers(dirty):
    path, whole = dirty
    assert check(path, DECK, Parallel(jobs=2, tile_size=700.0)) == whole


def test_check_command_with_jobs_prints_the_same_markers(dirty, tmp_path, capsys):
    path, _ = dirty
    outputs = []
    for extra in ([], ["--jobs", "2"]):
        status = main(
            [
                "check",
                path,
                "--deck",
                DECK,
                "-o",
                str(tmp_path / "r.lyrdb"),
                "--format",
                "json",
                *extra,
            ]
        )
        assert status == 1
        rules = json.loads(capsys.readouterr().out)["rules"]
        outputs.append([(rule["id"], rule["markers"]) for rule in rules])
    assert outputs[0] == outputs[1]


def test_bad_parallel_options_exit_2(dirty, capsys):
    for option, message in (
        (["--jobs", "0"], "expected a whole number of 1 or more, not '0'"),
        (["--tile-size", "-3"], "expected a size in um above 0, not '-3'"),
    ):
        with pytest.raises(SystemExit) as stop:
            main(["check", dirty[0], "--deck", DECK, *option])
        assert stop.value.code == 2
        assert capsys.readouterr().err.strip().endswith(message)


def test_rules_that_look_far_or_at_whole_shapes_run_untiled():
    deck = load_deck(DECK)
    tiled = {item.rule.id: item.tiled for item in plan(deck, deck.layers)}
    assert tiled["RDL1.S"] and tiled["UB.P"] and tiled["UB.ALIGN"] and tiled["KOZ.1"]
    assert not tiled["UB.DEN"] and not tiled["BR.PL"] and not tiled["PKG.HBM.D"]
    assert not tiled["PKG.FID.N"] and tiled["RDL1.DEN"]


def test_dask_cluster_gives_the_same_markers(dirty):
    distributed = pytest.importorskip(
        "distributed", reason="dask is not installed: pip install 'adk[dask]'"
    )
    path, whole = dirty
    with distributed.LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        assert (
            check(path, DECK, Parallel(tile_size=1500.0, scheduler=cluster.scheduler_address))
            == whole
        )


def test_progress_is_per_tile_and_quiet_on_short_runs(dirty, capsys):
    path, _ = dirty
    seen = []
    deck = load_deck(DECK)
    run_deck(
        deck,
        deck.layers,
        read_layout(path),
        progress=lambda *a: seen.append(a),
        parallel=Parallel(tile_size=2000.0),
    )
    labels = [label for _, _, label in seen]
    assert any(label.startswith("tile ") for label in labels) and "UB.DEN" in labels
    assert seen[-1][0] == seen[-1][1]
    bar = ProgressBar(delay=60.0)
    bar(1, 2, "tile 1/2")
    bar(2, 2, "")
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- random layouts
# Manhattan and 45° shapes, overlapping at will. Overlapping all-angle edges cross off
# the grid, and KLayout's merge snaps the crossing to the grid in a way that can
# depend on shapes far away: docs/checking.md states that limit.
coordinate = st.integers(0, 400).map(lambda v: v * GRID)
side = st.integers(2, 80).map(lambda v: v * GRID)


@st.composite
def polygon(draw) -> kdb.Polygon:
    kind = draw(st.sampled_from(["box", "cut", "line"]))
    x, y, w, h = draw(coordinate), draw(coordinate), draw(side), draw(side)
    if kind == "line":  # long lines cross many tiles
        return kdb.Polygon(kdb.Box(x, y, x + 30 * w, y + GRID * draw(st.integers(5, 25))))
    if kind == "box":
        return kdb.Polygon(kdb.Box(x, y, x + w, y + h))
    cut = min(w, h) // 2
    return kdb.Polygon(
        [
            kdb.Point(x, y),
            kdb.Point(x, y + h),
            kdb.Point(x + w - cut, y + h),
            kdb.Point(x + w, y + h - cut),
            kdb.Point(x + w, y),
        ]
    )


@st.composite
def layouts(draw) -> kdb.Layout:
    layout = kdb.Layout()
    layout.dbu = 0.001
    top = layout.create_cell("TOP")
    for number in (1, 2, 3, 5):
        for shape in draw(st.lists(polygon(), max_size=8)):
            top.shapes(layout.layer(number, 0)).insert(shape)
    bump = layout.create_cell("BUMP")
    bump.shapes(layout.layer(4, 0)).insert(kdb.Box(-500, -500, 500, 500))
    for _ in range(draw(st.integers(1, 3))):
        pitch = GRID * draw(st.integers(20, 50))
        at = kdb.Trans(draw(coordinate), draw(coordinate))
        top.insert(
            kdb.CellInstArray(
                bump.cell_index(),
                at,
                kdb.Vector(pitch, 0),
                kdb.Vector(0, pitch),
                draw(st.integers(1, 6)),
                draw(st.integers(1, 6)),
            )
        )
    return layout


@pytest.fixture(scope="module")
def random_deck(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("random") / "random.adk"
    path.write_text(RANDOM_DECK)
    return str(path)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(layout=layouts(), tile=st.integers(40, 200).map(lambda v: v / 10))
def test_random_layouts_give_the_same_markers_on_any_tiles(layout, tile, random_deck, tmp_path):
    path = str(tmp_path / "random.gds")
    layout.write(path)
    assert check(path, random_deck, Parallel(tile_size=tile)) == check(path, random_deck)


def test_random_layout_in_local_processes(random_deck, tmp_path):
    rng = random.Random(7)
    layout = kdb.Layout()
    top = layout.create_cell("TOP")
    for number in (1, 2, 3, 4, 5):
        for _ in range(40):
            x, y = rng.randrange(0, 40000, GRID), rng.randrange(0, 40000, GRID)
            w, h = rng.randrange(200, 8000, GRID), rng.randrange(200, 3000, GRID)
            top.shapes(layout.layer(number, 0)).insert(kdb.Box(x, y, x + w, y + h))
    path = str(tmp_path / "random.gds")
    layout.write(path)
    assert check(path, random_deck, Parallel(jobs=2, tile_size=5.0)) == check(path, random_deck)


def test_one_process_lends_klayout_its_cores_but_one_for_the_progress_window(dirty, monkeypatch):
    """The threads a layer's merge test may use: every core in a run in one process, one
    left for the window in a run that shows its progress tile by tile (the plugin), one
    per process with --jobs, whose processes take the cores."""
    from adk.layout import merging
    from adk.run import engine

    seen: list[int] = []
    settled = merging.settled

    def spy(region, shapes=None, threads=1):
        seen.append(threads)
        return settled(region, shapes, threads)

    monkeypatch.setattr(merging, "settled", spy)
    monkeypatch.setattr(engine, "_cores", lambda: 4)
    path, _ = dirty
    deck = load_deck(DECK)

    def threads_of(**options) -> set[int]:
        seen.clear()
        run_deck(deck, deck.layers, read_layout(path), **options)
        return set(seen)

    assert threads_of() == {4}
    assert max(threads_of(tile_progress=lambda step: None)) == 3
    assert threads_of(parallel=Parallel(jobs=2, tile_size=900.0)) == {1}
