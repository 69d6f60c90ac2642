"""How ``--jobs`` shares the jobs between the worker processes and the process that read the
layout: the markers are those of a run in one piece, every job ends once, the workers take
jobs from the front of the list once they are ready and this process from the back."""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path

import klayout.db as kdb
import pytest

from adk.api import load_deck
from adk.checks.base import shape_key
from adk.examples.writer import write_example
from adk.layout.reader import read_layout
from adk.run import engine, fit, tiling
from adk.run.engine import Parallel, run_deck
from adk.run.plan import plan
from tests.test_parallel import check, markers_of

DECK = os.path.abspath("rules/focos_bridge.adk")


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[str, list[tuple]]:
    path = str(tmp_path_factory.mktemp("schedule") / "dirty.gds")
    write_example("focos_bridge", path, dirty=True)
    return path, check(path, DECK)


@pytest.mark.parametrize(
    "parallel",
    [Parallel(jobs=2), Parallel(jobs=2, tile_size=300.0), Parallel(jobs=3, tile_size=900.0)],
    ids=["default tiles", "many small tiles", "three processes"],
)
def test_jobs_shared_with_the_workers_give_the_same_markers(dirty, parallel):
    path, whole = dirty
    assert whole and check(path, DECK, parallel) == whole


def test_the_default_tiles_are_about_eight_per_worker_fewer_on_small_layouts():
    extent = kdb.Box(0, 0, 40_000_000, 30_000_000)

    def size(jobs: int, shapes: int) -> int:
        return engine._tile_size(extent, 0.001, [], Parallel(jobs=jobs), shapes)

    assert size(2, 2_000_000) == 10_000_000  # 16 tiles wanted: 4 x 3 on this extent
    assert size(4, 2_000_000) == 6_666_667  # 32: 6 x 5
    assert size(2, 200_000) == 13_333_334  # 8 of 25,000 shapes: 3 x 3
    assert size(2, 1_000) == 20_000_000  # never fewer tiles than workers: 2 x 2


def test_the_shapes_counted_are_those_the_tiled_rules_read(dirty):
    path, _ = dirty
    deck = load_deck(DECK)
    loaded = read_layout(path)
    planned = plan(deck, deck.layers)
    ubump = [item for item in planned if item.rule.id == "UB.P"]
    density = [item for item in planned if item.rule.id == "UB.DEN"]  # untiled
    shapes = fit.ShapeCounts(loaded, deck.layers)
    bumps = engine._tiled_shapes(shapes, ubump)
    assert bumps > 1000 and engine._tiled_shapes(shapes, density) == 0
    assert engine._tiled_shapes(shapes, planned) > bumps


def _planned_rules(count: int) -> list:
    deck = load_deck(DECK)
    items = plan(deck, deck.layers)
    return [replace(items[n % len(items)], rule=replace(items[n % len(items)].rule, id=f"R{n}"))
            for n in range(count)]  # fmt: skip


def _ids(runs) -> list[list[str]]:
    return [[item.rule.id for item in run] for run in runs]


def _in_order(runs) -> list[str]:
    return [item.rule.id for run in runs for item in run]


def test_untiled_rules_go_in_runs_of_deck_neighbours_of_about_equal_cost():
    untiled = _planned_rules(12)
    runs = engine._runs_of_rules(untiled, [1] * 12, processes=2)
    assert _in_order(runs) == [item.rule.id for item in untiled]  # in order, each once
    assert [len(run) for run in runs] == [3, 3, 3, 3]  # two runs per process
    # the costs decide where a run ends: one costly rule is a run of its own
    runs = engine._runs_of_rules(untiled, [30] + [1] * 11, processes=2)
    assert _ids(runs)[0] == ["R0"] and _in_order(runs) == [f"R{n}" for n in range(12)]
    assert len(runs) <= 4


def test_in_one_process_every_untiled_rule_is_a_job_and_none_is_empty():
    untiled = _planned_rules(3)
    assert _ids(engine._runs_of_rules(untiled, [5, 1, 1], processes=1)) == [["R0"], ["R1"], ["R2"]]
    assert engine._runs_of_rules([], [], processes=4) == []
    assert _ids(engine._runs_of_rules(untiled[:1], [1], processes=4)) == [["R0"]]


@pytest.mark.skipif(engine.isolation.why_not_isolated() is not None, reason="needs fork")
def test_forked_workers_check_the_layout_this_process_read(dirty, tmp_path):
    """The workers start with the layout read here: the file replaced by a clean layout
    after the read (its time kept) changes nothing."""
    _, whole = dirty
    copy = str(tmp_path / "dirty.gds")
    write_example("focos_bridge", copy, dirty=True)
    deck = load_deck(DECK)
    loaded = read_layout(copy)
    stamp = os.stat(copy)
    write_example("focos_bridge", copy, dirty=False)
    os.utime(copy, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    result = run_deck(deck, deck.layers, loaded, parallel=Parallel(jobs=3, tile_size=900.0))
    assert whole and markers_of(result) == whole


def test_progress_counts_every_job_shared_with_the_workers(dirty):
    path, _ = dirty
    seen: list[tuple[int, int, str]] = []
    deck = load_deck(DECK)
    parallel = Parallel(jobs=2, tile_size=900.0)

    def note(done: int, total: int, label: str) -> None:
        seen.append((done, total, label))

    run_deck(deck, deck.layers, read_layout(path), progress=note, parallel=parallel)
    assert [done for done, _, _ in seen] == list(range(1, seen[0][1] + 1))
    assert seen[-1][2] == ""


def test_a_single_job_runs_here_without_workers(dirty, monkeypatch):
    path, whole = dirty

    def no_pool(*_, **__):
        raise AssertionError("one job needs no worker process")

    monkeypatch.setattr(engine, "ProcessPoolExecutor", no_pool)
    deck = load_deck(DECK)
    result = run_deck(deck, deck.layers, read_layout(path), ["UB.DEN"], parallel=Parallel(jobs=2))
    assert markers_of(result) == [marker for marker in whole if marker[0] == "UB.DEN"]


# ---------------------------------------------------------------- the sharing itself
def _jobs(count: int) -> list[tiling.Job]:
    return [tiling.Job("layout.gds", "TOP", "deck.adk", (), (), label=str(n)) for n in range(count)]


@pytest.fixture
def runs(monkeypatch) -> list[tuple[str, bool]]:
    """Stands in for running a job: each job's label and whether this thread ran it."""
    ran: list[tuple[str, bool]] = []

    def run_job(job: tiling.Job) -> list[tiling.JobResult]:
        ran.append((job.label, threading.current_thread() is threading.main_thread()))
        return [tiling.JobResult(job.label, [], 0.0)]

    monkeypatch.setattr(tiling, "run_job", run_job)
    monkeypatch.setattr(tiling, "prepare", lambda *_: None)
    return ran


def _ended(jobs: list[tiling.Job], pool, workers: int) -> list[str]:
    sharing = engine._Sharing(jobs, pool, workers)
    for _ in range(workers):
        pool.submit(tiling.prepare, jobs[0]).add_done_callback(sharing.worker_ready)
    ended = [sharing.next_ended()[0].label for _ in jobs]
    assert sharing.held == 0
    return ended


def test_every_job_ends_once_workers_from_the_front_this_process_from_the_back(runs):
    jobs = _jobs(40)
    with ThreadPoolExecutor(2) as pool:
        ended = _ended(jobs, pool, 2)
    assert sorted(ended, key=int) == [job.label for job in jobs]
    by_workers = [int(label) for label, here in runs if not here]
    by_this_one = [int(label) for label, here in runs if here]
    assert sorted(by_workers + by_this_one) == list(range(40))
    assert not by_workers or not by_this_one or max(by_workers) < min(by_this_one)
    assert by_this_one == sorted(by_this_one, reverse=True)


def test_workers_not_yet_started_leave_every_job_to_this_process(runs, monkeypatch):
    starting = threading.Event()
    monkeypatch.setattr(tiling, "prepare", lambda *_: starting.wait(30))
    threads = lambda workers, *_: ThreadPoolExecutor(workers)  # noqa: E731
    monkeypatch.setattr(engine, "ProcessPoolExecutor", threads)
    jobs = _jobs(5)
    try:
        deck = load_deck(DECK)
        ended = [job.label for job, _ in engine._shared(jobs, 2, deck, deck.layers)]
    finally:
        starting.set()
    assert ended == ["4", "3", "2", "1", "0"]
    assert all(here for _, here in runs)


class _BrokenPool:
    """A pool whose workers start and then die: every job handed to it fails."""

    def submit(self, function, *args) -> Future:
        if function is not tiling.prepare:
            raise BrokenProcessPool("a worker process ended abruptly")
        ready: Future = Future()
        ready.set_result(None)
        return ready


def test_a_broken_pool_ends_the_run_with_its_error(runs):
    with pytest.raises(BrokenProcessPool, match="ended abruptly"):
        _ended(_jobs(6), _BrokenPool(), 1)


def test_a_worker_handed_the_deck_does_not_read_it_again(dirty, monkeypatch):
    path, whole = dirty
    monkeypatch.setattr(tiling, "_STATE", {})
    monkeypatch.setattr(tiling, "_DECKS", {})
    deck = load_deck(DECK)
    loaded = read_layout(path)
    planned = [item for item in plan(deck, deck.layers) if item.rule.id == "UB.DEN"]
    (job,) = engine.jobs_for(deck, deck.layers, loaded, planned, Parallel(jobs=2))
    job = replace(job, deck=str(Path(path).parent / "no such deck.adk"))
    tiling.adopt_deck(job, deck, deck.layers)
    tiling.prepare(job)
    (result,) = tiling.run_job(job)
    assert result.error is None
    found = [(result.rule, *marker) for marker in map(_key, map(tiling.unpack, result.markers))]
    assert found == [marker for marker in whole if marker[0] == "UB.DEN"]


def _key(marker) -> tuple:
    return shape_key(marker.shape), marker.measured, marker.text
