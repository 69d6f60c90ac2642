"""none: a layer must have no shapes at all.

    rule V1.IN "via 1 wholly inside metal 1" : none(VIA1 not_inside M1)
    rule FORBID "no drawing on the reserved layer" : none(RESERVED)
    rule SEAL.IN "nothing outside the outline less 1 um" : none(M1 not_inside shrink(OUTLINE, 1 um))

The layer is usually an expression that selects the shapes breaking a rule:
``not_inside``, ``outside``, ``interacting`` and the other selections of whole
shapes, booleans and sizing (docs/language.md). It is evaluated as everywhere
else, merged: every merged shape of it, of any size, is a violation, so a
check needs no area or width to find a shape.
Marker: each merged shape of the layer, at 0, named after the layer as the deck
writes it: ``shape of (VIA1 not_inside M1)``, ``shape of RESERVED``."""

from __future__ import annotations

from adk.checks.base import CheckContext, Marker
from adk.checks.drc import drc_markers, drc_pieces, drc_text
from adk.checks.polygon import ordered, piece_markers
from adk.lang.model import Check, layer_label
from adk.lang.signature import CheckSpec

SPEC = CheckSpec(
    "none",
    "no shape on a layer",
    ("layer",),
    (),
    constraint_required=False,
)


def ambit(check: Check) -> float:
    return 0.0  # a shape is a violation on its own


def run(check: Check, ctx: CheckContext) -> list[Marker]:
    expr = check.layers[0]
    text = f"shape of {layer_label(expr, ctx.length_unit)}"
    return ordered(piece_markers(ctx.region(expr), text, ctx.dbu))


def lydrc(check: Check, layers: list[str]) -> str:
    return drc_markers(drc_pieces(f"({layers[0]}).merged", drc_text("shape of ", check.layers[0])))
