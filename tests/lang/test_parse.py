"""Every construct of the rule language parses to the expected deck objects.

Objects are compared whole; spans are excluded from equality, so any span will do.
Quantities are in base units: µm, µm², per µm², fractions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from adk import checks
from adk.api import load_deck
from adk.api import load_deck_text as load_text
from adk.lang.model import (
    BoolOp,
    Check,
    Constraint,
    Deck,
    DerivedLayer,
    DrawnLayer,
    LayerRef,
    Rule,
    Select,
    Sizing,
    Span,
)
from adk.lang.units import Dim, Quantity

SPAN = Span("<test>", 0, 0, 0, 0)
LAYERS = "\n".join(
    f"layer {name} = {i}/0"
    for i, name in enumerate(
        (
            "A",
            "B",
            "C",
            "RDL1",
            "VIA1",
            "TMV",
            "BRIDGE",
            "DIE",
            "UBM",
            "PASSIV",
            "PAD",
            "UBUMP",
            "FIELD",
            "KOZ",
            "TOP",
            "BOT",
            "EIC",
            "PIC",
            "LASER",
            "ENGINE",
        ),
        start=1,
    )
)


def um(value: float) -> Quantity:
    return Quantity(value, Dim.LENGTH)


def um2(value: float) -> Quantity:
    return Quantity(value, Dim.AREA)


def per_um2(value: float) -> Quantity:
    return Quantity(value, Dim.PER_AREA)


def ratio(value: float) -> Quantity:
    return Quantity(value, Dim.RATIO)


def number(value: float) -> Quantity:
    return Quantity(value, Dim.NUMBER)


def ref(name: str) -> LayerRef:
    return LayerRef(name)


def limit(prop: str, op: str, value: Quantity) -> Constraint:
    return Constraint(prop, op, value, SPAN)


def check(kind: str, layers: tuple, params: tuple = (), constraints: tuple = ()) -> Check:
    return Check(
        kind, tuple(ref(x) if isinstance(x, str) else x for x in layers), params, constraints, SPAN
    )


def rule(rule_id: str, the_check: Check, description: str = "", severity: str = "error") -> Rule:
    return Rule(rule_id, description, severity, the_check, SPAN)


def load(text: str, path: str = "test.adk") -> Deck:
    return load_text(text, path)


def only_rule(text: str) -> Rule:
    deck = load(LAYERS + "\n" + text)
    assert len(deck.rules) == 1
    return deck.rules[0]


def layer_of(text: str, name: str = "X"):
    return load(LAYERS + "\n" + text).layers[name]


def value_of(text: str, name: str = "x") -> Quantity:
    return load(LAYERS + "\n" + text).variables[name]


# ---------------------------------------------------------------- header and units
def test_deck_header_with_title_and_version():
    deck = load('deck demo "Demo deck" version "1.2"')
    assert (deck.name, deck.title, deck.version) == ("demo", "Demo deck", "1.2")


def test_deck_header_with_version_only():
    deck = load('deck demo version "2.0"')
    assert (deck.name, deck.title, deck.version) == ("demo", "", "2.0")


def test_deck_header_name_only():
    deck = load("deck demo")
    assert (deck.name, deck.title, deck.version) == ("demo", "", "")


def test_without_header_the_deck_is_named_after_its_file():
    deck = load("layer A = 1/0", "decks/bridge_rules.adk")
    assert (deck.name, deck.title, deck.version) == ("bridge_rules", "", "")


def test_string_escapes_in_descriptions():
    deck = load(r'deck d "say \"hi\" \\ bye"')
    assert deck.title == 'say "hi" \\ bye'


@pytest.mark.parametrize("unit, width", [("nm", 0.02), ("um", 20.0), ("µm", 20.0), ("mm", 20000.0)])
def test_plain_numbers_take_the_file_unit(unit: str, width: float):
    deck = load(f"units {unit}\n{LAYERS}\nrule R : width(A) >= 20")
    assert deck.units == {"µm": "um"}.get(unit, unit)
    assert deck.rules[0].check.constraints == (limit("width", ">=", um(width)),)


def test_default_unit_is_um():
    assert load("layer A = 1/0").units == "um"


@pytest.mark.parametrize(
    "unit, area, density", [("um", 3.0, 3.0), ("mm", 3e6, 3e-6), ("nm", 3e-6, 3e6)]
)
def test_plain_numbers_take_the_file_unit_for_areas_and_densities(unit, area, density):
    deck = load(
        f"units {unit}\n{LAYERS}\nrule R : area(A) >= 3\nrule S : bump_density(A, within B) >= 3"
    )
    assert deck.rules[0].check.constraints == (limit("area", ">=", um2(area)),)
    assert deck.rules[1].check.constraints == (limit("density", ">=", per_um2(density)),)


def test_written_units_override_the_file_unit():
    deck = load(f"units nm\n{LAYERS}\nrule R : width(A) >= 2 um")
    assert deck.rules[0].check.constraints == (limit("width", ">=", um(2.0)),)


def test_units_apply_to_the_whole_file_they_are_in():
    deck = load(f"{LAYERS}\nrule R : width(A) >= 20\nunits nm")
    assert deck.rules[0].check.constraints == (limit("width", ">=", um(0.02)),)


# ---------------------------------------------------------------- includes
def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_include_is_relative_to_the_including_file(tmp_path: Path):
    write(tmp_path / "lib" / "layers.adk", 'include "more/vias.adk"\nlayer RDL1 = 10/0 "metal"')
    write(tmp_path / "lib" / "more" / "vias.adk", "layer VIA1 = 12/0")
    top = write(
        tmp_path / "top.adk", 'include "lib/layers.adk"\nrule R : enclosure(VIA1, RDL1) >= 1 um'
    )
    deck = load_deck(str(top))
    assert deck.layers == {
        "VIA1": DrawnLayer("VIA1", 12, 0, "", SPAN),
        "RDL1": DrawnLayer("RDL1", 10, 0, "metal", SPAN),
    }
    assert deck.rules == [
        rule(
            "R",
            check("enclosure", ("VIA1", "RDL1"), constraints=(limit("enclosure", ">=", um(1.0)),)),
        )
    ]
    assert [Path(f).name for f in deck.files] == ["top.adk", "layers.adk", "vias.adk"]


def test_diamond_include_defines_names_once(tmp_path: Path):
    write(tmp_path / "common.adk", "layer BASE = 1/0\nlet s = 2 um")
    write(tmp_path / "a.adk", 'include "common.adk"\nlayer A = BASE and BASE')
    write(tmp_path / "b.adk", 'include "common.adk"\nlayer B = BASE or BASE')
    top = write(tmp_path / "top.adk", 'include "a.adk"\ninclude "b.adk"\nrule R : width(BASE) >= s')
    deck = load_deck(str(top))
    assert list(deck.layers) == ["BASE", "A", "B"]
    assert deck.variables == {"s": um(2.0)}
    assert [Path(f).name for f in deck.files] == ["top.adk", "a.adk", "common.adk", "b.adk"]


def test_windows_line_endings_and_byte_order_mark(tmp_path: Path):
    path = tmp_path / "win.adk"
    path.write_bytes("\ufeffdeck win\r\nlayer A = 1/0 # c\r\nrule R : width(A) >= 2\r\n".encode())
    deck = load_deck(str(path))
    assert deck.name == "win"
    assert deck.rules == [rule("R", check("width", ("A",), (), (limit("width", ">=", um(2.0)),)))]


def test_included_header_and_units_stay_in_their_file(tmp_path: Path):
    write(
        tmp_path / "nm.adk",
        'deck lib "library"\nunits nm\nlet s = 500 nm\nlayer A = 1/0\nrule R1 : width(A) >= 500',
    )
    top = write(tmp_path / "top.adk", 'deck top "Top"\ninclude "nm.adk"\nrule R2 : space(A) >= 2')
    deck = load_deck(str(top))
    assert (deck.name, deck.title, deck.units) == ("top", "Top", "um")
    assert [r.check.constraints[0].limit for r in deck.rules] == [um(0.5), um(2.0)]


# ---------------------------------------------------------------- layers
def test_drawn_layers():
    deck = load('layer RDL1 = 10/0 "RDL metal 1"\nlayer M = 65535/65535\nlayer Z = 0/0')
    assert deck.layers == {
        "RDL1": DrawnLayer("RDL1", 10, 0, "RDL metal 1", SPAN),
        "M": DrawnLayer("M", 65535, 65535, "", SPAN),
        "Z": DrawnLayer("Z", 0, 0, "", SPAN),
    }


def test_derived_layer_keeps_its_description():
    assert layer_of('layer X = A and B "both"') == DerivedLayer(
        "X", BoolOp("and", ref("A"), ref("B")), "both", SPAN
    )


@pytest.mark.parametrize(
    "source, expected",
    [
        ("A and B", BoolOp("and", ref("A"), ref("B"))),
        ("A or B", BoolOp("or", ref("A"), ref("B"))),
        ("A not B", BoolOp("not", ref("A"), ref("B"))),
        ("A xor B", BoolOp("xor", ref("A"), ref("B"))),
        # and/not bind tighter than or/xor; both are left-associative
        ("A or B and C", BoolOp("or", ref("A"), BoolOp("and", ref("B"), ref("C")))),
        ("A and B or C", BoolOp("or", BoolOp("and", ref("A"), ref("B")), ref("C"))),
        ("A xor B not C", BoolOp("xor", ref("A"), BoolOp("not", ref("B"), ref("C")))),
        ("A not B and C", BoolOp("and", BoolOp("not", ref("A"), ref("B")), ref("C"))),
        ("A or B xor C", BoolOp("xor", BoolOp("or", ref("A"), ref("B")), ref("C"))),
        ("(A or B) and C", BoolOp("and", BoolOp("or", ref("A"), ref("B")), ref("C"))),
        ("A not (B or C)", BoolOp("not", ref("A"), BoolOp("or", ref("B"), ref("C")))),
        ("((A))", ref("A")),
        # selections bind tighter still
        ("A inside B", Select("inside", ref("A"), ref("B"))),
        ("A outside B", Select("outside", ref("A"), ref("B"))),
        ("A interacting B", Select("interacting", ref("A"), ref("B"))),
        ("A and B inside C", BoolOp("and", ref("A"), Select("inside", ref("B"), ref("C")))),
        ("A interacting B or C", BoolOp("or", Select("interacting", ref("A"), ref("B")), ref("C"))),
        ("A inside B outside C", Select("outside", Select("inside", ref("A"), ref("B")), ref("C"))),
        ("A inside (B or C)", Select("inside", ref("A"), BoolOp("or", ref("B"), ref("C")))),
        ("A not_inside B", Select("not_inside", ref("A"), ref("B"))),
        ("A not_outside B", Select("not_outside", ref("A"), ref("B"))),
        ("A not_interacting B", Select("not_interacting", ref("A"), ref("B"))),
        ("A not B not_inside C", BoolOp("not", ref("A"), Select("not_inside", ref("B"), ref("C")))),
        (
            "A not_inside shrink(B, 1 um) or C",
            BoolOp("or", Select("not_inside", ref("A"), Sizing("shrink", ref("B"), 1.0)), ref("C")),
        ),
        # sizing
        ("grow(A, 2 um)", Sizing("grow", ref("A"), 2.0)),
        ("shrink(A, 500 nm)", Sizing("shrink", ref("A"), 0.5)),
        ("grow(A, 3)", Sizing("grow", ref("A"), 3.0)),
        ("grow(A or B, d)", Sizing("grow", BoolOp("or", ref("A"), ref("B")), 1.5)),
        (
            "shrink(grow(A, 1 um), 1 um) not B",
            BoolOp("not", Sizing("shrink", Sizing("grow", ref("A"), 1.0), 1.0), ref("B")),
        ),
        ("grow(A, 2 um) inside B", Select("inside", Sizing("grow", ref("A"), 2.0), ref("B"))),
    ],
)
def test_derived_layer_expressions(source: str, expected):
    layer = layer_of(f"let d = 1.5 um\nlayer X = {source}")
    assert layer == DerivedLayer("X", expected, "", SPAN)


def test_derived_layers_may_use_derived_layers():
    deck = load(LAYERS + "\nlayer X = A or B\nlayer Y = X not C")
    assert deck.layers["Y"].expr == BoolOp("not", ref("X"), ref("C"))


def test_sizing_takes_the_file_unit():
    assert layer_of("units nm\nlayer X = grow(A, 250)").expr == Sizing("grow", ref("A"), 0.25)


def test_expression_spanning_lines():
    assert layer_of("layer X = A\n    and B\n    or C").expr == BoolOp(
        "or", BoolOp("and", ref("A"), ref("B")), ref("C")
    )


# ---------------------------------------------------------------- let
@pytest.mark.parametrize(
    "source, expected",
    [
        ("2 um", um(2.0)),
        ("2um", um(2.0)),
        ("500 nm", um(0.5)),
        ("1.5 mm", um(1500.0)),
        ("3 µm", um(3.0)),
        ("2", number(2.0)),
        (".5", number(0.5)),
        ("1e3 nm", um(1.0)),
        ("-2 um", um(-2.0)),
        ("2 um + 500 nm", um(2.5)),
        ("2 um - 500 nm", um(1.5)),
        ("2 + 500 nm", um(2.5)),  # a plain number in a sum takes the file's unit
        ("(2 um + 1 um) * 2", um(6.0)),
        ("2 * 3 um", um(6.0)),
        ("10 um / 4", um(2.5)),
        ("1 um / 4 um", number(0.25)),
        ("1 + 2 * 3", number(7.0)),
        ("(1 + 2) * 3", number(9.0)),
        ("8 / 2 / 2", number(2.0)),
        ("5 - 2 - 1", number(2.0)),
        ("-(2 um + 1 um)", um(-3.0)),
        ("1 mm * 1 mm", um2(1e6)),
        ("2 um * 3 um", um2(6.0)),
        ("100 um2", um2(100.0)),
        ("1 mm2", um2(1e6)),
        ("1 µm2", um2(1.0)),
        ("2000000 nm2", um2(2.0)),
        ("1 mm2 / 1 mm", um(1000.0)),
        ("400 /mm2", per_um2(4e-4)),
        ("400 / mm2", per_um2(4e-4)),
        ("2 /um2", per_um2(2.0)),
        ("1 / 1 um2", per_um2(1.0)),
        ("100 / (1 mm * 1 mm)", per_um2(1e-4)),
        ("400 /mm2 * 1 mm2", number(400.0)),
        ("20 %", ratio(0.2)),
        ("20%", ratio(0.2)),
        ("20 % * 2", ratio(0.4)),
        ("50 % / 2", ratio(0.25)),
        ("25 % + 50 %", ratio(0.75)),
    ],
)
def test_let_values(source: str, expected: Quantity):
    assert value_of(f"let x = {source}") == expected


def test_let_uses_earlier_variables():
    deck = load("let ls = 2 um\nlet ws = ls * 1.5\nlet gap = ws + ls - 500 nm")
    assert deck.variables == {"ls": um(2.0), "ws": um(3.0), "gap": um(4.5)}


def test_plain_variable_becomes_a_length_where_a_length_is_needed():
    deck = load(LAYERS + "\nlet ls = 2\nlet ws = ls * 1.5\nrule R : width(A) >= ws")
    assert deck.variables == {"ls": number(2.0), "ws": number(3.0)}
    assert deck.rules[0].check.constraints == (limit("width", ">=", um(3.0)),)


# ---------------------------------------------------------------- rules
def test_rule_with_description_and_default_severity():
    assert only_rule('rule RDL1.W "RDL1 minimum width" : width(A) >= 2 um') == rule(
        "RDL1.W",
        check("width", ("A",), constraints=(limit("width", ">=", um(2.0)),)),
        "RDL1 minimum width",
        "error",
    )


@pytest.mark.parametrize("severity", ["error", "warning", "info"])
def test_rule_severity(severity: str):
    assert only_rule(f'rule R "d" {severity} : width(A) >= 2').severity == severity


def test_rule_without_description_with_severity():
    assert only_rule("rule R warning : width(A) >= 2") == rule(
        "R", check("width", ("A",), constraints=(limit("width", ">=", um(2.0)),)), "", "warning"
    )


@pytest.mark.parametrize("rule_id", ["R", "RDL1.W", "UB.DEN.2", "a_b.C_1.x", "A.1"])
def test_rule_ids(rule_id: str):
    assert only_rule(f"rule {rule_id} : width(A) >= 2").id == rule_id


def test_rule_ids_may_be_keywords_or_words_used_elsewhere():
    deck = load(LAYERS + "\nrule width : width(A) >= 2\nrule A.layer.units : space(A) >= 2")
    assert [r.id for r in deck.rules] == ["width", "A.layer.units"]


def test_rules_keep_their_order():
    deck = load(LAYERS + "\nrule Z : width(A) >= 1\nrule A : width(A) >= 2\nrule M : width(A) >= 3")
    assert [r.id for r in deck.rules] == ["Z", "A", "M"]


def test_layer_expressions_as_check_arguments():
    assert only_rule("rule R : space(A and B) >= 1 um").check == check(
        "space", (BoolOp("and", ref("A"), ref("B")),), constraints=(limit("space", ">=", um(1.0)),)
    )


@pytest.mark.parametrize("op", [">=", ">"])
def test_minimum_operators(op: str):
    assert only_rule(f"rule R : width(A) {op} 2").check.constraints == (
        limit("width", op, um(2.0)),
    )


def test_block_constraints_with_optional_semicolons():
    text = "rule R : area(A) { area >= 100 um2; area <= 1 mm2 }"
    expected = (limit("area", ">=", um2(100.0)), limit("area", "<=", um2(1e6)))
    assert only_rule(text).check.constraints == expected
    assert only_rule(text.replace(";", "")).check.constraints == expected
    assert (
        only_rule("rule R : area(A) {\n area >= 100 um2;\n area <= 1 mm2;\n}").check.constraints
        == expected
    )


def test_constraint_values_may_be_expressions():
    rule_ = only_rule("let ls = 2 um\nrule R : width(A) >= ls * 1.5 + 1 um")
    assert rule_.check.constraints == (limit("width", ">=", um(4.0)),)


# ---------------------------------------------------------------- the 16 check kinds
KIND_CASES = [
    ("width(RDL1) >= 2 um", check("width", ("RDL1",), (), (limit("width", ">=", um(2.0)),))),
    ("space(RDL1) > 2 um", check("space", ("RDL1",), (), (limit("space", ">", um(2.0)),))),
    (
        "separation(TMV, RDL1) >= 20 um",
        check("separation", ("TMV", "RDL1"), (), (limit("separation", ">=", um(20.0)),)),
    ),
    (
        "enclosure(VIA1, RDL1) >= 1 um",
        check("enclosure", ("VIA1", "RDL1"), (), (limit("enclosure", ">=", um(1.0)),)),
    ),
    (
        "overlap(BRIDGE, DIE) >= 100 um",
        check("overlap", ("BRIDGE", "DIE"), (), (limit("overlap", ">=", um(100.0)),)),
    ),
    (
        "extension(UBM, PASSIV) >= 2 um",
        check("extension", ("UBM", "PASSIV"), (), (limit("extension", ">=", um(2.0)),)),
    ),
    (
        "area(PAD) { area >= 100 um2  area <= 1 mm2 }",
        check(
            "area", ("PAD",), (), (limit("area", ">=", um2(100.0)), limit("area", "<=", um2(1e6)))
        ),
    ),
    ("area(PAD) < 1 mm2", check("area", ("PAD",), (), (limit("area", "<", um2(1e6)),))),
    (
        "density(RDL1, window 1 mm, step 500 um) { density >= 20 %  density <= 80 % }",
        check(
            "density",
            ("RDL1",),
            (("window", um(1000.0)), ("step", um(500.0))),
            (limit("density", ">=", ratio(0.2)), limit("density", "<=", ratio(0.8))),
        ),
    ),
    (
        "density(RDL1, window 200, within DIE) >= 0 %",
        check(
            "density",
            ("RDL1",),
            (("window", um(200.0)), ("within", ref("DIE"))),
            (limit("density", ">=", ratio(0.0)),),
        ),
    ),
    ("pitch(UBUMP) >= 40 um", check("pitch", ("UBUMP",), (), (limit("pitch", ">=", um(40.0)),))),
    (
        "bump_size(UBUMP, shape octagon, tolerance 0.5 um) == 25 um",
        check(
            "bump_size",
            ("UBUMP",),
            (("shape", "octagon"), ("tolerance", um(0.5))),
            (limit("size", "==", um(25.0)),),
        ),
    ),
    (
        "bump_size(UBUMP, shape circle) { size >= 20 um  size <= 30 um }",
        check(
            "bump_size",
            ("UBUMP",),
            (("shape", "circle"),),
            (limit("size", ">=", um(20.0)), limit("size", "<=", um(30.0))),
        ),
    ),
    (
        "bump_density(UBUMP, within FIELD) >= 400 /mm2",
        check(
            "bump_density",
            ("UBUMP",),
            (("within", ref("FIELD")),),
            (limit("density", ">=", per_um2(4e-4)),),
        ),
    ),
    (
        "keepout(RDL1, UBUMP, zone KOZ)",
        check("keepout", ("RDL1", "UBUMP"), (("zone", ref("KOZ")),)),
    ),
    (
        "keepout(RDL1, zone KOZ) >= 20 um",
        check("keepout", ("RDL1",), (("zone", ref("KOZ")),), (limit("distance", ">=", um(20.0)),)),
    ),
    (
        "keepout(UBUMP, edge DIE) >= 50 um",
        check("keepout", ("UBUMP",), (("edge", ref("DIE")),), (limit("distance", ">=", um(50.0)),)),
    ),
    (
        "bridge(BRIDGE, dies DIE) { dies == 2  overlap >= 150 um  gap <= 100 um  space >= 500 um }",
        check(
            "bridge",
            ("BRIDGE",),
            (("dies", ref("DIE")),),
            (
                limit("dies", "==", number(2.0)),
                limit("overlap", ">=", um(150.0)),
                limit("gap", "<=", um(100.0)),
                limit("space", ">=", um(500.0)),
            ),
        ),
    ),
    (
        "align(TOP, to BOT) <= 1 um",
        check("align", ("TOP",), (("to", ref("BOT")),), (limit("offset", "<=", um(1.0)),)),
    ),
    (
        "align(TOP, both BOT) < 0 um",
        check("align", ("TOP",), (("both", ref("BOT")),), (limit("offset", "<", um(0.0)),)),
    ),
    (
        "distance(EIC, PIC) <= 2 mm",
        check("distance", ("EIC", "PIC"), (), (limit("distance", "<=", um(2000.0)),)),
    ),
    (
        "distance(EIC, PIC) >= 200 um",
        check("distance", ("EIC", "PIC"), (), (limit("distance", ">=", um(200.0)),)),
    ),
    (
        "count(LASER, within ENGINE) == 1",
        check(
            "count", ("LASER",), (("within", ref("ENGINE")),), (limit("count", "==", number(1.0)),)
        ),
    ),
    (
        "count(LASER, within ENGINE) { count >= 1  count <= 4 }",
        check(
            "count",
            ("LASER",),
            (("within", ref("ENGINE")),),
            (limit("count", ">=", number(1.0)), limit("count", "<=", number(4.0))),
        ),
    ),
]


@pytest.mark.parametrize("text, expected", KIND_CASES, ids=[c[0] for c in KIND_CASES])
def test_check_kinds(text: str, expected: Check):
    assert only_rule(f"rule R : {text}").check == expected


def test_the_cases_name_only_known_kinds():
    # every kind's own documented examples are parsed by tests/test_docs.py, so a new kind
    # needs no case here
    assert {expected.kind for _, expected in KIND_CASES} <= set(checks.kind_names())


def test_keyword_parameters_in_any_order_after_the_layers():
    a = only_rule("rule R : density(RDL1, window 1 mm, step 500 um) >= 10 %").check
    b = only_rule("rule R : density(RDL1, step 500 um, window 1 mm) >= 10 %").check
    assert a.layers == b.layers and dict(a.params) == dict(b.params)


def test_keyword_parameter_values_are_expressions():
    assert only_rule(
        "let w = 1 mm\nrule R : density(A, window w / 2, within A or B) >= 1 %"
    ).check.params == (("window", um(500.0)), ("within", BoolOp("or", ref("A"), ref("B"))))


# ---------------------------------------------------------------- comments
def test_comments_anywhere():
    text = """# leading comment
deck d "t" # after the header
units um # after units
layer A = 1/0 # after a layer
layer X = A # inside an expression
    or A
let s = 2 um # after a let
rule R "d" # before the colon
    : area( # inside the call
        A # after an argument
    ) { # after the brace
    # on its own line
    area >= 1 um2; # after a constraint
    area # between tokens
        <= 2 um2
    # before the closing brace
} # after the closing brace
rule S : width(A) >= s # "not a string" and # twice
# at the end"""
    deck = load(text)
    assert deck.layers["X"].expr == BoolOp("or", ref("A"), ref("A"))
    assert deck.rules == [
        rule(
            "R",
            check(
                "area", ("A",), (), (limit("area", ">=", um2(1.0)), limit("area", "<=", um2(2.0)))
            ),
            "d",
        ),
        rule("S", check("width", ("A",), (), (limit("width", ">=", um(2.0)),))),
    ]


def test_hash_inside_a_string_is_not_a_comment():
    assert load('deck d "issue #12"').title == "issue #12"


def test_empty_and_comment_only_decks():
    for text in ("", "\n\n", "# only a comment\n"):
        deck = load(text)
        assert (deck.layers, deck.variables, deck.rules) == ({}, {}, [])


def test_whole_deck():
    deck = load(
        """deck demo "Demo" version "1"
units um
layer RDL1 = 10/0 "RDL metal 1"
layer VIA1 = 12/0
layer CORE = RDL1 not grow(VIA1, 1 um)
let ls = 2 um
rule RDL1.W "width" : width(RDL1) >= ls
rule RDL1.S "space" warning : space(CORE) >= ls * 1.5
""",
        "demo.adk",
    )
    assert deck == Deck(
        "demo",
        "Demo",
        "1",
        "um",
        {
            "RDL1": DrawnLayer("RDL1", 10, 0, "RDL metal 1", SPAN),
            "VIA1": DrawnLayer("VIA1", 12, 0, "", SPAN),
            "CORE": DerivedLayer(
                "CORE", BoolOp("not", ref("RDL1"), Sizing("grow", ref("VIA1"), 1.0)), "", SPAN
            ),
        },
        {"ls": um(2.0)},
        [
            rule(
                "RDL1.W", check("width", ("RDL1",), (), (limit("width", ">=", um(2.0)),)), "width"
            ),
            rule(
                "RDL1.S",
                check("space", ("CORE",), (), (limit("space", ">=", um(3.0)),)),
                "space",
                "warning",
            ),
        ],
        "demo.adk",
        ["demo.adk"],
    )


def test_spans_point_at_the_source():
    deck = load("layer A = 1/0\n\nrule R : width(A) >= 2", "s.adk")
    assert deck.layers["A"].span == Span("s.adk", 1, 1, 1, 14)
    assert deck.rules[0].span == Span("s.adk", 3, 1, 3, 23)
    assert str(deck.rules[0].span) == "s.adk:3:1"
