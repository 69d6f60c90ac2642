"""The syntax tree of one deck file: what is written, where, with names for every part.

:func:`from_parse_tree` turns lark's parse tree into these nodes with
:class:`SyntaxTransformer`, which has a handler per grammar rule and alias. Handlers take
their children as named parameters, so a grammar change that adds, drops or reorders
children fails at the handler instead of shifting what the builder and the formatter read.

Text is kept as written (numbers, strings with their quotes, units, parentheses): the
formatter reproduces it and the builder gives it meaning.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeGuard, TypeVar, overload

from lark import Token, Transformer, Tree, v_args
from lark.tree import Meta


class GrammarMismatch(Exception):
    """The parse tree has a shape the handlers do not know: the grammar changed without them."""


@dataclass(frozen=True)
class Position:
    """Where a node is written: 1-based, the end column just past its last character."""

    line: int
    column: int
    end_line: int
    end_column: int


class Located(Protocol):
    """Anything written somewhere in the source."""

    @property
    def position(self) -> Position: ...


@dataclass(frozen=True)
class Lexeme:
    """One token as written: a name, a rule id, a "string" with its quotes, an operator."""

    text: str
    position: Position

    def __str__(self) -> str:
        return self.text


# ---------------------------------------------------------------- expressions
@dataclass(frozen=True)
class Quantity:
    """A number as written, with its unit as written (``1.50 µm``) or without one."""

    number: str
    unit: str | None
    position: Position


@dataclass(frozen=True)
class Name:
    """A layer or variable name used in an expression."""

    text: str
    position: Position


@dataclass(frozen=True)
class Binary:
    """``left op right``: a layer operation, a selection or arithmetic."""

    op: Lexeme
    left: Expr
    right: Expr
    position: Position


@dataclass(frozen=True)
class Neg:
    """``-operand``."""

    operand: Expr
    position: Position


@dataclass(frozen=True)
class Paren:
    """``(inner)``: kept, so the formatted text groups as the source does."""

    inner: Expr
    position: Position


@dataclass(frozen=True)
class Call:
    """``grow(layer, distance)`` or ``shrink(layer, distance)``."""

    op: Lexeme
    layer: Expr
    distance: Expr
    position: Position


Expr = Quantity | Name | Binary | Neg | Paren | Call
_EXPR_TYPES = (Quantity, Name, Binary, Neg, Paren, Call)


# ---------------------------------------------------------------- checks
@dataclass(frozen=True)
class KeywordArg:
    """``name value`` among a check's arguments, such as ``window 1 mm``."""

    name: Lexeme
    value: Expr
    position: Position


Arg = Expr | KeywordArg


@dataclass(frozen=True)
class Constraint:
    """``prop op value``; ``prop`` is None for the constraint after the call (``>= 2 um``)."""

    prop: Lexeme | None
    op: Lexeme
    value: Expr
    position: Position


@dataclass(frozen=True)
class Block:
    """``{ ... }``: named constraints, each on a line of its own when formatted."""

    constraints: tuple[Constraint, ...]
    position: Position


@dataclass(frozen=True)
class CheckCall:
    """``kind(args) constraint`` or ``kind(args) { block }`` or ``kind(args)`` alone."""

    kind: Lexeme
    args: tuple[Arg, ...]
    constraints: Constraint | Block | None
    position: Position


# ---------------------------------------------------------------- statements
@dataclass(frozen=True)
class DeckHeader:
    """``deck NAME "title" version "v"``."""

    name: Lexeme
    title: Lexeme | None
    version: Lexeme | None
    position: Position


@dataclass(frozen=True)
class Units:
    """``units um``."""

    unit: Lexeme
    position: Position


@dataclass(frozen=True)
class Include:
    """``include "path"``; ``path`` keeps its quotes."""

    path: Lexeme
    position: Position


@dataclass(frozen=True)
class Drawn:
    """``layer/datatype`` of a drawn layer, as written."""

    layer: Lexeme
    position: Position


@dataclass(frozen=True)
class LayerStmt:
    """``layer NAME = source optional "description"``; ``optional`` is the word as written."""

    name: Lexeme
    source: Drawn | Expr
    optional: Lexeme | None
    description: Lexeme | None
    position: Position


@dataclass(frozen=True)
class LetStmt:
    """``let NAME = value``."""

    name: Lexeme
    value: Expr
    position: Position


@dataclass(frozen=True)
class RuleStmt:
    """``rule ID "description" severity category CATEGORY : check``."""

    rule_id: Lexeme
    description: Lexeme | None
    severity: Lexeme | None
    check: CheckCall
    position: Position
    category: Lexeme | None = None


Statement = DeckHeader | Units | Include | LayerStmt | LetStmt | RuleStmt
_STATEMENT_TYPES = (DeckHeader, Units, Include, LayerStmt, LetStmt, RuleStmt)


# a statement's optional clauses, typed apart so that none is taken for the optional
# "string" beside it; the statement's handler unwraps them
@dataclass(frozen=True)
class _Version:
    string: Lexeme


@dataclass(frozen=True)
class _Severity:
    word: Lexeme


@dataclass(frozen=True)
class _Category:
    name: Lexeme


@dataclass(frozen=True)
class _Optional:
    word: Lexeme


def from_parse_tree(tree: Tree) -> tuple[Statement, ...]:
    """The statements of a parse tree of the ``start`` rule."""
    # tokens reach the handlers as lark made them: no terminal has a handler of its own
    return SyntaxTransformer(visit_tokens=False).transform(tree)


_Node = TypeVar("_Node")


class _Children:
    """The children of a rule with optional parts, taken in grammar order; one out of
    place or left over means the grammar changed."""

    def __init__(self, rule: str, children: Sequence[object]) -> None:
        self.rule = rule
        self.rest = list(children)

    def token(self, terminal: str) -> Lexeme | None:
        head = self.rest[0] if self.rest else None
        if isinstance(head, Token) and head.type == terminal:
            self.rest.pop(0)
            return _lexeme(head)
        return None

    @overload
    def node(self, kind: type[_Node]) -> _Node | None: ...
    @overload
    def node(self, kind: Callable[[object], TypeGuard[_Node]]) -> _Node | None: ...
    def node(self, kind: type | Callable[[object], bool]) -> object | None:
        """The next child if it is a ``kind`` (a node class or a test for nodes)."""
        head = self.rest[0] if self.rest else None
        matches = isinstance(head, kind) if isinstance(kind, type) else kind(head)
        if matches:
            return self.rest.pop(0)
        return None

    def nodes(self, kind: Callable[[object], TypeGuard[_Node]]) -> tuple[_Node, ...]:
        """The children from here on that pass ``kind``."""
        found = []
        while (item := self.node(kind)) is not None:
            found.append(item)
        return tuple(found)

    def done(self) -> None:
        if self.rest:
            raise GrammarMismatch(f"{self.rule}: unexpected child {self.rest[0]!r}")


@v_args(inline=True, meta=True)
class SyntaxTransformer(Transformer[Token, tuple[Statement, ...]]):
    """Parse tree to syntax nodes: one handler per rule and alias of grammar/adk.lark,
    named after it, taking the children as parameters."""

    def __default__(self, data: str, children: list, meta: Meta) -> object:
        raise GrammarMismatch(f"no handler for the grammar rule '{data}'")

    def start(self, meta: Meta, *statements: Statement) -> tuple[Statement, ...]:
        for statement in statements:
            if not isinstance(statement, _STATEMENT_TYPES):
                raise GrammarMismatch(f"start: unexpected child {statement!r}")
        return statements

    # ------------------------------------------------------------ statements
    def deck_header(self, meta: Meta, name: Token, *optional: Token | _Version) -> DeckHeader:
        rest = _Children("deck_header", optional)
        title = rest.token("STRING")
        version = rest.node(_Version)
        rest.done()
        string = None if version is None else version.string
        return DeckHeader(_lexeme(name), title, string, _position(meta))

    def version(self, meta: Meta, string: Token) -> _Version:
        return _Version(_lexeme(string))

    def units_stmt(self, meta: Meta, unit: Token) -> Units:
        return Units(_lexeme(unit), _position(meta))

    def include_stmt(self, meta: Meta, path: Token) -> Include:
        return Include(_lexeme(path), _position(meta))

    def layer_stmt(
        self, meta: Meta, name: Token, source: Drawn | Expr, *parts: Token | _Optional
    ) -> LayerStmt:
        rest = _Children("layer_stmt", parts)
        optional = rest.node(_Optional)
        description = rest.token("STRING")
        rest.done()
        if not isinstance(source, Drawn):
            source = _expr("layer_stmt", source)
        word = None if optional is None else optional.word
        return LayerStmt(_lexeme(name), source, word, description, _position(meta))

    def optional(self, meta: Meta, word: Token) -> _Optional:
        return _Optional(_lexeme(word))

    def drawn(self, meta: Meta, layer: Token) -> Drawn:
        return Drawn(_lexeme(layer), _position(meta))

    def let_stmt(self, meta: Meta, name: Token, value: Expr) -> LetStmt:
        return LetStmt(_lexeme(name), _expr("let_stmt", value), _position(meta))

    def rule_stmt(
        self, meta: Meta, rule_id: Token, *parts: Token | _Severity | _Category | CheckCall
    ) -> RuleStmt:
        rest = _Children("rule_stmt", parts)
        description = rest.token("STRING")
        severity = rest.node(_Severity)
        category = rest.node(_Category)
        check = rest.node(CheckCall)
        rest.done()
        if check is None:
            raise GrammarMismatch("rule_stmt: no check")
        word = None if severity is None else severity.word
        name = None if category is None else category.name
        return RuleStmt(_lexeme(rule_id), description, word, check, _position(meta), name)

    def severity(self, meta: Meta, word: Token) -> _Severity:
        return _Severity(_lexeme(word))

    def category(self, meta: Meta, name: Token) -> _Category:
        return _Category(_lexeme(name))

    # ------------------------------------------------------------ checks
    def check(self, meta: Meta, kind: Token, *parts: Arg | Constraint | Block) -> CheckCall:
        rest = _Children("check", parts)
        args = rest.nodes(_is_arg)
        constraints = rest.node(_is_constraints)
        rest.done()
        return CheckCall(_lexeme(kind), args, constraints, _position(meta))

    def keyword_arg(self, meta: Meta, name: Token, value: Expr) -> KeywordArg:
        return KeywordArg(_lexeme(name), _expr("keyword_arg", value), _position(meta))

    def default_constraint(self, meta: Meta, op: Token, value: Expr) -> Constraint:
        return Constraint(None, _lexeme(op), _expr("default_constraint", value), _position(meta))

    def block(self, meta: Meta, *constraints: Constraint) -> Block:
        for constraint in constraints:
            if not isinstance(constraint, Constraint) or constraint.prop is None:
                raise GrammarMismatch(f"block: unexpected child {constraint!r}")
        return Block(constraints, _position(meta))

    def named_constraint(self, meta: Meta, prop: Token, op: Token, value: Expr) -> Constraint:
        value = _expr("named_constraint", value)
        return Constraint(_lexeme(prop), _lexeme(op), value, _position(meta))

    # ------------------------------------------------------------ expressions
    def binary(self, meta: Meta, left: Expr, op: Token | Lexeme, right: Expr) -> Binary:
        # arithmetic operators are terminals; word operators come from their own rules
        word = op if isinstance(op, Lexeme) else _lexeme(op)
        left, right = _expr("binary", left), _expr("binary", right)
        return Binary(word, left, right, _position(meta))

    def neg(self, meta: Meta, operand: Expr) -> Neg:
        return Neg(_expr("neg", operand), _position(meta))

    def quantity(self, meta: Meta, number: Token, unit: Token | None = None) -> Quantity:
        written = None if unit is None else _lexeme(unit).text
        return Quantity(_lexeme(number).text, written, _position(meta))

    def name(self, meta: Meta, name: Token) -> Name:
        return Name(_lexeme(name).text, _position(meta))

    def call(self, meta: Meta, op: Lexeme, layer: Expr, distance: Expr) -> Call:
        if not isinstance(op, Lexeme):
            raise GrammarMismatch(f"call: unexpected operator {op!r}")
        layer, distance = _expr("call", layer), _expr("call", distance)
        return Call(op, layer, distance, _position(meta))

    def paren(self, meta: Meta, inner: Expr) -> Paren:
        return Paren(_expr("paren", inner), _position(meta))

    def or_op(self, meta: Meta, word: Token) -> Lexeme:
        return _lexeme(word)

    def and_op(self, meta: Meta, word: Token) -> Lexeme:
        return _lexeme(word)

    def sel_op(self, meta: Meta, word: Token) -> Lexeme:
        return _lexeme(word)

    def sizing(self, meta: Meta, word: Token) -> Lexeme:
        return _lexeme(word)


def _is_arg(node: object) -> TypeGuard[Arg]:
    return isinstance(node, (*_EXPR_TYPES, KeywordArg))


def _is_constraints(node: object) -> TypeGuard[Constraint | Block]:
    return isinstance(node, (Constraint, Block))


def _position(meta: Meta) -> Position:
    return Position(meta.line, meta.column, meta.end_line, meta.end_column)


def _expr(rule: str, node: object) -> Expr:
    """``node``, checked to be an expression: the grammar decides what arrives, not the
    annotations of the handlers."""
    if not isinstance(node, _EXPR_TYPES):
        raise GrammarMismatch(f"{rule}: expected an expression, got {node!r}")
    return node


def _lexeme(token: Token) -> Lexeme:
    """``token`` as written and where it is."""
    if not isinstance(token, Token):
        raise GrammarMismatch(f"expected a token, got {token!r}")
    line, column, end_line, end_column = token.line, token.column, token.end_line, token.end_column
    if line is None or column is None or end_line is None or end_column is None:
        raise GrammarMismatch(f"token {token!r} has no position")  # lexed tokens always do
    return Lexeme(str(token), Position(line, column, end_line, end_column))
