"""Runs a plan on a layout: rules in deck order, each through its check kind."""
from __future__ import annotations

import time
from typing import Callable

from . import checks
from .context import LayoutContext
from .deck import Deck, Layer
from .layout import LoadedLayout
from .plan import plan
from .report.summary import RuleOutcome, RunResult

Progress = Callable[[int, int, str], None]


def run_deck(deck: Deck, layers: dict[str, Layer], loaded: LoadedLayout,
             only: list[str] | None = None, progress: Progress | None = None) -> RunResult:
    """Check ``loaded`` against ``deck`` (``layers``: the deck's layers, layer map applied)."""
    started = time.perf_counter()
    context = LayoutContext(loaded, layers, deck.units)
    planned = plan(deck, layers, only)
    missing_layers = sorted({name for item in planned for name in item.drawn
                             if context.drawn_index(name) is None})
    outcomes = []
    for index, item in enumerate(planned):
        if progress:
            progress(index, len(planned), item.rule.id)
        outcome = RuleOutcome(item.rule, missing=[n for n in item.drawn if n in missing_layers])
        if outcome.checked:
            rule_started = time.perf_counter()
            markers = checks.runner(item.rule.check.kind)(item.rule.check, context)
            outcome.markers = sorted(markers, key=lambda m: m.sort_key())
            outcome.seconds = time.perf_counter() - rule_started
        outcomes.append(outcome)
    if progress:
        progress(len(planned), len(planned), "")
    return RunResult(deck, loaded.path, loaded.top.name, outcomes, missing_layers,
                     time.perf_counter() - started)
