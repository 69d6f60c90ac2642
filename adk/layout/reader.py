"""Layout access: read GDS/OASIS (plain or gzipped), pick the top cell, find layers."""

from __future__ import annotations

import os
from dataclasses import dataclass

import klayout.db as kdb

from adk.errors import AdkError


@dataclass
class LoadedLayout:
    """A layout read from a file, with its chosen top cell."""

    path: str
    layout: kdb.Layout
    top: kdb.Cell

    @property
    def dbu(self) -> float:
        return self.layout.dbu

    def layer_index(self, layer: int, datatype: int) -> int | None:
        """The layout's index of ``layer/datatype``, or None when the layout has no such layer."""
        index = self.layout.find_layer(layer, datatype)
        return None if index is None or index < 0 else index


def read_layout(path: str, top: str | None = None) -> LoadedLayout:
    """Read ``path`` and choose the top cell (the only one, or the one named ``top``)."""
    if not os.path.isfile(path):
        raise AdkError(f"{path}: no such layout file")
    layout = kdb.Layout()
    try:
        layout.read(path)
    except Exception as exc:  # klayout raises RuntimeError with a multi-line text
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AdkError(f"{path}: cannot read layout: {reason}") from None
    return LoadedLayout(path, layout, choose_top(layout, path, top))


def choose_top(layout: kdb.Layout, path: str, top: str | None) -> kdb.Cell:
    """The top cell named ``top``, or the layout's only top cell."""
    if top is not None:
        cell = layout.cell(top)
        if cell is None:
            raise AdkError(f"{path}: no cell named '{top}'")
        return cell
    tops = sorted(cell.name for cell in layout.top_cells())
    if not tops:
        raise AdkError(f"{path}: the layout has no cells")
    if len(tops) > 1:
        shown = ", ".join(tops[:5]) + (", ..." if len(tops) > 5 else "")
        raise AdkError(f"{path}: {len(tops)} top cells ({shown}); choose one with --top")
    return layout.cell(tops[0])
