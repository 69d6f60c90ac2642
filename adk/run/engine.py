"""Runs a plan on a layout: rules in deck order, each through its check kind; on the
whole layout at once, or on tiles in local processes or on a Dask cluster, or rule by rule
on tiles in this process, to show how far a rule has got."""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import partial

import klayout.db as kdb

from adk import checks
from adk.checks.base import Marker
from adk.errors import AdkError
from adk.lang.model import Deck, DrawnLayer, Layer
from adk.layout import isolation
from adk.layout.context import LayoutContext
from adk.layout.reader import LoadedLayout
from adk.run import cells, fit, stepwise, tiling
from adk.run.guard import guarded
from adk.run.plan import PlannedRule, plan
from adk.run.result import RuleOutcome, RunResult

Progress = Callable[[int, int, str], None]
# rule id -> its markers, seconds spent and the error it raised (adk.run.guard)
Found = dict[str, tuple[list[Marker], float, str | None]]
Finished = Iterator[tuple[tiling.Job, list[tiling.JobResult]]]  # jobs with results, as they end

# tiles per process when the tile size is not given: enough to balance uneven tiles, and
# small enough that a tile run again on a grown window (a long marker across its border)
# costs little
_TILES_PER_WORKER = 8
# shapes a tile holds at least, when the tile size is not given and the layout is small:
# a tile's own costs (its windows read, each process's first use of the checks) stay small
# beside its checks (the benchmark's 100k-bump package: 200,000 shapes, 9 tiles)
_SHAPES_PER_TILE = 25_000
# jobs a local worker holds at a time: the one it runs and the next, so that it goes on
# while this process, busy with a job of its own, has not yet handed it another
_HELD_PER_WORKER = 2
# runs of untiled rules per process (:func:`_runs_of_rules`): more even out the end of a
# run, where some processes wait for the last, fewer build a layer in fewer processes
_RUNS_PER_PROCESS = 2
# workers assumed on a Dask cluster for the default tile size
_DASK_WORKERS = 16
# database units a tile's halo may reach: a quarter of KLayout's 32-bit coordinate range
_LARGEST_HALO = 2**29


@dataclass(frozen=True)
class Parallel:
    """How to split a run: ``jobs`` local processes, or the Dask scheduler at
    ``scheduler``; tiles of ``tile_size`` µm (default: from the layout and the workers)."""

    jobs: int = 1
    tile_size: float | None = None
    scheduler: str | None = None

    @property
    def tiled(self) -> bool:
        return self.jobs > 1 or self.tile_size is not None or self.scheduler is not None


def run_deck(
    deck: Deck,
    layers: dict[str, Layer],
    loaded: LoadedLayout,
    only: list[str] | None = None,
    progress: Progress | None = None,
    parallel: Parallel | None = None,
    flat_markers: bool = False,
    tile_progress: stepwise.TileProgress | None = None,
) -> RunResult:
    """Check ``loaded`` against ``deck`` (``layers``: the deck's layers, layer map applied).

    With ``parallel``, local rules run on tiles and the others as jobs of their own;
    with ``tile_progress`` (and no ``parallel``), rules run one after another here, local
    ones on tiles, and ``tile_progress(step)`` says how far the rule running has got
    (:mod:`adk.run.stepwise`). Either way the markers are the same, in the same order, as
    those of a run in one piece. A marker found alike at every placement of a cell is
    filed in that cell, unless ``flat_markers`` (docs/checking.md, "Markers in cells")."""
    started = time.perf_counter()
    context = LayoutContext(loaded, layers, deck.units)
    planned = plan(deck, layers, only)
    missing, optional = _absent(planned, context)
    outcomes = [_outcome(item, missing, optional) for item in planned]
    runnable = [
        _untiled_beyond_grid(item, loaded.dbu)
        for item, outcome in zip(planned, outcomes)
        if outcome.checked
    ]
    if parallel is not None and parallel.tiled:
        found = _run_jobs(deck, layers, loaded, runnable, parallel, progress)
    else:
        # one process: KLayout's threads may use every core, but one for the window
        # that shows the progress (the plugin's worker)
        context.threads = _cores() if tile_progress is None else max(1, _cores() - 1)
        if tile_progress is not None:
            found = stepwise.run_by_rule(runnable, context, tile_progress)
        else:
            found = _run_here(runnable, context, progress)
    hierarchy = cells.Hierarchy(loaded.layout, loaded.top)  # walked only when needed
    for outcome in outcomes:
        if outcome.checked:
            markers, outcome.seconds, outcome.error = found[outcome.rule.id]
            if outcome.error is not None:
                continue
            markers = checks.finished(outcome.rule.check, markers, loaded.dbu)
            outcome.markers = sorted(markers, key=lambda m: m.sort_key())
            if not flat_markers:
                outcome.markers = cells.file_in_cells(outcome.markers, hierarchy)
    result = RunResult(
        deck, loaded.path, loaded.top.name, outcomes, missing, optional_missing=optional
    )
    # a tiled run evaluated its layers in the workers: here only drawn layers are counted
    here = parallel is None or not parallel.tiled
    _judge_fit(result, fit.first_layer_shapes(context, evaluated=here))
    result.seconds = time.perf_counter() - started
    return result


def fit_before_run(deck: Deck, layers: dict[str, Layer], loaded: LoadedLayout) -> list[str]:
    """What a run would warn of before it checks anything, when the deck seems not to be the
    layout's: most of the drawn layers its rules read absent, or most rules not checkable.
    Quick: it looks only at the layout's layer list."""
    context = LayoutContext(loaded, layers, deck.units)
    planned = plan(deck, layers)
    missing, optional = _absent(planned, context)
    outcomes = [_outcome(item, missing, optional) for item in planned]
    required = {name for item in planned for name in item.drawn if not _is_optional(layers[name])}
    unchecked = [outcome for outcome in outcomes if not outcome.checked and not outcome.excused]
    absent = [name for name in missing if name not in optional]
    return fit.mostly_absent(sorted(required), absent) + fit.mostly_unchecked(outcomes, unchecked)


def _absent(planned: list[PlannedRule], context: LayoutContext) -> tuple[list[str], list[str]]:
    """The drawn layers the rules read that the layout lacks, and which of them are optional."""
    missing = sorted(
        {name for item in planned for name in item.drawn if context.drawn_index(name) is None}
    )
    return missing, [name for name in missing if _is_optional(context.layers[name])]


def _cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _untiled_beyond_grid(item: PlannedRule, dbu: float) -> PlannedRule:
    """``item``, untiled when its tiles would reach further than a layout's coordinates
    (a 30 mm limit on a 0.01 nm grid): it looks at the whole layout anyway."""
    if item.tiled and item.halo / dbu > _LARGEST_HALO:
        return replace(item, ambit=None)
    return item


def _is_optional(layer: Layer) -> bool:
    return isinstance(layer, DrawnLayer) and layer.optional


def _outcome(item: PlannedRule, missing: list[str], optional: list[str]) -> RuleOutcome:
    """A rule's outcome before it runs: the absent layers it reads; not checked when every
    drawn layer it reads is absent (with one present, the others read as empty)."""
    absent = [name for name in item.drawn if name in missing]
    return RuleOutcome(
        item.rule,
        missing=absent,
        optional_missing=[name for name in absent if name in optional],
        checked=not item.drawn or len(absent) < len(item.drawn),
    )


def _judge_fit(result: RunResult, shapes: fit.ShapeCount) -> None:
    """The warnings and notes on how the deck fits the layout."""
    result.warnings, result.notes = fit.absent_layers(
        result.missing_layers, result.optional_missing
    )
    result.warnings += fit.mostly_unchecked(result.outcomes, result.unchecked())
    result.warnings += fit.fires_everywhere(result.outcomes, shapes)
    result.warnings += [
        f"rule {outcome.rule.id} failed to run: {outcome.error}"
        for outcome in result.failed_to_run()
    ]


def _run_here(
    planned: list[PlannedRule], context: LayoutContext, progress: Progress | None
) -> Found:
    found: Found = {}
    for index, item in enumerate(planned):
        if progress:
            progress(index, len(planned), item.rule.id)
        rule_started = time.perf_counter()
        run = checks.runner(item.rule.check.kind)
        markers, error = guarded(run, item.rule.check, context)
        found[item.rule.id] = (markers, time.perf_counter() - rule_started, error)
    if progress:
        progress(len(planned), len(planned), "")
    return found


# ---------------------------------------------------------------- tiles
def jobs_for(
    deck: Deck,
    layers: dict[str, Layer],
    loaded: LoadedLayout,
    planned: list[PlannedRule],
    parallel: Parallel,
) -> list[tiling.Job]:
    """The untiled rules in runs of neighbours in deck order (:func:`_runs_of_rules`),
    then one job per tile with every tiled rule."""
    whole = tiling.Job(
        layout=os.path.abspath(loaded.path),
        top=loaded.top.name,
        deck=os.path.abspath(deck.path),
        layers=tiling.drawn_numbers(layers),
        rules=(),
        deck_roots=deck.roots,
    )
    shapes = fit.ShapeCounts(loaded, layers)
    untiled = [item for item in planned if not item.tiled]
    processes = _DASK_WORKERS if parallel.scheduler else parallel.jobs
    # a rule's cost grows with the shapes it reads, and so does building its layers
    costs = [max(1, shapes.on(item.drawn)) for item in untiled] if processes > 1 else []
    jobs = [
        replace(whole, rules=tuple(item.rule.id for item in run), label=_run_label(run))
        for run in _runs_of_rules(untiled, costs, processes)
    ]
    tiled = tuple(item.rule.id for item in planned if item.tiled)
    if tiled:
        extent = loaded.top.bbox()
        count = 0 if parallel.tile_size is not None else _tiled_shapes(shapes, planned)
        size = _tile_size(extent, loaded.dbu, planned, parallel, count)
        tiles = tiling.grid(extent, size)
        jobs += [
            replace(
                whole, rules=tiled, core=core, owner=owner, label=f"tile {number + 1}/{len(tiles)}"
            )
            for number, (core, owner) in enumerate(tiles)
        ]
    return jobs


def _runs_of_rules(
    untiled: list[PlannedRule], costs: list[int], processes: int
) -> list[list[PlannedRule]]:
    """``untiled`` cut, in deck order, into about ``_RUNS_PER_PROCESS`` runs per process
    of about equal ``costs``. A process builds the layers its rules read and keeps them for
    its next rules; deck neighbours mostly read the same layers (a via's rules read the
    metals below and above it), so a run builds each of its layers once, where jobs of one
    rule each would go to every process in turn, each building nearly every layer. In
    one process, a rule is a run: progress then names each."""
    if processes == 1 or not untiled:
        return [[item] for item in untiled]
    count = min(len(untiled), _RUNS_PER_PROCESS * processes)
    share = max(1, sum(costs)) / count
    runs: list[list[PlannedRule]] = [[]]
    spent = 0
    for item, cost in zip(untiled, costs):
        # cut before a rule that would take the run further past its share than short of it
        if runs[-1] and len(runs) < count and spent + cost / 2 > share * len(runs):
            runs.append([])
        runs[-1].append(item)
        spent += cost
    return runs


def _run_label(run: list[PlannedRule]) -> str:
    first, last = run[0].rule.id, run[-1].rule.id
    return first if len(run) == 1 else f"{first} .. {last}"


def _tile_size(
    extent: kdb.Box, dbu: float, planned: list[PlannedRule], parallel: Parallel, shapes: int
) -> int:
    """Tiles of the size asked for; else about ``_TILES_PER_WORKER`` per process (``--jobs``,
    or Dask worker), fewer when the ``shapes`` the tiled rules read are few
    (``_SHAPES_PER_TILE``), never fewer than the processes, and never smaller than four
    times the largest halo (a tile should hold more than its halo)."""
    halo = max((item.halo for item in planned if item.tiled), default=0.0) / dbu
    if parallel.tile_size is not None:
        return max(1, round(parallel.tile_size / dbu))
    workers = _DASK_WORKERS if parallel.scheduler else parallel.jobs
    tiles = max(workers, min(_TILES_PER_WORKER * workers, shapes // _SHAPES_PER_TILE))
    across = math.ceil(math.sqrt(tiles))
    return max(1, math.ceil(max(extent.width(), extent.height()) / across), math.ceil(4 * halo))


def _tiled_shapes(shapes: fit.ShapeCounts, planned: list[PlannedRule]) -> int:
    """The shapes on the drawn layers the tiled rules read."""
    return shapes.on(name for item in planned if item.tiled for name in item.drawn)


def _run_jobs(
    deck: Deck,
    layers: dict[str, Layer],
    loaded: LoadedLayout,
    planned: list[PlannedRule],
    parallel: Parallel,
    progress: Progress | None,
) -> Found:
    jobs = jobs_for(deck, layers, loaded, planned, parallel)
    found: Found = {item.rule.id: ([], 0.0, None) for item in planned}
    if parallel.scheduler:
        results = _on_dask(jobs, parallel.scheduler)
    else:
        if jobs:
            tiling.seed(jobs[0], deck, layers, loaded)
        workers = parallel.jobs - 1  # this process checks too
        results = _shared(jobs, workers, deck, layers) if workers else _here(jobs)
    for done, (job, job_results) in enumerate(results, 1):
        for result in job_results:
            markers, seconds, error = found[result.rule]
            markers += [tiling.unpack(packed) for packed in result.markers]
            # the first tile's error stands for the rule: its other tiles would say the same
            found[result.rule] = (markers, seconds + result.seconds, error or result.error)
        if progress:
            progress(done, len(jobs), job.label if done < len(jobs) else "")
    return found


def _here(jobs: list[tiling.Job]) -> Finished:
    return ((job, tiling.run_job(job)) for job in jobs)


def _shared(jobs: list[tiling.Job], workers: int, deck: Deck, layers: dict[str, Layer]) -> Finished:
    """Run ``jobs`` in ``workers`` local processes and in this one (:class:`_Sharing`).
    The workers are forked from this process, with the layout and the deck read already
    (:func:`adk.run.tiling.seed`) and none of its layers built; where a fork is not safe,
    they are spawned, read the layout again and are handed the deck."""
    if len(jobs) < 2:
        yield from _here(jobs)
        return
    # forked, a worker starts checking at once; spawned, a second later (Python, KLayout
    # and the layout read again)
    method = "spawn" if isolation.why_not_isolated() else "fork"
    context = multiprocessing.get_context(method)
    handed = (jobs[0], deck, layers)
    pool = ProcessPoolExecutor(workers, context, tiling.adopt_deck, handed)
    sharing = _Sharing(jobs, pool, workers)
    ended = False
    try:
        for _ in range(workers):
            pool.submit(tiling.prepare, jobs[0]).add_done_callback(sharing.worker_ready)
        for _ in jobs:
            yield sharing.next_ended()
        ended = True
    finally:
        sharing.pending.clear()
        # idle workers end at once, and their peak memory counts in the run's (getrusage);
        # workers still starting up when every job has ended here are not waited for
        pool.shutdown(wait=ended and sharing.ready >= workers, cancel_futures=True)


class _Sharing:
    """Jobs shared between local worker processes and this process, which has read the
    layout already. Workers are handed jobs from the front of the list once they are ready
    (forked, at once; spawned, once they have read the layout), and another as each job
    ends (by the pool's thread, which KLayout's calls here hold up for a fraction of a
    job); this process runs jobs from the back in between. So checking starts at once,
    without waiting for the workers to start up, and a small run ends before they have."""

    def __init__(self, jobs: list[tiling.Job], pool: ProcessPoolExecutor, workers: int):
        self.pending = deque(jobs)
        self.pool = pool
        self.workers = workers
        self.ready = 0  # workers that have read the layout
        self.held = 0  # jobs handed to the workers, not yet ended
        self.lock = threading.Lock()
        self.ended: queue.SimpleQueue[tuple[tiling.Job, Future | BaseException]] = (
            queue.SimpleQueue()
        )

    def worker_ready(self, _: Future) -> None:
        with self.lock:
            self.ready += 1
            handed = self._hand_out()
        self._watch(handed)

    def _job_ended(self, job: tiling.Job, future: Future) -> None:
        self.ended.put((job, future))
        with self.lock:
            self.held -= 1
            handed = self._hand_out()
        self._watch(handed)

    def _watch(self, handed: list[tuple[tiling.Job, Future]]) -> None:
        # outside the lock: a future ended already calls back at once, in this thread
        for job, future in handed:
            future.add_done_callback(partial(self._job_ended, job))

    def _hand_out(self) -> list[tuple[tiling.Job, Future]]:
        """Hand the workers jobs from the front until they hold what they should: the one
        each runs and the next while many are left, so that each goes straight on; then
        only the one each runs, so that the last jobs go to whoever is free first."""
        handed: list[tuple[tiling.Job, Future]] = []
        while True:
            each = _HELD_PER_WORKER if len(self.pending) > self.workers + 1 else 1
            if self.held >= each * min(self.ready, self.workers):
                break
            try:
                job = self.pending.popleft()  # this process takes from the other end meanwhile
            except IndexError:
                break
            try:
                future = self.pool.submit(tiling.run_job, job)
            except BaseException as exc:  # a broken pool: the job's end says so
                self.ended.put((job, exc))
                break
            self.held += 1
            handed.append((job, future))
        return handed

    def next_ended(self) -> tuple[tiling.Job, list[tiling.JobResult]]:
        """The next job to end: one a worker has ended, else one run here, else the
        next a worker ends."""
        with contextlib.suppress(queue.Empty):
            return _outcome_of(*self.ended.get_nowait())
        try:
            job = self.pending.pop()
        except IndexError:
            return _outcome_of(*self.ended.get())
        return job, tiling.run_job(job)


def _outcome_of(
    job: tiling.Job, ended: Future | BaseException
) -> tuple[tiling.Job, list[tiling.JobResult]]:
    if isinstance(ended, BaseException):
        raise ended
    return job, ended.result()


def _on_dask(jobs: list[tiling.Job], address: str) -> Finished:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise AdkError("--dask needs Dask: pip install 'adk[dask]'") from None
    try:
        client = Client(address, timeout=30)
    except (OSError, TimeoutError) as exc:
        raise AdkError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    with client:
        futures = client.map(tiling.run_job, jobs, pure=False)
        owner = dict(zip(futures, jobs))
        for future in dask_completed(futures):
            yield owner[future], future.result()
