"""The layout as checks see it: layer expressions evaluated once and cached."""
from __future__ import annotations

import klayout.db as kdb
import numpy as np

from . import bumps as bump_extraction
from .deck import BoolOp, DerivedLayer, DrawnLayer, Layer, LayerExpr, LayerRef, Select, Sizing
from .layout import LoadedLayout


class LayoutContext:
    """Implements :class:`adk.checks.base.CheckContext` over a loaded layout.

    ``layers`` maps every deck layer name to its declaration (layer map applied).
    Drawn layers absent from the layout read as empty; the planner reports them.
    """

    def __init__(self, loaded: LoadedLayout, layers: dict[str, Layer], length_unit: str = "um"):
        self.loaded = loaded
        self.layers = layers
        self.dbu = loaded.dbu
        self.length_unit = length_unit
        self._regions: dict[LayerExpr, kdb.Region] = {}
        self._bumps: dict[LayerExpr, np.ndarray] = {}
        self._outlines: dict[LayerExpr, list[bump_extraction.Outline]] = {}

    def to_dbu(self, microns: float) -> int:
        return int(round(microns / self.dbu))

    def drawn_index(self, name: str) -> int | None:
        layer = self.layers[name]
        assert isinstance(layer, DrawnLayer)
        return self.loaded.layer_index(layer.layer, layer.datatype)

    # ------------------------------------------------------------ polygons
    def region(self, expr: LayerExpr) -> kdb.Region:
        cached = self._regions.get(expr)
        if cached is None:
            cached = self._evaluate(expr)
            self._regions[expr] = cached
        return cached

    def _evaluate(self, expr: LayerExpr) -> kdb.Region:
        if isinstance(expr, LayerRef):
            layer = self.layers[expr.name]
            if isinstance(layer, DerivedLayer):
                return self.region(layer.expr)
            return self._drawn_region(expr.name)
        if isinstance(expr, BoolOp):
            left, right = self.region(expr.left), self.region(expr.right)
            result = {"and": left.__and__, "or": left.__add__, "not": left.__sub__,
                      "xor": left.__xor__}[expr.op](right)
            return result.merged()
        if isinstance(expr, Sizing):
            distance = self.to_dbu(expr.distance)
            sized = self.region(expr.layer).sized(distance if expr.op == "grow" else -distance)
            return sized.merged()
        if isinstance(expr, Select):
            left, right = self.region(expr.left), self.region(expr.right)
            return {"inside": left.inside, "outside": left.outside,
                    "interacting": left.interacting}[expr.op](right)
        raise TypeError(f"not a layer expression: {expr!r}")

    def _drawn_region(self, name: str) -> kdb.Region:
        index = self.drawn_index(name)
        if index is None:
            return kdb.Region()
        region = kdb.Region(self.loaded.top.begin_shapes_rec(index))
        region.merge()
        return region

    # ------------------------------------------------------------ bumps
    def bumps(self, expr: LayerExpr) -> np.ndarray:
        cached = self._bumps.get(expr)
        if cached is None:
            cached = self._extract_bumps(expr)
            self._bumps[expr] = cached
        return cached

    def _extract_bumps(self, expr: LayerExpr) -> np.ndarray:
        if isinstance(expr, LayerRef) and isinstance(self.layers[expr.name], DrawnLayer):
            index = self.drawn_index(expr.name)
            if index is None:
                return np.empty((0, 2))
            return bump_extraction.centres(self.loaded.layout, self.loaded.top, index)
        return bump_extraction.region_centres(self.region(expr), self.dbu)

    def bump_outlines(self, expr: LayerExpr) -> list[bump_extraction.Outline]:
        """The distinct bump outlines of a layer with their placements; a derived layer's
        merged polygons otherwise."""
        cached = self._outlines.get(expr)
        if cached is None:
            cached = self._extract_outlines(expr)
            self._outlines[expr] = cached
        return cached

    def _extract_outlines(self, expr: LayerExpr) -> list[bump_extraction.Outline]:
        if isinstance(expr, LayerRef) and isinstance(self.layers[expr.name], DrawnLayer):
            index = self.drawn_index(expr.name)
            if index is None:
                return []
            return bump_extraction.outlines(self.loaded.layout, self.loaded.top, index)
        return bump_extraction.region_outlines(self.region(expr))
