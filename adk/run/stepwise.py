"""Rules one after another in this process, each local rule on tiles, so that a caller can
say how far the rule running has got (KLayout's progress bar, a worker's progress lines).

A rule run on the whole layout is one step from start to end, however long it takes; on
tiles, each tile is a step of its own. The tiles are :mod:`adk.run.tiling`'s, so the
markers are those of a run in one piece. A tile's window, once read, serves every later
rule on the same window (width and space of one layer), as the tiles of a tiled run do.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import klayout.db as kdb

from adk import checks
from adk.checks.base import Marker
from adk.layout.context import LayoutContext, WindowContext
from adk.run import tiling
from adk.run.guard import guarded
from adk.run.plan import PlannedRule

# tiles across the layout's longer side: enough steps for the progress of a rule to move
# smoothly, few enough that the tiles' halos add little work
TILES_ACROSS = 4


@dataclass(frozen=True)
class Step:
    """Where a run is: rule ``rule`` (counted from 0) of ``rules``, named ``rule_id``, has
    ``tiles_done`` of its ``tiles`` tiles done (a rule on the whole layout has one tile)."""

    rule: int
    rules: int
    rule_id: str
    tiles_done: int = 0
    tiles: int = 1

    @property
    def fraction(self) -> float:
        """How much of the rule running is done, from 0 to 1."""
        return self.tiles_done / self.tiles if self.tiles else 1.0


TileProgress = Callable[[Step], None]
Found = dict[str, tuple[list[Marker], float, str | None]]  # as adk.run.engine's
Tile = tuple[tuple[int, int, int, int], tiling.Bounds]  # as tiling.grid gives them


def run_by_rule(
    planned: list[PlannedRule], context: LayoutContext, progress: TileProgress
) -> Found:
    """Run ``planned`` in deck order; ``progress`` is called as each rule starts and as each
    of its tiles ends."""
    extent = context.loaded.top.bbox()
    windows: dict[tuple, WindowContext] = {}
    found: Found = {}
    for index, item in enumerate(planned):
        tiles = _tiles(item, extent, context.dbu)
        started = time.perf_counter()
        if tiles:
            markers, error = _on_tiles(item, context, tiles, windows, index, len(planned), progress)
        else:
            progress(Step(index, len(planned), item.rule.id))
            markers, error = guarded(checks.runner(item.rule.check.kind), item.rule.check, context)
            progress(Step(index, len(planned), item.rule.id, 1, 1))
        found[item.rule.id] = (markers, time.perf_counter() - started, error)
    return found


def _tiles(item: PlannedRule, extent: kdb.Box, dbu: float) -> list[Tile]:
    """The tiles of a local rule (none for a rule that runs on the whole layout): about
    ``TILES_ACROSS`` across, each side at least four times the rule's halo."""
    if not item.tiled or extent.empty():
        return []
    size = max(
        1,
        math.ceil(max(extent.width(), extent.height()) / TILES_ACROSS),
        math.ceil(4 * item.halo / dbu),
    )
    return tiling.grid(extent, size)


def _on_tiles(
    item: PlannedRule,
    context: LayoutContext,
    tiles: list[Tile],
    windows: dict[tuple, WindowContext],
    index: int,
    rules: int,
    progress: TileProgress,
) -> tuple[list[Marker], str | None]:
    """A rule's markers, tile by tile; the first tile's error stands for the rule (its
    other tiles would say the same)."""
    markers: list[Marker] = []
    progress(Step(index, rules, item.rule.id, 0, len(tiles)))
    for done, tile in enumerate(tiles, 1):
        found, error = guarded(tiling.owned_markers, item, context, tile, windows)
        if error is not None:
            return [], error
        markers += found
        progress(Step(index, rules, item.rule.id, done, len(tiles)))
    return markers, None
