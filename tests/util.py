"""Small builders shared by the tests: layouts in memory, contexts and checks."""

from __future__ import annotations

import klayout.db as kdb

from adk.lang.model import Check, Constraint, DrawnLayer, LayerExpr, LayerRef, Span
from adk.lang.units import Dim, Quantity
from adk.layout.context import LayoutContext
from adk.layout.reader import LoadedLayout

SPAN = Span("<test>", 1, 1, 1, 1)


def new_layout(dbu: float = 0.001) -> tuple[kdb.Layout, kdb.Cell]:
    """An empty layout with a TOP cell."""
    layout = kdb.Layout()
    layout.dbu = dbu
    return layout, layout.create_cell("TOP")


def context(layout: kdb.Layout, top: kdb.Cell, layers: dict[str, tuple[int, int]]) -> LayoutContext:
    """A check context where deck layer ``name`` is drawn at ``layers[name]``."""
    decls = {name: DrawnLayer(name, ld[0], ld[1], "", SPAN) for name, ld in layers.items()}
    return LayoutContext(LoadedLayout("<memory>", layout, top), decls)


def limit(op: str, value: float, dim: Dim = Dim.LENGTH, prop: str | None = None) -> tuple:
    """A constraint spec for :func:`check`: (prop, op, value in base units, dim)."""
    return (prop, op, value, dim)


def check(
    kind: str, *layers: str | LayerExpr, params: dict | None = None, constraints: tuple = ()
) -> Check:
    """A Check built without the parser. Layer names become LayerRef; each constraint is
    ``(prop, op, value, dim)`` with prop None for the kind's default property."""
    from adk.checks import specs

    spec = specs()[kind]
    exprs = tuple(LayerRef(x) if isinstance(x, str) else x for x in layers)
    built = []
    for prop, op, value, dim in constraints:
        name = prop or (spec.default_prop.name if spec.default_prop else "")
        built.append(Constraint(name, op, Quantity(value, dim), SPAN))
    fixed = []
    for name, value in (params or {}).items():
        param = spec.param(name)
        if param is not None and param.kind == "layer" and isinstance(value, str):
            value = LayerRef(value)
        elif isinstance(value, (int, float)):
            value = Quantity(float(value), Dim.LENGTH)
        fixed.append((name, value))
    return Check(kind, exprs, tuple(fixed), tuple(built), SPAN)


def polygon(*points: tuple[float, float]) -> kdb.DPolygon:
    """A polygon in µm from its corner points."""
    return kdb.DPolygon([kdb.DPoint(x, y) for x, y in points])


def box_of(marker) -> tuple[float, ...]:
    """A marker's bounding box in µm (left, bottom, right, top), rounded far below the grid."""
    box = marker.shape.bbox()
    return tuple(round(v, 6) for v in (box.left, box.bottom, box.right, box.top))
