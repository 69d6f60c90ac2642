"""Random and mutated layer maps: the loader returns entries or raises DeckError with
``file:line:col`` diagnostics, and never anything else."""

from __future__ import annotations

from hypothesis import given, settings

from adk.api import load_deck_text
from adk.errors import DeckError
from adk.layout.layermap import apply_layer_map, parse_layer_map
from tests import fuzzing
from tests.fuzzing import HOSTILE_YAML

PATH = "fuzz.yaml"
VALID = """# ACME package layouts
layers:
  RDL1: 110/0
  VIA1: [111, 0]
  UBUMP: 130 / 2
"""
TOKENS = ["layers:", "RDL1", "VIA1", "UBUMP", "X", ":", "/", "10/0", "70000/0", *HOSTILE_YAML]
ALPHABET = "abRDLV1_0123456789 \n\t:-[]{},/&*!?|>\"'#%@`~.\\"


mutated_map = fuzzing.mutated(VALID, TOKENS, ALPHABET)
yaml_like = fuzzing.text_like(TOKENS, ALPHABET)


def loads_or_reports(text: str) -> None:
    try:
        parse_layer_map(text, PATH)
    except DeckError as exc:
        assert exc.diagnostics, "a DeckError without diagnostics"
        for diagnostic in exc.diagnostics:
            assert diagnostic.file == PATH
            assert diagnostic.line >= 1 and diagnostic.column >= 1
            assert str(exc).startswith(f"{PATH}:")
        exc.render()


def test_the_map_to_mutate_is_valid():
    entries = parse_layer_map(VALID, PATH)
    assert {name: entry[:2] for name, entry in entries.items()} == {
        "RDL1": (110, 0),
        "VIA1": (111, 0),
        "UBUMP": (130, 2),
    }


@settings(max_examples=300, deadline=None)
@given(yaml_like)
def test_random_yaml_raises_only_deck_errors(text: str):
    loads_or_reports(text)


@settings(max_examples=300, deadline=None)
@given(mutated_map)
def test_mutated_maps_raise_only_deck_errors(text: str):
    loads_or_reports(text)


DECK = load_deck_text("layer RDL1 = 10/0\nlayer VIA1 = 11/0\nlayer UBUMP = 30/0\n", "fuzz.adk")


@settings(max_examples=60, deadline=None)
@given(mutated_map)
def test_applying_mutated_maps_raises_only_deck_errors(tmp_path_factory, text: str):
    path = tmp_path_factory.mktemp("map") / PATH
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        apply_layer_map(DECK, str(path))
    except DeckError as exc:
        assert {d.file for d in exc.diagnostics} == {str(path)}
        exc.render()
