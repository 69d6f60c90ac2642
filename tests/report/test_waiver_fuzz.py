"""Random and mutated waiver files: the loader returns waivers or raises a
WaiverFileError with ``file:line:col`` diagnostics, and never anything else; no YAML tag
runs code (docs/robustness.md)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from adk.report.waivers import WaiverFileError, parse_waivers

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
    "UB.P", "- ", ": ", "[", "]", "{", "}", ",", "1e999", "-1", "nan", ".inf", "9" * 40,
    "2030-02-30", "2030-06-30", "&a ", "*a", "&b [*a, *a, *a]", "<<: *a",
    "!!python/object/apply:os.system ['touch /tmp/adk-fuzz-pwned']", "!!binary aGk=",
    "!!timestamp x", "? ", "|", ">", '"', "'", "#", "---", "...", "%YAML 1.1", "\t", "\n",
    "\n  ", " ", "\x00", "\x85", "\ufeff", "~", "null", "true",
]  # fmt: skip
ALPHABET = "abUBPrule_0123456789 \n\t:-[]{},./&*!?|>\"'#%@`~\\"


@st.composite
def mutated_file(draw: st.DrawFn) -> str:
    """The valid file with a few characters or tokens inserted, deleted or replaced."""
    text = VALID
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert char", "insert token", "delete", "replace"]))
        if kind == "insert char":
            text = text[:at] + draw(st.sampled_from(ALPHABET)) + text[at:]
        elif kind == "insert token":
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)) :]
        else:
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at + draw(st.integers(1, 6)) :]
    return text


yaml_like = st.one_of(
    st.text(max_size=120),
    st.text(alphabet=ALPHABET, max_size=200),
    st.lists(st.sampled_from(TOKENS), max_size=30).map("".join),
)


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
@given(mutated_file())
def test_mutated_waiver_files_raise_only_waiver_file_errors(text: str):
    loads_or_reports(text)
