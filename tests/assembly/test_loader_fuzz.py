"""Random and mutated assembly files and bump maps: the loaders return an assembly or a
bump map, or raise DeckError with ``file:line:col`` diagnostics, never anything else; no
YAML tag runs code (docs/robustness.md)."""

from __future__ import annotations

from hypothesis import given, settings

from adk.assembly import parse_assembly
from adk.assembly.bumpmap import parse_bump_map
from adk.errors import DeckError
from tests import fuzzing
from tests.fuzzing import HOSTILE_YAML

PATH = "/work/a.yaml"
ASSEMBLY = """\
assembly: demo
dbu: 0.001
parts:
  IP:
    layout: ip.gds
    layers: {outline: 1/0, pad: 20/0}
  ASIC:
    layout: asic.oas
    on: IP
    at: [1200.5, -300]
    rotation: 270
    mirror: false
    magnification: 0.98
    face: down
    layers:
      bump: [30, 0]
"""
ASSEMBLY_TOKENS = [
    "assembly:", "parts:", "layout:", "on:", "at:", "rotation:", "mirror:", "face:", "up",
    "down", "90", "45", "IP", "ASIC", "package", "magnification:", "0", "layers:",
    "bump_map:", "deck:", "../../etc/passwd", *HOSTILE_YAML,
]  # fmt: skip
ASSEMBLY_ALPHABET = "aIPSC_0123456789 \n\t:-[]{},/.&*!?|>\"'#%@`~\\"
BUMP_MAP = "name,net,x,y\nA1,VDD,0,0\nA2,VSS,40.5,0\nB1,SIG_0,0,-40\n"
BUMP_TOKENS = [",", "\n", "name", "net", "x", "y", "1e999", "nan", "-0", '"', "\x00", "\ufeff"]
BUMP_ALPHABET = "AB12,.-\n xyVDS_\"'\t"


def reports_only_deck_errors(parse, text: str, path: str) -> None:
    try:
        parse(text, path)
    except DeckError as exc:
        assert exc.diagnostics, "a DeckError without diagnostics"
        for diagnostic in exc.diagnostics:
            assert diagnostic.file == path
            assert diagnostic.line >= 1 and diagnostic.column >= 1
        exc.render()


def test_the_files_to_mutate_are_valid():
    assert [part.name for part in parse_assembly(ASSEMBLY, PATH).parts] == ["IP", "ASIC"]
    assert len(parse_bump_map(BUMP_MAP, "b.csv")) == 3


@settings(max_examples=300, deadline=None)
@given(fuzzing.mutated(ASSEMBLY, ASSEMBLY_TOKENS, ASSEMBLY_ALPHABET))
def test_mutated_assemblies_raise_only_deck_errors(text: str):
    reports_only_deck_errors(lambda t, p: parse_assembly(t, p), text, PATH)


@settings(max_examples=200, deadline=None)
@given(fuzzing.text_like(ASSEMBLY_TOKENS, ASSEMBLY_ALPHABET))
def test_random_yaml_assemblies_raise_only_deck_errors(text: str):
    reports_only_deck_errors(lambda t, p: parse_assembly(t, p), text, PATH)


@settings(max_examples=300, deadline=None)
@given(fuzzing.mutated(BUMP_MAP, BUMP_TOKENS, BUMP_ALPHABET))
def test_mutated_bump_maps_raise_only_deck_errors(text: str):
    reports_only_deck_errors(parse_bump_map, text, "b.csv")
