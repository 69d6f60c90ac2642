"""Runs a plan on a layout: rules in deck order, each through its check kind; on the
whole layout at once, or on tiles in local processes or on a Dask cluster, or rule by rule
on tiles in this process, to show how far a rule has got."""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace

import klayout.db as kdb

from adk import checks
from adk.checks.base import Marker
from adk.errors import AdkError
from adk.lang.model import Deck, DrawnLayer, Layer
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

# tiles per worker when the tile size is not given: enough to balance uneven tiles
_TILES_PER_WORKER = 4
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
    elif tile_progress is not None:
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
    """The untiled rules one job each, in deck order, then one job per tile with
    every tiled rule."""
    whole = tiling.Job(
        layout=os.path.abspath(loaded.path),
        top=loaded.top.name,
        deck=os.path.abspath(deck.path),
        layers=tiling.drawn_numbers(layers),
        rules=(),
        deck_roots=deck.roots,
    )
    jobs = [
        replace(whole, rules=(item.rule.id,), label=item.rule.id)
        for item in planned
        if not item.tiled
    ]
    tiled = tuple(item.rule.id for item in planned if item.tiled)
    if tiled:
        extent = loaded.top.bbox()
        size = _tile_size(extent, loaded.dbu, planned, parallel)
        tiles = tiling.grid(extent, size)
        jobs += [
            replace(
                whole, rules=tiled, core=core, owner=owner, label=f"tile {number + 1}/{len(tiles)}"
            )
            for number, (core, owner) in enumerate(tiles)
        ]
    return jobs


def _tile_size(extent: kdb.Box, dbu: float, planned: list[PlannedRule], parallel: Parallel) -> int:
    """Tiles of the size asked for; else about ``_TILES_PER_WORKER`` per worker, never
    smaller than four times the largest halo (a tile should hold more than its halo)."""
    halo = max((item.halo for item in planned if item.tiled), default=0.0) / dbu
    if parallel.tile_size is not None:
        return max(1, round(parallel.tile_size / dbu))
    workers = _DASK_WORKERS if parallel.scheduler else parallel.jobs
    across = math.ceil(math.sqrt(_TILES_PER_WORKER * workers))
    return max(1, math.ceil(max(extent.width(), extent.height()) / across), math.ceil(4 * halo))


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
    elif parallel.jobs > 1:
        results = _in_processes(jobs, parallel.jobs)
    else:
        if jobs:
            tiling.seed(jobs[0], deck, layers, loaded)
        results = ((job, tiling.run_job(job)) for job in jobs)
    for done, (job, job_results) in enumerate(results, 1):
        for result in job_results:
            markers, seconds, error = found[result.rule]
            markers += [tiling.unpack(packed) for packed in result.markers]
            # the first tile's error stands for the rule: its other tiles would say the same
            found[result.rule] = (markers, seconds + result.seconds, error or result.error)
        if progress:
            progress(done, len(jobs), job.label if done < len(jobs) else "")
    return found


def _in_processes(jobs: list[tiling.Job], workers: int) -> Finished:
    # spawned, not forked: workers read the layout as remote ones do, and share no state
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(tiling.run_job, job): job for job in jobs}
        for future in as_completed(futures):
            yield futures[future], future.result()


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
