"""Text shapes of a layer, where they lie in the top cell: the net names an assembly puts
at its bumps (docs/assembly.md) read back for the net check.

Texts are few beside the polygons of a layout (one per bump at most), so they are read
through KLayout's flat text collection, every placement of a cell giving its texts once.
"""

from __future__ import annotations

import klayout.db as kdb
import numpy as np


def texts(layout: kdb.Layout, top: kdb.Cell, layer_index: int) -> tuple[np.ndarray, list[str]]:
    """The position (µm) and string of every text on the layer under ``top``: an (N, 2)
    array sorted by x then y, and the strings in the same order."""
    shapes = top.begin_shapes_rec(layer_index)
    shapes.shape_flags = kdb.Shapes.STexts
    found = [(t.x, t.y, t.string) for t in kdb.Texts(shapes).each()]
    if not found:
        return np.empty((0, 2)), []
    points = np.array([(x, y) for x, y, _ in found], dtype=float) * layout.dbu
    order = np.lexsort((points[:, 1], points[:, 0]))
    return points[order], [found[k][2] for k in order.tolist()]
