"""What every check receives and returns."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Union

import klayout.db as kdb
import numpy as np

from ..deck import Check, Constraint, LayerExpr
from ..units import Quantity

Geometry = Union[kdb.DEdgePair, kdb.DPolygon, kdb.DBox, kdb.DEdge]

_NEGATED = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "==": "!="}


@dataclass(frozen=True)
class Marker:
    """One violation: its geometry in µm, the measured value and a one-line text."""

    shape: Geometry
    measured: float | None
    text: str

    def sort_key(self) -> tuple:
        box = self.shape.bbox()
        return (box.left, box.bottom, box.right, box.top, self.text)


class CheckContext(Protocol):
    """The layout as a check sees it. The engine implements it and caches every layer."""

    dbu: float        # µm per database unit
    length_unit: str  # the deck's unit, for messages

    def region(self, expr: LayerExpr) -> kdb.Region:
        """The merged polygons of a layer expression, flat, in database units."""

    def bumps(self, expr: LayerExpr) -> "np.ndarray":
        """Centres of the shapes of a layer as an (N, 2) float array in µm, sorted by x then y."""

    def bump_outlines(self, expr: LayerExpr) -> list:
        """Distinct bump outlines (:class:`adk.bumps.Outline`) with their placements."""

    def to_dbu(self, microns: float) -> int:
        """A distance in µm as a whole number of database units."""


def violation_text(prop: str, measured: float, constraint: Constraint, unit: str,
                   suffix: str = "") -> str:
    """``space 1.62 um < 2 um``: the measured value against the limit it breaks."""
    dim = constraint.limit.dim
    value = Quantity(measured, dim).format(unit)
    limit = constraint.limit.format(unit)
    return f"{prop} {value} {_NEGATED[constraint.op]} {limit}{suffix}"


def failing(constraints: tuple[Constraint, ...], measured: float,
            tolerance: float = 0.0) -> Constraint | None:
    """The first constraint ``measured`` breaks, or None."""
    return next((c for c in constraints if not c.holds(measured, tolerance)), None)


__all__ = ["Geometry", "Marker", "CheckContext", "violation_text", "failing", "Check"]
