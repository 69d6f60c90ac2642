"""``PART.LAYER``: a part's layer in an assembly's deck, bound by the assembly
(adk/lang/parts.py); errors with file:line:col like every other name."""

from __future__ import annotations

import pytest

from adk import checks
from adk.errors import DeckError
from adk.lang.builder import load_text
from adk.lang.formatter import format_text
from adk.lang.model import BoolOp, DrawnLayer, LayerRef, Span

SPAN = Span("assembly.yaml", 7, 7, 7, 12)
PARTS = {
    "HBM1": {
        "bump": DrawnLayer("HBM1.bump", 3, 0, "bump of part HBM1", SPAN),
        "outline": DrawnLayer("HBM1.outline", 2, 0, "outline of part HBM1", SPAN),
    },
    "IP": {"pad": DrawnLayer("IP.pad", 1, 0, "pad of part IP", SPAN)},
}
ALIGN = "rule A : align(HBM1.bump, both IP.pad, within HBM1.outline) <= 1 um\n"


def errors(text: str, parts=PARTS) -> list[str]:
    with pytest.raises(DeckError) as caught:
        load_text(text, checks.specs(), "deck.adk", parts=parts)
    return [d.render() for d in caught.value.diagnostics]


def test_a_part_layer_is_a_drawn_layer_of_the_deck():
    deck = load_text("layer D = HBM1.outline or IP.pad\n" + ALIGN, checks.specs(), parts=PARTS)
    assert deck.layers["HBM1.bump"] == PARTS["HBM1"]["bump"]
    assert deck.layers["D"].expr == BoolOp("or", LayerRef("HBM1.outline"), LayerRef("IP.pad"))
    rule = deck.rules[0]
    assert rule.check.layers == (LayerRef("HBM1.bump"),)
    assert dict(rule.check.params)["within"] == LayerRef("HBM1.outline")


def test_an_unknown_part_is_an_error_at_the_name_with_a_suggestion():
    assert errors("rule A : width(HBM2.bump) >= 1 um\n") == [
        "deck.adk:1:16: error: unknown part 'HBM2': the assembly has no such part "
        "(did you mean 'HBM1'?)"
    ]
    assert "(its parts: HBM1, IP)" in errors("rule A : width(SUB.pad) >= 1 um\n")[0]


def test_an_unknown_layer_of_a_part_is_an_error_naming_its_layers():
    assert errors("rule A : width(HBM1.bmp) >= 1 um\n") == [
        "deck.adk:1:16: error: part 'HBM1' has no layer 'bmp' (did you mean 'bump'?)"
    ]
    assert "(its layers: pad)" in errors("rule A : width(IP.c4) >= 1 um\n")[0]


def test_a_deck_outside_an_assembly_has_no_parts():
    (message,) = errors(ALIGN, parts=None)
    assert message.startswith(
        "deck.adk:1:16: error: 'HBM1.bump' is a layer of the part 'HBM1' (PART.LAYER): "
        "only an assembly has parts"
    )


def test_a_part_layer_cannot_be_declared_or_nested():
    assert "unexpected character '.'" in errors("layer HBM1.x = 1/0\n")[0]
    assert "unexpected character '.'" in errors("rule A : width(HBM1.bump.x) >= 1 um\n")[0]


def test_every_fault_is_reported():
    found = errors("rule A : width(HBM2.bump) >= 1 um\nrule B : width(IP.c4) >= 1 um\n")
    assert [line.split(":")[1] for line in found] == ["1", "2"]


def test_the_formatter_keeps_part_layers():
    text = "layer D=HBM1.outline  or IP.pad\nrule A:width( HBM1.bump )>=1 um\n"
    assert (
        format_text(text) == "layer D = HBM1.outline or IP.pad\nrule A : width(HBM1.bump) >= 1 um\n"
    )
