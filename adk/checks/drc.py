"""Writing KLayout DRC expressions: the Ruby text a kind's ``lydrc`` returns.

A kind translates a check into one Ruby expression giving its markers: a list whose
elements each give a list of markers, as adk reports them (shape, measured value, text).
It calls the helpers the script's prelude defines (:mod:`adk.export.lydrc`):
``adk_pairs`` makes markers of the edge pairs whose distance, rounded as adk rounds it,
breaks a limit; ``adk_threshold`` is the distance below which KLayout must report a pair;
``adk_pieces`` and ``adk_named`` make markers of shapes with a fixed text, or one naming
the layers each shape lies on; ``adk_area``, ``adk_density``, ``adk_too_wide`` (a maximum
width), ``adk_size`` and ``adk_off_grid`` measure as the area, density, width, size and
ongrid kinds do, ``adk_joined_windows`` joins density windows as the density kind does.
The texts are adk's: the prelude formats values in the deck's unit. Edge pairs of a rule
that joins its markers are joined by the script around the expression, as
:func:`adk.checks.finished` joins them.
"""

from __future__ import annotations

from adk.lang.model import BoolOp, Check, LayerExpr, LayerRef, Select, Sizing, layer_label
from adk.lang.units import LENGTH_UNITS

_BOOLEAN = {"and": "&", "or": "|", "not": "-", "xor": "^"}


def drc_variable(name: str) -> str:
    """The Ruby variable holding a layer: a local variable whatever the name's case."""
    return f"l_{name}"


def drc_layer(expr: LayerExpr) -> str:
    """A layer expression as DRC layer operations."""
    if isinstance(expr, LayerRef):
        return drc_variable(expr.name)
    if isinstance(expr, Sizing):
        sign = "" if expr.op == "grow" else "-"
        return f"({drc_layer(expr.layer)}).sized({sign}{expr.distance!r})"
    if isinstance(expr, BoolOp):
        return f"({drc_layer(expr.left)} {_BOOLEAN[expr.op]} {drc_layer(expr.right)})"
    if isinstance(expr, Select):
        return f"({drc_layer(expr.left)}).{expr.op}({drc_layer(expr.right)})"
    raise TypeError(f"not a layer expression: {expr!r}")


def ruby_string(text: str) -> str:
    """``text`` as a Ruby string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("#", "\\#") + '"'


def drc_text(*parts: str | LayerExpr) -> str:
    """A marker text, as a Ruby string: ``parts`` joined, each layer spelled as adk's texts
    spell it. A layer sized by a distance is spelled in the deck's unit, which a kind's
    translation does not know: the text is then chosen by the script's ``@adk_unit``."""
    spelled = {
        unit: "".join(part if isinstance(part, str) else layer_label(part, unit) for part in parts)
        for unit in LENGTH_UNITS
    }
    if len(set(spelled.values())) == 1:
        return ruby_string(spelled[LENGTH_UNITS[0]])
    choices = ", ".join(f"{ruby_string(unit)} => {ruby_string(t)}" for unit, t in spelled.items())
    return f"{{{choices}}}[@adk_unit]"


def drc_limits(check: Check, prop: str, ops: tuple[str, ...] | None = None) -> str:
    """A check's limits on ``prop`` (with ``ops``: those of these operators) as
    ``[[op, value in base units], ...]``."""
    constraints = [c for c in check.constraint(prop) if ops is None or c.op in ops]
    return "[" + ", ".join(f'["{c.op}", {c.limit.value!r}]' for c in constraints) + "]"


def drc_check(layer: str, method: str, limits: str, *others: str) -> str:
    """KLayout's edge-pair check ``layer.method(others...)``, reporting the pairs closer
    than the strictest of ``limits`` (a :func:`drc_limits` list)."""
    args = ", ".join([*others, f"adk_threshold({limits})"])
    return f"{layer}.{method}({args})"


def drc_pairs(prop: str, limits: str, layer: str, method: str, *others: str) -> str:
    """The markers of the edge pairs of KLayout's check ``layer.method(others...)`` whose
    distance breaks ``limits`` (a :func:`drc_limits` list of the limits on ``prop``), with
    texts such as ``width 1.5 um < 2 um``. A check of one layer (no ``others``) gives
    symmetric pairs."""
    symmetric = "false" if others else "true"
    check = drc_check(layer, method, limits, *others)
    return f'adk_pairs({check}, "{prop}", {limits}, {symmetric})'


def drc_pieces(layer: str, text: str) -> str:
    """A marker for each polygon of the DRC layer ``layer``, at 0, with the text ``text``
    (a :func:`drc_text`)."""
    return f"adk_pieces({layer}, {text})"


def drc_named(layer: str, layers: tuple[LayerExpr, ...], before: str, after: str) -> str:
    """A marker for each polygon or edge of the DRC layer ``layer``, at 0, with the text
    ``before``, the names of those of ``layers`` it lies on, ``after`` (:func:`drc_text`
    strings): ``keepout: RDL1 inside KOZ``."""
    return f"adk_named({layer}, {_named_layers(layers)}, {before}, {after})"


def drc_named_pairs(
    prop: str, limits: str, pairs: str, layers: tuple[LayerExpr, ...], after: str
) -> str:
    """As :func:`drc_pairs` for the edge pairs ``pairs`` (a :func:`drc_check`), each text
    ending in the names of those of ``layers`` its first edge lies on and ``after``:
    ``distance 12 um < 20 um (RDL1 to KOZ)``."""
    named = _named_layers(layers)
    return f'adk_named_pairs({pairs}, "{prop}", {limits}, {named}, {after})'


def _named_layers(exprs: tuple[LayerExpr, ...]) -> str:
    """Layers as ``[[name, DRC layer], ...]``, to name the layers a shape lies on."""
    return "[" + ", ".join(f"[{drc_text(expr)}, {drc_layer(expr)}]" for expr in exprs) + "]"


def drc_markers(*items: str) -> str:
    """The Ruby list of a rule's markers."""
    return "[" + ", ".join(items) + "]"


__all__ = [
    "drc_check",
    "drc_layer",
    "drc_limits",
    "drc_markers",
    "drc_named",
    "drc_named_pairs",
    "drc_pairs",
    "drc_pieces",
    "drc_text",
    "drc_variable",
    "ruby_string",
]
