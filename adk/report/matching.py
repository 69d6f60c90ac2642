"""Markers matched by rule and bounding box, with a tolerance: how waivers and baselines
find the violations they name in a later run.

A box is ``(left, bottom, right, top)`` in µm, in the top cell's coordinates: the same
violation keeps its box when cells are renamed or the hierarchy is redrawn, which a
cell name does not survive. A marker filed in a cell has a box at each placement of the
cell, and matches at any of them."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from typing import Generic, TypeVar

from adk.checks.base import Marker
from adk.report.options import DEFAULT_TOLERANCE
from adk.run.result import RunResult

Box = tuple[float, float, float, float]

Payload = TypeVar("Payload")


def marker_box(marker: Marker) -> Box:
    box = marker.shape.bbox()
    return (box.left, box.bottom, box.right, box.top)


def placement_boxes(marker: Marker) -> list[Box]:
    """The marker's box at each placement of the cell it is filed in, the first first;
    one box for a marker of the top cell."""
    return [marker_box(placed) for placed in marker.each_placement()]


def boxes_match(first: Box, second: Box, tolerance: float) -> bool:
    """Whether every side of one box lies within ``tolerance`` µm of the other's."""
    return all(abs(a - b) <= tolerance + 1e-9 for a, b in zip(first, second))


def format_box(box: Box) -> str:
    """``[left, bottom, right, top] um``, to 0.1 nm and no trailing zeros."""
    return "[" + ", ".join(format_um(value) for value in box) + "] um"


def format_um(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def run_markers(result: RunResult) -> Iterator[tuple[str, int, Marker]]:
    """Every marker of a run with its rule id and its position in the rule's list."""
    for outcome in result.outcomes:
        for index, marker in enumerate(outcome.markers):
            yield outcome.rule.id, index, marker


class BoxIndex(Generic[Payload]):
    """Boxes by rule, bucketed on a grid of their lower left corners, so that finding
    the boxes near one looks at a few buckets instead of every box of the rule."""

    def __init__(self, cell: float = DEFAULT_TOLERANCE):
        self.cell = max(cell, 1e-6)
        self.buckets: dict[tuple[str, int, int], list[tuple[int, Box, Payload]]] = defaultdict(list)
        self.added = 0

    def add(self, rule: str, box: Box, payload: Payload) -> None:
        column, row = self._bucket(box)
        self.buckets[(rule, column, row)].append((self.added, box, payload))
        self.added += 1

    def find(self, rule: str, box: Box, tolerance: float) -> list[Payload]:
        """The payloads of the boxes of ``rule`` matching ``box`` within ``tolerance``, in
        the order they were added. Fast while ``tolerance`` is at most the grid's cell."""
        # a corner within the tolerance may lie one bucket further when it sits on a border
        reach = math.ceil(tolerance / self.cell) + 1
        column, row = self._bucket(box)
        found = []
        for dx in range(-reach, reach + 1):
            for dy in range(-reach, reach + 1):
                for added, other, payload in self.buckets.get((rule, column + dx, row + dy), ()):
                    if boxes_match(box, other, tolerance):
                        found.append((added, payload))
        return [payload for _, payload in sorted(found, key=lambda hit: hit[0])]

    def _bucket(self, box: Box) -> tuple[int, int]:
        return math.floor(box[0] / self.cell), math.floor(box[1] / self.cell)
