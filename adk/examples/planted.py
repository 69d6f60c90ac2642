"""What a dirty example plants, and the helper that plants it."""

from __future__ import annotations

from dataclasses import dataclass

import klayout.db as kdb

from adk.examples.geometry import trans_at


@dataclass(frozen=True)
class Planted:
    """A violation planted in a dirty example: the rule it breaks, a point of it in µm, and what."""

    rule: str
    x: float
    y: float
    what: str


class Planter:
    """Draws violations into a dirty example's top cell, by layer and library cell name, and
    lists them in ``planted``."""

    def __init__(self, top: kdb.Cell, cells: dict[str, kdb.Cell], layers: dict[str, int]) -> None:
        self.top, self.cells, self.layers = top, cells, layers
        self.planted: list[Planted] = []

    def shapes(self, layer: str) -> kdb.Shapes:
        """The top cell's shapes on ``layer``."""
        return self.top.shapes(self.layers[layer])

    def place(self, cell: str | kdb.Cell, x: float, y: float) -> None:
        """An unrotated instance at (x, y) µm of ``cell``: a library cell's name, or a cell
        made for one violation."""
        placed = self.cells[cell] if isinstance(cell, str) else cell
        self.top.insert(kdb.CellInstArray(placed.cell_index(), trans_at(x, y)))

    def plant(self, rule: str, x: float, y: float, what: str) -> None:
        """Lists a violation of ``rule`` at (x, y) µm."""
        self.planted.append(Planted(rule, x, y, what))
