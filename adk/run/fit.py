"""Whether a deck fits the layout it runs on, in warnings a run carries to its reports.

A deck run on a layout it was not written for fails quietly in two ways: its layers are
absent, so its rules are not checked, or its layers are there at other numbers or with
other limits, so a rule fires on nearly every shape. Neither is a verdict on the layout,
and neither changes the exit code; both are said where the results are read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import klayout.db as kdb

from adk.lang.model import DrawnLayer, Layer, LayerExpr, LayerRef, Rule, is_drawn, layer_label
from adk.layout.context import LayoutContext
from adk.layout.reader import LoadedLayout
from adk.run.result import RuleOutcome

# a rule firing on this share of its first layer's shapes, with at least this many shapes,
# says more about its limit or the layer map than about the layout
EVERYWHERE_SHARE = 0.9
EVERYWHERE_SHAPES = 20

ShapeCount = Callable[[Rule], int | None]  # shapes on a rule's first layer; None: not known


def absent_layers(missing: Sequence[str], optional: Sequence[str]) -> tuple[list[str], list[str]]:
    """The warning for absent layers the deck needs, and the note for its optional ones."""
    required = [name for name in missing if name not in optional]
    warnings = [f"{_layers(required)} absent from the layout, read as empty"] if required else []
    notes = (
        [f"optional {_layers(optional)} absent from the layout, read as empty"] if optional else []
    )
    return warnings, notes


def _layers(names: Sequence[str]) -> str:
    return ("layer " if len(names) == 1 else "layers ") + ", ".join(names)


def mostly_absent(required: Sequence[str], absent: Sequence[str], shown: int = 8) -> list[str]:
    """A warning when more than half of the drawn layers the rules read (``required``, the
    optional ones left out) are ``absent``: the deck, or its layer map, is likely not the
    one for this layout, even where each rule still finds one layer to read."""
    if 2 * len(absent) <= len(required):
        return []
    names = ", ".join(absent[:shown]) + (", ..." if len(absent) > shown else "")
    return [f"{len(absent)} of the {len(required)} layers its rules read are absent: {names}"]


def mostly_unchecked(
    outcomes: Sequence[RuleOutcome], unchecked: Sequence[RuleOutcome]
) -> list[str]:
    """A warning when more than half of the rules could not be checked: the deck, or its
    layer map, is likely not the one for this layout. Rules not checked for optional
    layers do not count: the deck says the layout may lack those."""
    if 2 * len(unchecked) <= len(outcomes):
        return []
    return [
        f"{len(unchecked):,} of {len(outcomes):,} rules not checked: layers absent; "
        "is this the right deck (or layer map) for this layout?"
    ]


def fires_everywhere(outcomes: Sequence[RuleOutcome], shapes: ShapeCount) -> list[str]:
    """A warning for each rule whose markers are nearly as many as the shapes of its first
    layer. Shapes are counted only for rules with enough markers to qualify; markers are
    counted once per placement of the cell they are filed in, as shapes are."""
    found = []
    for outcome in outcomes:
        count = outcome.placed
        if count < EVERYWHERE_SHARE * EVERYWHERE_SHAPES:
            continue
        total = shapes(outcome.rule)
        if total is None or total < EVERYWHERE_SHAPES or count < EVERYWHERE_SHARE * total:
            continue
        found.append(_everywhere(outcome.rule, count, total))
    return found


def _everywhere(rule: Rule, markers: int, shapes: int) -> str:
    layer = layer_label(rule.check.layers[0])
    fired = (
        f"fires on {markers:,} of {shapes:,}"
        if markers <= shapes
        else f"fires {markers:,} times on {shapes:,}"
    )
    return f"{rule.id} {fired} {layer} shapes: is the limit or the layer map right?"


def first_layer_shapes(context: LayoutContext, evaluated: bool) -> ShapeCount:
    """How many shapes a rule's first layer holds: a drawn layer's shapes counted through
    the hierarchy, each once per placement (so a bump array gives its bump count); a
    derived layer's or an expression's merged polygons when ``evaluated`` (this process
    ran the rule, so the context holds them already), else not known."""

    counted: dict[LayerExpr, int | None] = {}  # rules on one layer count it once

    def count(expr: LayerExpr) -> int | None:
        if isinstance(expr, LayerRef) and is_drawn(expr, context.layers):
            index = context.drawn_index(expr.name)
            return 0 if index is None else shape_count(context.loaded.top, index)
        return context.region(expr).count() if evaluated else None

    def first_layer(rule: Rule) -> int | None:
        if not rule.check.layers:
            return None
        expr = rule.check.layers[0]
        if expr not in counted:
            counted[expr] = count(expr)
        return counted[expr]

    return first_layer


class ShapeCounts:
    """The shapes on drawn layers, each once per placement, counted without reading them
    (:func:`shape_count`), each layer once."""

    def __init__(self, loaded: LoadedLayout, layers: dict[str, Layer]):
        self.loaded = loaded
        self.layers = layers
        self._counted: dict[int, int] = {}

    def on(self, names: Iterable[str]) -> int:
        """The shapes on the drawn layers ``names`` (each layer once; others count none)."""
        indices = {
            self.loaded.layer_index(layer.layer, layer.datatype)
            for name in names
            if isinstance(layer := self.layers[name], DrawnLayer)
        }
        return sum(self._count(index) for index in indices if index is not None)

    def _count(self, index: int) -> int:
        if index not in self._counted:
            self._counted[index] = shape_count(self.loaded.top, index)
        return self._counted[index]


def shape_count(top: kdb.Cell, layer: int) -> int:
    """The shapes on ``layer`` under ``top``, each once per placement, without placing
    any: each cell's own shapes times the number of times it is placed."""
    layout = top.layout()
    placed = {top.cell_index(): 1}
    total = 0
    for index in layout.each_cell_top_down():
        times = placed.pop(index, 0)
        cell = layout.cell(index)
        if not times or cell.bbox(layer).empty():  # nothing on the layer down here
            continue
        total += times * cell.shapes(layer).size()
        for inst in cell.each_inst():
            placed[inst.cell_index] = placed.get(inst.cell_index, 0) + times * inst.size()
    return total
