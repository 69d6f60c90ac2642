"""Writing KLayout DRC expressions: the Ruby text a kind's ``lydrc`` returns.

A kind translates a check into one Ruby expression giving its markers: a list of DRC
layers and RBA containers. It calls the helpers the script's prelude defines
(:mod:`adk.export.lydrc`): ``adk_short`` keeps the edge pairs whose distance, rounded as
adk rounds it, breaks a limit; ``adk_threshold`` is the distance below which KLayout must
report a pair; ``adk_area`` and ``adk_density`` measure as the area and density kinds do.
"""

from __future__ import annotations

from adk.lang.model import BoolOp, Check, LayerExpr, LayerRef, Select, Sizing

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


def drc_limits(check: Check, prop: str) -> str:
    """A check's limits on ``prop`` as ``[[op, value in base units], ...]``."""
    return "[" + ", ".join(f'["{c.op}", {c.limit.value!r}]' for c in check.constraint(prop)) + "]"


def drc_pairs(layer: str, method: str, limits: str, *others: str) -> str:
    """The edge pairs of KLayout's check ``layer.method(others...)`` that break ``limits``
    (a :func:`drc_limits` list)."""
    args = ", ".join([*others, f"adk_threshold({limits})"])
    return f"adk_short({layer}.{method}({args}), {limits})"


def drc_markers(*items: str) -> str:
    """The Ruby list of a rule's markers."""
    return "[" + ", ".join(items) + "]"


__all__ = ["drc_layer", "drc_limits", "drc_markers", "drc_pairs", "drc_variable"]
