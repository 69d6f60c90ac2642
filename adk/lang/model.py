"""The typed, validated deck: what the rule language means, free of syntax.

The language module builds these objects; the planner and the checks read them.
Every value is in base units (see :mod:`adk.lang.units`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adk.lang.units import Dim, Quantity


@dataclass(frozen=True)
class Span:
    """Where something is written: 1-based line and column."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


# ---------------------------------------------------------------- layer expressions
@dataclass(frozen=True)
class LayerRef:
    """A named layer, drawn or derived."""

    name: str


@dataclass(frozen=True)
class BoolOp:
    """``left and|or|not|xor right``."""

    op: str
    left: LayerExpr
    right: LayerExpr


@dataclass(frozen=True)
class Sizing:
    """``grow(layer, d)`` or ``shrink(layer, d)``; ``distance`` in µm."""

    op: str
    layer: LayerExpr
    distance: float


@dataclass(frozen=True)
class Select:
    """``left inside|outside|interacting right`` and their negations (``not_inside``...):
    whole shapes of left."""

    op: str
    left: LayerExpr
    right: LayerExpr


LayerExpr = LayerRef | BoolOp | Sizing | Select


def is_drawn(expr: LayerExpr, layers: dict[str, Layer]) -> bool:
    """Whether ``expr`` names a drawn layer (not a derived one, nor an expression)."""
    return isinstance(expr, LayerRef) and isinstance(layers[expr.name], DrawnLayer)


def layer_names(expr: LayerExpr) -> list[str]:
    """Every layer name an expression reads, in order of appearance."""
    if isinstance(expr, LayerRef):
        return [expr.name]
    if isinstance(expr, Sizing):
        return layer_names(expr.layer)
    return layer_names(expr.left) + layer_names(expr.right)


SELECT_OPS = ("inside", "outside", "interacting", "not_inside", "not_outside", "not_interacting")
_PRECEDENCE = {"or": 1, "xor": 1, "and": 2, "not": 2, **dict.fromkeys(SELECT_OPS, 3)}


def layer_text(expr: LayerExpr, unit: str = "um", parent: int = 0) -> str:
    """An expression in the language's syntax, with the parentheses it needs."""
    if isinstance(expr, LayerRef):
        return expr.name
    if isinstance(expr, Sizing):
        distance = Quantity(expr.distance, Dim.LENGTH).format(unit)
        return f"{expr.op}({layer_text(expr.layer, unit)}, {distance})"
    level = _PRECEDENCE[expr.op]
    left = layer_text(expr.left, unit, level - 1)
    text = f"{left} {expr.op} {layer_text(expr.right, unit, level)}"
    return f"({text})" if level <= parent else text


def layer_label(expr: LayerExpr, unit: str = "um") -> str:
    """A layer expression for a message: an operation in parentheses, so it reads as one name."""
    return layer_text(expr, unit, parent=max(_PRECEDENCE.values()))


# ---------------------------------------------------------------- declarations
@dataclass(frozen=True)
class DrawnLayer:
    """A layer drawn in the layout at ``layer/datatype``; ``optional``: the layout may lack
    it (fill, pins), so its absence is information and not a reason to fail a run."""

    name: str
    layer: int
    datatype: int
    description: str
    span: Span = field(compare=False)
    optional: bool = False


@dataclass(frozen=True)
class DerivedLayer:
    """A layer computed from others."""

    name: str
    expr: LayerExpr
    description: str
    span: Span = field(compare=False)


Layer = DrawnLayer | DerivedLayer


@dataclass(frozen=True)
class Constraint:
    """``property op limit``: what a measured value must satisfy."""

    prop: str
    op: str
    limit: Quantity
    span: Span = field(compare=False)

    def holds(self, measured: float, tolerance: float = 0.0) -> bool:
        """Whether ``measured`` satisfies the constraint; a value at a bound passes."""
        limit = self.limit.value
        if self.op == ">=":
            return measured >= limit - tolerance
        if self.op == ">":
            return measured > limit - tolerance
        if self.op == "<=":
            return measured <= limit + tolerance
        if self.op == "<":
            return measured < limit + tolerance
        if self.op == "==":
            return abs(measured - limit) <= tolerance
        raise ValueError(f"unknown operator {self.op!r}")


ParamValue = Quantity | LayerExpr | str


@dataclass(frozen=True)
class Check:
    """One check: its kind, the layers it reads, its parameters and constraints."""

    kind: str
    layers: tuple[LayerExpr, ...]
    params: tuple[tuple[str, ParamValue], ...]
    constraints: tuple[Constraint, ...]
    span: Span = field(compare=False)

    def param(self, name: str, default: ParamValue | None = None) -> ParamValue | None:
        for key, value in self.params:
            if key == name:
                return value
        return default

    def constraint(self, prop: str) -> tuple[Constraint, ...]:
        return tuple(c for c in self.constraints if c.prop == prop)


SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Rule:
    """A rule: id, description, severity and one check. ``category``: the category its
    markers are reported under, shared with other rules (a deck translated from one that
    sends several checks to one category); "" for its own id."""

    id: str
    description: str
    severity: str
    check: Check
    span: Span = field(compare=False)
    category: str = ""

    @property
    def reported_under(self) -> str:
        """The category of the reports its markers go to: its category, else its id."""
        return self.category or self.id


@dataclass
class Deck:
    """A whole deck with its includes expanded."""

    name: str
    title: str
    version: str
    units: str
    layers: dict[str, Layer]
    variables: dict[str, Quantity]
    rules: list[Rule]
    path: str
    files: list[str]
    # the deck roots it was read with (resolved), beyond its own folder and the shipped
    # decks': whoever reads it again, a worker process, needs them for the same includes
    roots: tuple[str, ...] = ()

    def drawn_layers(self) -> list[DrawnLayer]:
        return [layer for layer in self.layers.values() if isinstance(layer, DrawnLayer)]

    def categories(self) -> dict[str, list[Rule]]:
        """The rules by the category they are reported under, in the order of each
        category's first rule."""
        found: dict[str, list[Rule]] = {}
        for rule in self.rules:
            found.setdefault(rule.reported_under, []).append(rule)
        return found

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


__all__ = [
    "SELECT_OPS",
    "SEVERITIES",
    "BoolOp",
    "Check",
    "Constraint",
    "Deck",
    "DerivedLayer",
    "Dim",
    "DrawnLayer",
    "Layer",
    "LayerExpr",
    "LayerRef",
    "ParamValue",
    "Quantity",
    "Rule",
    "Select",
    "Sizing",
    "Span",
    "layer_label",
    "layer_names",
    "layer_text",
]
