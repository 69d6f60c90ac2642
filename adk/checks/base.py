"""What every check receives and returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import klayout.db as kdb
import numpy as np

from adk.lang.model import Check, Constraint, LayerExpr
from adk.lang.units import Quantity

Geometry = kdb.DEdgePair | kdb.DPolygon | kdb.DBox | kdb.DEdge

_NEGATED = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "==": "!="}


@dataclass(frozen=True)
class Marker:
    """One violation: its geometry in µm in the top cell, the measured value and a one-line
    text. ``filed``: None for a marker of the top cell; else the cell it is filed in, with
    every placement (docs/checking.md, "Markers in cells"), and ``shape`` is then its
    first placement's. ``nets``: the nets the violation involves, for the checks that
    read nets (a waiver may name one, docs/reports.md)."""

    shape: Geometry
    measured: float | None
    text: str
    filed: Filing | None = None
    nets: tuple[str, ...] = ()

    @property
    def placements(self) -> int:
        """How many violations the marker stands for: one per placement of its cell."""
        return len(self.filed.placed) if self.filed else 1

    def each_placement(self) -> tuple[Marker, ...]:
        """The marker at each placement of its cell, in the top cell: the flat markers."""
        return self.filed.placed if self.filed else (self,)

    def sort_key(self) -> tuple:
        """Position first; the exact geometry breaks ties, so the order is total."""
        box = self.shape.bbox()
        return (box.left, box.bottom, box.right, box.top, self.text, shape_key(self.shape))


@dataclass(frozen=True)
class Filing:
    """Where a marker found alike at every placement of a cell is filed: the cell's name,
    the marker's geometry in the cell's coordinates (µm), the cell's first placement
    (cell to top, µm) and the flat marker at each placement, the first one first."""

    cell: str
    shape: Geometry
    trans: kdb.DCplxTrans
    placed: tuple[Marker, ...]


def shape_key(shape: Geometry) -> tuple:
    """A geometry as plain numbers, exact: for ordering and for sending to other processes."""
    if isinstance(shape, kdb.DEdgePair):
        first, second = shape.first, shape.second
        return (
            "pair",
            first.x1,
            first.y1,
            first.x2,
            first.y2,
            second.x1,
            second.y1,
            second.x2,
            second.y2,
            shape.symmetric,
        )
    if isinstance(shape, kdb.DEdge):
        return ("edge", shape.x1, shape.y1, shape.x2, shape.y2)
    if isinstance(shape, kdb.DBox):
        return ("box", shape.left, shape.bottom, shape.right, shape.top)
    rings = [shape.each_point_hull()] + [shape.each_point_hole(h) for h in range(shape.holes())]
    return ("polygon",) + tuple(tuple(c for p in ring for c in (p.x, p.y)) for ring in rings)


def shape_from_key(key: tuple) -> Geometry:
    """The geometry :func:`shape_key` describes."""
    kind, values = key[0], key[1:]
    if kind == "pair":
        return kdb.DEdgePair(kdb.DEdge(*values[:4]), kdb.DEdge(*values[4:8]), values[8])
    if kind == "edge":
        return kdb.DEdge(*values)
    if kind == "box":
        return kdb.DBox(*values)
    rings = [[kdb.DPoint(x, y) for x, y in zip(ring[::2], ring[1::2])] for ring in values]
    polygon = kdb.DPolygon(rings[0], True)
    for hole in rings[1:]:
        polygon.insert_hole(hole, True)
    return polygon


class CheckContext(Protocol):
    """The layout as a check sees it. The engine implements it and caches every layer."""

    dbu: float  # µm per database unit
    length_unit: str  # the deck's unit, for messages
    focus: kdb.Box | None  # a tile: checks may skip work whose markers it does not own
    threads: int  # how many threads KLayout's checks may use

    def region(self, expr: LayerExpr) -> kdb.Region:
        """The merged polygons of a layer expression, flat, in database units."""

    def evaluated(self, expr: LayerExpr) -> kdb.Region | None:
        """The region of a layer expression if a check has asked for it already, else
        None: for a check that can use it but would not compute it."""

    def region_near(self, expr: LayerExpr, near: kdb.Region, distance: int) -> kdb.Region:
        """The merged polygons of a layer expression that come within ``distance`` (dbu)
        of ``near``, exact there; it may hold more."""

    def bumps(self, expr: LayerExpr) -> np.ndarray:
        """Centres of the shapes of a layer as an (N, 2) float array in µm, sorted by x then y."""

    def bump_outlines(self, expr: LayerExpr) -> list:
        """Distinct bump outlines (:class:`adk.layout.bumps.Outline`) with their placements."""

    def texts(self, expr: LayerExpr) -> tuple[np.ndarray, list[str]]:
        """The texts of a drawn layer: positions (N, 2) in µm sorted by x then y, and their
        strings in the same order; none for a derived layer (an operation drops texts)."""

    def to_dbu(self, microns: float) -> int:
        """A distance in µm as a whole number of database units."""


def violation_text(
    prop: str, measured: float, constraint: Constraint, unit: str, suffix: str = ""
) -> str:
    """``space 1.62 um < 2 um``: the measured value against the limit it breaks."""
    dim = constraint.limit.dim
    value = Quantity(measured, dim).format(unit)
    limit = constraint.limit.format(unit)
    return f"{prop} {value} {_NEGATED[constraint.op]} {limit}{suffix}"


def layer_param(check: Check, name: str) -> LayerExpr | None:
    """The layer a check gives for parameter ``name``, or None when it gives none."""
    value = check.param(name)
    if value is None or isinstance(value, LayerExpr):
        return value
    raise TypeError(f"{check.kind}: '{name}' is not a layer: {value!r}")


def length_param(check: Check, name: str) -> float | None:
    """The length (µm) a check gives for parameter ``name``, or None when it gives none."""
    value = check.param(name)
    if value is None:
        return None
    if isinstance(value, Quantity):
        return value.value
    raise TypeError(f"{check.kind}: '{name}' is not a length: {value!r}")


def required_layer(check: Check, name: str) -> LayerExpr:
    """The layer of a parameter the kind's signature requires, so every check has it."""
    value = layer_param(check, name)
    if value is None:
        raise ValueError(f"{check.kind} needs '{name} LAYER'")
    return value


def required_length(check: Check, name: str) -> float:
    """The length (µm) of a parameter the kind's signature requires."""
    value = length_param(check, name)
    if value is None:
        raise ValueError(f"{check.kind} needs '{name} LENGTH'")
    return value


def failing(
    constraints: tuple[Constraint, ...], measured: float, tolerance: float = 0.0
) -> Constraint | None:
    """The first constraint ``measured`` breaks, or None."""
    return next((c for c in constraints if not c.holds(measured, tolerance)), None)


__all__ = [
    "Check",
    "CheckContext",
    "Filing",
    "Geometry",
    "Marker",
    "failing",
    "layer_param",
    "length_param",
    "required_layer",
    "required_length",
    "shape_from_key",
    "shape_key",
    "violation_text",
]
