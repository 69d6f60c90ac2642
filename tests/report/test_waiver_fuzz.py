"""Random and mutated waiver files: the loader returns waivers or raises a
WaiverFileError with ``file:line:col`` diagnostics, and never anything else; no YAML tag
runs code (docs/robustness.md)."""

from __future__ import annotations

from hypothesis import given, settings

from adk.report.waivers import WaiverFileError, parse_waivers
from tests import fuzzing
from tests.fuzzing import HOSTILE_YAML

PATH = "waivers.yaml"
VALID = """# waived by the package team
tolerance: 0.1
waivers:
- rule: UB.P
  box: [4200.0, 1300.0, 4230.0, 1300.0]
  reason: daisy-chain test bumps
  owner: jane.doe
  expires: 2030-06-30
  text: pitch 30 um < 40 um
- rule: RDL1.DEN
  box: [7500, 500, 8500, 1500]
  reason: fill follows
  owner: rdl-team
  tolerance: 0.5
"""
TOKENS = [
    "waivers:", "rule:", "box:", "reason:", "owner:", "expires:", "tolerance:", "text:",
    "UB.P", "nan", ".inf", "2030-02-30", "2030-06-30", "!!timestamp x", "true",
    "!!python/object/apply:os.system ['touch /tmp/adk-fuzz-pwned']", *HOSTILE_YAML,
]  # fmt: skip
ALPHABET = "abUBPrule_0123456789 \n\t:-[]{},./&*!?|>\"'#%@`~\\"


mutated_file = fuzzing.mutated(VALID, TOKENS, ALPHABET)
yaml_like = fuzzing.text_like(TOKENS, ALPHABET)


def loads_or_reports(text: str) -> None:
    try:
        waivers = parse_waivers(PATH, text)
    except WaiverFileError as exc:
        assert exc.diagnostics, "a WaiverFileError without diagnostics"
        for diagnostic in exc.diagnostics:
            assert diagnostic.file == PATH
            assert diagnostic.line >= 1 and diagnostic.column >= 1
        assert str(exc).startswith(f"{PATH}:")
        exc.render()
        return
    for waiver in waivers:  # what loads is whole: a rule, a box, a reason and an owner
        assert waiver.rule and waiver.reason and waiver.owner
        left, bottom, right, top = waiver.box
        assert left <= right and bottom <= top


def test_the_file_to_mutate_is_valid():
    waivers = parse_waivers(PATH, VALID)
    assert [(w.rule, w.owner, w.tolerance) for w in waivers] == [
        ("UB.P", "jane.doe", 0.1),
        ("RDL1.DEN", "rdl-team", 0.5),
    ]


@settings(max_examples=300, deadline=None)
@given(yaml_like)
def test_random_yaml_raises_only_waiver_file_errors(text: str):
    loads_or_reports(text)


@settings(max_examples=400, deadline=None)
@given(mutated_file)
def test_mutated_waiver_files_raise_only_waiver_file_errors(text: str):
    loads_or_reports(text)
