"""``optional`` drawn layers: parsed, validated, formatted and kept through layer maps."""

from __future__ import annotations

import pytest

from adk.api import load_deck_text as load_text
from adk.errors import DeckError
from adk.lang import syntax
from adk.lang.formatter import format_text
from adk.lang.model import DerivedLayer, DrawnLayer
from adk.lang.parser import parse_text
from adk.layout.layermap import apply_layer_map
from adk.run.tiling import _renumbered


def test_an_optional_drawn_layer_keeps_its_description():
    deck = load_text('layer M1 = 1/0 "drawn"\nlayer M1_FILL = 1/30 optional "fill"\n')
    fill, drawn = deck.layers["M1_FILL"], deck.layers["M1"]
    assert isinstance(fill, DrawnLayer) and isinstance(drawn, DrawnLayer)
    assert (fill.layer, fill.datatype, fill.description, fill.optional) == (1, 30, "fill", True)
    assert (drawn.description, drawn.optional) == ("drawn", False)


def test_the_word_is_kept_with_its_place_in_the_syntax_tree():
    (statement,) = parse_text("layer F = 1/30  optional\n", "t.adk").statements
    assert isinstance(statement, syntax.LayerStmt)
    assert statement.optional == syntax.Lexeme("optional", syntax.Position(1, 17, 1, 25))
    assert statement.description is None


def test_a_layer_may_still_be_named_optional():
    deck = load_text("layer optional = 1/0\nrule R : width(optional) >= 1 um\n")
    layer = deck.layers["optional"]
    assert isinstance(layer, DrawnLayer) and not layer.optional


def test_a_derived_layer_cannot_be_optional():
    text = 'layer A = 1/0\nlayer B = 2/0\nlayer AB = A or B optional "both"\n'
    text += "rule AB.W : width(AB) >= 1 um\n"
    with pytest.raises(DeckError) as caught:
        load_text(text, "deck.adk")
    assert caught.value.render() == (
        "deck.adk:3:19: error: a derived layer cannot be optional: 'AB' reads as empty where "
        "the drawn layers it is made of are absent; mark those optional\n"
        '    layer AB = A or B optional "both"\n'
        "                      ^~~~~~~~\n"
        "1 error"
    )


def test_the_word_comes_before_the_description():
    with pytest.raises(DeckError) as caught:
        load_text('layer F = 1/30 "fill" optional\n', "deck.adk")
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.line, diagnostic.column, diagnostic.message) == (
        1,
        23,
        "unexpected 'optional'; expected a statement (deck, units, include, layer, let, rule)",
    )


def test_the_formatter_writes_it_after_the_source_and_aligns_descriptions():
    text = (
        'layer M1_DRAW=1/0 "drawn"\nlayer M1_FILL = 1/30   optional"fill"\nlayer P=1/10 optional\n'
    )
    formatted = format_text(text)
    assert formatted == (
        'layer M1_DRAW = 1/0           "drawn"\n'
        'layer M1_FILL = 1/30 optional "fill"\n'
        "layer P       = 1/10 optional\n"
    )
    assert format_text(formatted) == formatted
    assert load_text(formatted).layers == load_text(text).layers


def test_a_layer_map_keeps_the_flag(tmp_path):
    deck = load_text("layer FILL = 1/30 optional\nlayer M = 1/0\n")
    layer_map = tmp_path / "map.yaml"
    layer_map.write_text("FILL: 101/30\nM: 101/0\n")
    layers = apply_layer_map(deck, str(layer_map))
    assert layers["FILL"] == DrawnLayer("FILL", 101, 30, "", deck.layers["FILL"].span, True)
    assert layers["M"] == DrawnLayer("M", 101, 0, "", deck.layers["M"].span, False)


def test_tiles_renumber_layers_and_keep_the_flag():
    deck = load_text("layer FILL = 1/30 optional\nlayer ALL = FILL or FILL\n")
    layers = _renumbered(deck.layers, (("FILL", 7, 3),))
    fill = layers["FILL"]
    assert isinstance(fill, DrawnLayer) and (fill.layer, fill.datatype, fill.optional) == (
        7,
        3,
        True,
    )
    assert isinstance(layers["ALL"], DerivedLayer)
