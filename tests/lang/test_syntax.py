"""The syntax tree: a handler for every grammar rule, named parts, text and places as written."""

from __future__ import annotations

import pytest
from lark import Lark
from lark.exceptions import VisitError

from adk.lang import syntax
from adk.lang.parser import _parser, grammar_text, parse_text
from adk.lang.syntax import GrammarMismatch, SyntaxTransformer, from_parse_tree


def tree_names(parser: Lark) -> set[str]:
    """Every name lark gives a tree node: a rule's name or an alias. A ``?rule`` expansion
    with one child is inlined, and so are lark's own ``__rule`` helpers (for ``x*``)."""
    names = set()
    for rule in parser.rules:
        name = str(rule.alias or rule.origin.name)
        kept = [
            symbol
            for symbol in rule.expansion
            if not (symbol.is_term and symbol.filter_out and not rule.options.keep_all_tokens)
        ]
        if name.startswith("_") or (rule.options.expand1 and not rule.alias and len(kept) == 1):
            continue
        names.add(name)
    return names


def handler_names() -> set[str]:
    return {name for name in vars(SyntaxTransformer) if not name.startswith("_")}


def test_every_rule_and_alias_of_the_grammar_has_a_handler() -> None:
    names = tree_names(_parser())
    assert {"deck_header", "binary", "quantity", "named_constraint", "sizing"} <= names
    assert names - handler_names() == set()


def test_every_handler_is_for_a_rule_or_alias_of_the_grammar() -> None:
    assert handler_names() - tree_names(_parser()) == set()


def changed_grammar(old: str, new: str) -> Lark:
    text = grammar_text()
    assert old in text
    return Lark(text.replace(old, new), parser="lalr", propagate_positions=True)


def test_a_rule_without_a_handler_fails_loudly() -> None:
    parser = changed_grammar(
        '| "(" expr ")" -> paren', '| "(" expr ")" -> paren\n | "[" expr "]" -> box'
    )
    with pytest.raises(GrammarMismatch, match="no handler for the grammar rule 'box'"):
        from_parse_tree(parser.parse("let a = [1]"))


@pytest.mark.parametrize(
    ("old", "new", "text"),
    [
        ('units_stmt: "units" UNIT', 'units_stmt: "units" UNIT UNIT?', "units um nm"),
        ('let_stmt: "let" NAME "=" expr', 'let_stmt: "let" expr "=" NAME', "let 1 = a"),
        (
            'rule_stmt: "rule" RULE_ID STRING?',
            'rule_stmt: "rule" RULE_ID STRING* ',
            'rule R "a" "b" : w(A)',
        ),
    ],
    ids=["a child more", "children swapped", "a string more"],
)
def test_a_changed_rule_fails_at_its_handler(old: str, new: str, text: str) -> None:
    parser = changed_grammar(old, new)
    with pytest.raises(VisitError) as caught:
        from_parse_tree(parser.parse(text))
    assert caught.value.rule == new.split(":")[0]
    assert isinstance(caught.value.orig_exc, (TypeError, GrammarMismatch))


def statements(text: str) -> tuple[syntax.Statement, ...]:
    parsed = parse_text(text, "t.adk")
    assert parsed.errors == []
    return parsed.statements


def test_a_rule_keeps_its_parts_by_name() -> None:
    (rule,) = statements('rule R.1 "wide" warning : width(A, within B) { width >= 2 µm; }')
    assert isinstance(rule, syntax.RuleStmt)
    assert (rule.rule_id.text, rule.severity and rule.severity.text) == ("R.1", "warning")
    assert rule.description is not None and rule.description.text == '"wide"'
    check = rule.check
    assert check.kind.text == "width"
    layer, keyword = check.args
    assert isinstance(layer, syntax.Name) and layer.text == "A"
    assert isinstance(keyword, syntax.KeywordArg) and keyword.name.text == "within"
    assert isinstance(check.constraints, syntax.Block)
    (constraint,) = check.constraints.constraints
    assert constraint.prop is not None and constraint.prop.text == "width"
    assert constraint.op.text == ">="
    assert constraint.value == syntax.Quantity("2", "µm", syntax.Position(1, 57, 1, 61))


def test_expressions_keep_what_is_written_and_where() -> None:
    (let,) = statements("let x = -(1.50 + 2e3) * 4")
    assert isinstance(let, syntax.LetStmt)
    product = let.value
    assert isinstance(product, syntax.Binary) and product.op.text == "*"
    assert product.position == syntax.Position(1, 9, 1, 26)
    neg = product.left
    assert isinstance(neg, syntax.Neg) and isinstance(neg.operand, syntax.Paren)
    total = neg.operand.inner
    assert isinstance(total, syntax.Binary)
    assert (total.left, total.op.position) == (
        syntax.Quantity("1.50", None, syntax.Position(1, 11, 1, 15)),
        syntax.Position(1, 16, 1, 17),
    )


def test_optional_parts_are_none_when_absent() -> None:
    header, layer, rule = statements("deck d\nlayer A = 1/0\nrule R : width(A)")
    assert isinstance(header, syntax.DeckHeader)
    assert (header.title, header.version) == (None, None)
    assert isinstance(layer, syntax.LayerStmt) and layer.description is None
    assert isinstance(layer.source, syntax.Drawn) and layer.source.layer.text == "1/0"
    assert isinstance(rule, syntax.RuleStmt)
    assert (rule.description, rule.severity, rule.check.constraints) == (None, None, None)
