"""Rules one after another, local ones on tiles in this process, for progress within a rule
(adk.run.stepwise): the markers of a run in one piece, exactly, and steps that say which
rule runs and how many of its tiles are done; and the question a deck of other layers gets
before it runs (adk.run.engine.fit_before_run)."""

from __future__ import annotations

import klayout.db as kdb
import pytest
from hypothesis import HealthCheck, given, settings

from adk.api import load_deck, load_deck_text
from adk.examples.writer import write_example
from adk.layout.reader import LoadedLayout, read_layout
from adk.run import fit
from adk.run.engine import fit_before_run, run_deck
from adk.run.plan import plan
from adk.run.stepwise import Step
from tests.test_parallel import RANDOM_DECK, layouts, markers_of

PILLARS = ("focos_bridge", "ic25d", "cpo", "fopop")


@pytest.mark.parametrize("pillar", PILLARS)
def test_rule_by_rule_on_tiles_gives_the_markers_of_a_run_in_one_piece(pillar, tmp_path):
    path = str(tmp_path / f"{pillar}.gds")
    write_example(pillar, path, dirty=True)
    deck = load_deck(pillar)
    loaded = read_layout(path)
    steps: list[Step] = []
    stepwise = run_deck(deck, deck.layers, loaded, tile_progress=steps.append)
    whole = run_deck(deck, deck.layers, loaded)
    assert markers_of(stepwise) == markers_of(whole) and markers_of(whole)
    _check_steps(steps, [o.rule.id for o in whole.outcomes if o.checked])
    tiled = {item.rule.id for item in plan(deck, deck.layers) if item.tiled}
    assert {step.rule_id for step in steps if step.tiles > 1} <= tiled
    assert any(step.tiles > 1 for step in steps)


def _check_steps(steps: list[Step], rules: list[str]) -> None:
    """Each rule once, in deck order: a step at its start, one after each tile, in order."""
    assert list(dict.fromkeys(step.rule_id for step in steps)) == rules
    for index, rule in enumerate(rules):
        own = [step for step in steps if step.rule_id == rule]
        assert {(step.rule, step.rules) for step in own} == {(index, len(rules))}
        assert [step.tiles_done for step in own] == list(range(own[0].tiles + 1))
        assert own[0].fraction == 0.0 and own[-1].fraction == 1.0


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(layout=layouts())
def test_random_layouts_give_the_same_markers_rule_by_rule(layout):
    deck = load_deck_text(RANDOM_DECK, "random.adk")
    loaded = LoadedLayout("random", layout, layout.top_cell())
    steps: list[Step] = []
    stepwise = run_deck(deck, deck.layers, loaded, tile_progress=steps.append)
    assert markers_of(stepwise) == markers_of(run_deck(deck, deck.layers, loaded))


def test_a_deck_of_other_layers_is_told_before_it_runs():
    layout = kdb.Layout()
    top = layout.create_cell("TOP")
    top.shapes(layout.layer(10, 0)).insert(kdb.Box(0, 0, 10000, 1000))
    loaded = LoadedLayout("one layer", layout, top)
    deck = load_deck_text(
        """deck other "Another package" version "1"
units um
layer M1 = 101/0
layer M2 = 102/0
layer PIN = 103/0 optional
layer RDL1 = 10/0
rule M1.W : width(M1) >= 1 um
rule M2.W : width(M2) >= 1 um
rule PIN.W : width(PIN) >= 1 um
rule RDL1.W : width(RDL1) >= 2 um
rule RDL.M1 : separation(RDL1, M1) >= 2 um
""",
        "other.adk",
    )
    # M1 and M2 absent, the optional PIN aside: 2 of 3; two of five rules not checked
    assert fit_before_run(deck, deck.layers, loaded) == [
        "2 of the 3 layers its rules read are absent: M1, M2"
    ]
    fits = load_deck_text(
        'deck fits "RDL only" version "1"\nunits um\nlayer RDL1 = 10/0\n'
        "rule RDL1.W : width(RDL1) >= 2 um\n",
        "fits.adk",
    )
    assert fit_before_run(fits, fits.layers, loaded) == []
    assert fit.mostly_absent(["A", "B"], ["A"]) == []  # half is not most
    many = [f"L{n}" for n in range(10)]
    assert fit.mostly_absent(many, many) == [
        "10 of the 10 layers its rules read are absent: L0, L1, L2, L3, L4, L5, L6, L7, ..."
    ]
