"""The shipped lambdapdk interposer decks: the original deck's checks, one rule each, with the
public values; their self-tests on generated interposers; no rule left unchecked without
saying so."""

from __future__ import annotations

import json

import pytest

from adk.cli import main
from adk.kit.decks import resolve_deck, shipped_decks
from adk.lang.model import Deck, DerivedLayer, DrawnLayer, Rule, layer_text
from benchmarks.lambdapdk import stackups
from benchmarks.lambdapdk.stackups import SHIPPED, stackup
from tests.lambdapdk.interposers import deck_of, renumbered, written

# the adk check of each kind of the original's checks: (kind, the layer as the deck writes
# it, the operator of its constraint); the limit is the original's value
TRANSLATION = {
    "ongrid": ("ongrid", "{layer}", None),
    "outline": ("none", "{layer} not_inside inner", None),
    "min_width": ("width", "{layer}", ">="),
    "min_space": ("space", "{layer}", ">="),
    "max_width": ("width", "{layer}", "<="),
    "via_shape": ("size", "{layer}", "=="),
    "not_inside": ("none", "{layer} not_inside {other}", None),
    "enclosed": ("enclosure", "{layer}, {other}", ">="),
}


def adk_id(rule: stackups.Rule) -> str:
    """The original's second check sent to a category is the rule ``CATEGORY.enclosure``."""
    return f"{rule.category}.enclosure" if rule.kind == "enclosed" else rule.category


def test_the_decks_ship_under_their_names():
    for name in SHIPPED:
        assert resolve_deck(f"lambdapdk_{name}") == str(shipped_decks()[f"lambdapdk_{name}"])


@pytest.mark.parametrize("name", SHIPPED)
def test_every_check_of_the_original_is_a_rule_with_its_value(name):
    stack, deck = stackup(name), deck_of(name)
    originals = stackups.rules(stack)
    assert [rule.id for rule in deck.rules] == [adk_id(rule) for rule in originals]
    for original, rule in zip(originals, deck.rules):
        assert rule.reported_under == original.category
        assert _translation(rule) == _expected(original), rule.id
    assert layer_text(_derived(deck, "inner").expr) == "shrink(outline, 1 um)"


def _translation(rule: Rule) -> tuple:
    check = rule.check
    layers = ", ".join(layer_text(layer) for layer in check.layers)
    if check.kind == "ongrid":
        grid = check.param("grid")
        return check.kind, layers, None, round(grid.value * 1000)  # type: ignore[union-attr]
    if not check.constraints:
        return check.kind, layers, None, 0
    (constraint,) = check.constraints
    return check.kind, layers, constraint.op, round(constraint.limit.value * 1000)


def _expected(rule: stackups.Rule) -> tuple:
    kind, layers, op = TRANSLATION[rule.kind]
    value = rule.value if op is not None or rule.kind == "ongrid" else 0
    return kind, layers.format(layer=rule.layer, other=rule.other), op, value


def _derived(deck: Deck, name: str) -> DerivedLayer:
    layer = deck.layers[name]
    assert isinstance(layer, DerivedLayer)
    return layer


@pytest.mark.parametrize("name", SHIPPED)
def test_each_layer_is_its_drawn_pin_and_fill_datatypes(name):
    deck = deck_of(name)
    for layer in stackup(name).layers():
        union = _derived(deck, layer.name)
        parts = [f"{layer.name}_{part}" for part in ("drawing", "pin", "fill")]
        assert layer_text(union.expr) == " or ".join(parts)
        for part, datatype in zip(parts, stackups.DATATYPES):
            drawn = deck.layers[part]
            assert isinstance(drawn, DrawnLayer)
            assert (drawn.layer, drawn.datatype) == (layer.number, datatype)
            assert drawn.optional == (datatype != stackups.DRAWN)


@pytest.mark.parametrize("name", SHIPPED)
def test_the_decks_are_clean_and_formatted(name):
    path = str(shipped_decks()[f"lambdapdk_{name}"])
    assert main(["lint", path]) == 0
    assert main(["fmt", "--check", path]) == 0


@pytest.mark.parametrize("name", SHIPPED)
def test_the_self_tests_pass(name, tmp_path, capsys):
    _, path = written(name, tmp_path / f"{name}.gds", labels=True)
    status = main(["test-deck", f"lambdapdk_{name}", str(path)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "untested" not in out and "FAIL" not in out


def test_without_pins_and_fill_every_rule_is_checked(tmp_path, capsys):
    """A layout with only the drawn datatypes: the pin and fill layers are absent, a note;
    every rule is checked on the drawn shapes and finds its planted violations."""
    interposer, path = written("3ML_0400", tmp_path / "drawn.gds", labels=True, pins_fill=False)
    datatypes = {info.datatype for info in interposer.layout.layer_infos() if info.layer != 255}
    assert datatypes == {stackups.DRAWN}
    markers = str(tmp_path / "drawn.lyrdb")
    deck = "lambdapdk_3ML_0400"
    status = main(["check", str(path), "--deck", deck, "-o", markers, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 1
    assert all(rule["checked"] and rule["count"] for rule in report["rules"])
    assert report["missing_layers"] == report["optional_missing_layers"]
    assert report["warnings"] == []
    assert main(["test-deck", "lambdapdk_3ML_0400", str(path)]) == 0
    assert "FAIL" not in capsys.readouterr().out


def test_a_layout_of_another_layer_map_fails_with_one_line(tmp_path, capsys):
    """Where every metal and via is on other numbers (the outline alone found), the rules
    that read only those are not checked: exit 4 and one line naming them, not a clean run."""
    _, path = written("3ML_0400", tmp_path / "ip.gds")
    other = tmp_path / "other.gds"
    renumbered(path, other, 200)
    report = str(tmp_path / "other.lyrdb")
    status = main(["check", str(other), "--deck", "lambdapdk_3ML_0400", "-o", report, "-q"])
    err = capsys.readouterr().err
    assert status == 4
    assert err.count("\n") == 1, err
    assert err.startswith(f"adk: 25 rules not checked, their layers absent from {other}: ")
    metal1 = "metal1.ongrid, metal1.min_width, metal1.min_space, metal1.max_width"
    assert f"{metal1} (metal1_drawing)" in err
    assert err.rstrip().endswith("mark the layers optional in the deck or pass --allow-unchecked")
