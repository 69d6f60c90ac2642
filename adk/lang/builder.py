"""Parse trees to a typed, validated :class:`~adk.lang.model.Deck`.

Every statement is checked on its own, so one run reports every error in a deck.
Names (layers and variables share one namespace) must be defined before use.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NoReturn

from lark import Token, Tree

from adk.errors import DeckError, Diagnostic
from adk.lang.model import (
    BoolOp,
    Check,
    Constraint,
    Deck,
    DerivedLayer,
    DrawnLayer,
    Layer,
    LayerExpr,
    LayerRef,
    Rule,
    Select,
    Sizing,
    Span,
)
from adk.lang.parser import ParsedFile, parse_text
from adk.lang.signature import LAYER, LENGTH, CheckSpec
from adk.lang.units import LENGTH_UNITS, UNITS, Dim, Quantity, canonical_unit, default_unit

_LAYER_OPS = {"and", "or", "not", "xor"}
_SELECT_OPS = {"inside", "outside", "interacting"}
_DIM_POWER = {Dim.NUMBER: 0, Dim.LENGTH: 1, Dim.AREA: 2, Dim.PER_AREA: -2}
_POWER_DIM = {power: dim for dim, power in _DIM_POWER.items()}


class _Invalid(Exception):
    """Abandons the current statement; the diagnostic (if any) is already recorded."""


@dataclass
class _Scope:
    """Everything defined so far, across the include tree."""

    layers: dict[str, Layer] = field(default_factory=dict)
    variables: dict[str, Quantity] = field(default_factory=dict)
    variable_units: dict[str, str] = field(default_factory=dict)  # the file's units at each let
    defined_at: dict[str, Span] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)  # names whose definition had errors
    rules: list[Rule] = field(default_factory=list)
    rule_spans: dict[str, Span] = field(default_factory=dict)
    header: tuple[str, str, str] | None = None
    units: str = "um"


def load_deck(path: str, kinds: Mapping[str, CheckSpec]) -> Deck:
    """Read, parse and validate the deck at ``path`` with its includes; raise DeckError.
    ``kinds``: the signature of every check kind the deck may call."""
    builder = _Builder(kinds)
    text = builder.read(path, None)
    deck = builder.build_root(path, text)
    if builder.diagnostics:
        raise DeckError(builder.diagnostics, builder.sources)
    return deck


def load_text(text: str, kinds: Mapping[str, CheckSpec], path: str = "<deck>") -> Deck:
    """Validate deck text that is not in a file (includes resolve from the working directory)."""
    builder = _Builder(kinds)
    builder.sources[path] = text
    deck = builder.build_root(path, text)
    if builder.diagnostics:
        raise DeckError(builder.diagnostics, builder.sources)
    return deck


class _Builder:
    def __init__(self, kinds: Mapping[str, CheckSpec]) -> None:
        self.kinds = kinds
        self.diagnostics: list[Diagnostic] = []
        self.sources: dict[str, str] = {}
        self.scope = _Scope()
        self.files: list[str] = []
        self.stack: list[str] = []
        self.file = ""
        self.units = "um"

    # ------------------------------------------------------------ files
    def read(self, path: str, at: tuple[str, Token] | None) -> str | None:
        try:
            with open(path, encoding="utf-8-sig") as handle:  # a byte order mark is no text
                text = handle.read()
        except FileNotFoundError:
            if at is None:
                self.diagnostics.append(Diagnostic(path, 1, 1, "no such deck file"))
                return None
            written = at[0]
            looked = f" (looked for {path})" if os.path.normpath(written) != path else ""
            self._report(at[1], f"include file not found: {written}{looked}")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            if at is None:
                self.diagnostics.append(Diagnostic(path, 1, 1, f"cannot read deck: {reason}"))
                return None
            self._report(at[1], f"cannot read include file {at[0]}: {reason}")
        self.sources[path] = text
        return text

    def build_root(self, path: str, text: str | None) -> Deck:
        if text is not None:
            self.build_file(path, text)
        name, title, version = self.scope.header or (
            os.path.splitext(os.path.basename(path))[0],
            "",
            "",
        )
        return Deck(
            name,
            title,
            version,
            self.scope.units,
            dict(self.scope.layers),
            dict(self.scope.variables),
            list(self.scope.rules),
            path,
            list(self.files),
        )

    def build_file(self, path: str, text: str) -> None:
        parsed = parse_text(text, path)
        self.diagnostics.extend(parsed.errors)
        self.files.append(path)
        self.stack.append(os.path.abspath(path))
        outer_file, outer_units = self.file, self.units
        self.file = path
        self.units = self._file_units(parsed)
        if len(self.stack) == 1:
            self.scope.units = self.units
        for statement in parsed.tree.children:
            with contextlib.suppress(_Invalid):
                getattr(self, "_" + statement.data)(statement)
        self.file, self.units = outer_file, outer_units
        self.stack.pop()

    def _file_units(self, parsed: ParsedFile) -> str:
        found = [s for s in parsed.tree.children if s.data == "units_stmt"]
        for extra in found[1:]:
            self._note(extra, "units are declared more than once in this file")
        if not found:
            return "um"
        token = found[0].children[0]
        unit = canonical_unit(token)
        if unit not in LENGTH_UNITS:
            self._note(token, f"units must be a length unit (nm, um or mm), not '{token}'")
            return "um"
        return unit

    # ------------------------------------------------------------ statements
    def _deck_header(self, tree: Tree) -> None:
        name = str(tree.children[0])
        title = next((_unquote(c) for c in tree.children[1:] if isinstance(c, Token)), "")
        version = next(
            (_unquote(c.children[0]) for c in tree.children[1:] if isinstance(c, Tree)), ""
        )
        if len(self.stack) > 1:
            return  # an included deck's header names that deck, not this one
        if self.scope.header is not None:
            self._report(tree, "the deck header is given more than once")
        self.scope.header = (name, title, version)

    def _units_stmt(self, tree: Tree) -> None:
        """Handled for the whole file by _file_units."""

    def _include_stmt(self, tree: Tree) -> None:
        token = tree.children[0]
        relative = _unquote(token)
        path = os.path.normpath(os.path.join(os.path.dirname(self.file), relative))
        key = os.path.abspath(path)
        if key in self.stack:
            chain = [os.path.relpath(p) for p in self.stack[self.stack.index(key) :]] + [
                os.path.relpath(key)
            ]
            self._report(token, "include cycle: " + " -> ".join(chain))
        if key in (os.path.abspath(f) for f in self.files):
            return  # included already (a diamond): its names are defined once
        text = self.read(path, (relative, token))
        if text is not None:
            self.build_file(path, text)

    def _layer_stmt(self, tree: Tree) -> None:
        name_token, source = tree.children[0], tree.children[1]
        description = _unquote(tree.children[2]) if len(tree.children) > 2 else ""
        name = str(name_token)
        self._define(name_token)
        span = self._span(tree)
        try:
            if isinstance(source, Tree) and source.data == "drawn":
                layer, datatype = (
                    self._gds_number(source.children[0], text, what)
                    for text, what in zip(str(source.children[0]).split("/"), ("layer", "datatype"))
                )
                self.scope.layers[name] = DrawnLayer(name, layer, datatype, description, span)
            else:
                if _is_spaced_layer_number(source):
                    self._report(
                        source,
                        "a drawn layer is written layer/datatype without "
                        f"spaces: {_compact(source)}",
                    )
                expr = self.layer_expr(source)
                self.scope.layers[name] = DerivedLayer(name, expr, description, span)
        except _Invalid:
            self.scope.broken.add(name)
            raise

    def _gds_number(self, token: Token, text: str, what: str) -> int:
        digits = text.lstrip("0")
        if len(digits) > 5 or int(digits or "0") > 65535:  # int() refuses 4300+ digits
            self._report(token, f"{what} number {text} is out of range (0..65535)")
        return int(digits or "0")

    def _let_stmt(self, tree: Tree) -> None:
        name_token, expr = tree.children
        self._define(name_token)
        try:
            value = self.value(expr)
        except _Invalid:
            self.scope.broken.add(str(name_token))
            raise
        self.scope.variables[str(name_token)] = value
        self.scope.variable_units[str(name_token)] = self.units

    def _rule_stmt(self, tree: Tree) -> None:
        rule_id = tree.children[0]
        description, severity = "", "error"
        for child in tree.children[1:-1]:
            if isinstance(child, Token):
                description = _unquote(child)
            else:
                severity = str(child.children[0])
        first = self.scope.rule_spans.get(str(rule_id))
        if first is not None:
            self._report(rule_id, f"duplicate rule id '{rule_id}' (first defined at {first})")
        span = self._span(tree)
        self.scope.rule_spans.setdefault(str(rule_id), span)
        check = self.check(tree.children[-1])
        if first is None:
            self.scope.rules.append(Rule(str(rule_id), description, severity, check, span))

    def _define(self, token: Token) -> None:
        name = str(token)
        if name in UNITS:
            # after a number the word reads as the unit, never as the name
            self._report(token, f"'{name}' is a unit and cannot name a layer or a variable")
        first = self.scope.defined_at.get(name)
        if first is not None:
            self._report(token, f"'{name}' is already defined at {first}")
        self.scope.defined_at[name] = self._span(token)

    # ------------------------------------------------------------ checks
    def check(self, tree: Tree) -> Check:
        kind_token = tree.children[0]
        spec = self.kinds.get(str(kind_token))
        if spec is None:
            self._report(
                kind_token, f"unknown check '{kind_token}'" + _suggest(str(kind_token), self.kinds)
            )
        args = [c for c in tree.children[1:] if not _is_constraint(c)]
        found = [c for c in tree.children[1:] if _is_constraint(c)]
        keywords = [k for k, arg in enumerate(args) if arg.data == "keyword_arg"]
        if keywords and any(arg.data != "keyword_arg" for arg in args[keywords[0] :]):
            late = next(arg for arg in args[keywords[0] :] if arg.data != "keyword_arg")
            self._report(late, f"layers come before keyword parameters: {spec.signature()}")
        layers = self._positional(spec, kind_token, [a for a in args if a.data != "keyword_arg"])
        params = self._params(spec, [a for a in args if a.data == "keyword_arg"], tree)
        constraints = self._constraints(spec, found[0] if found else None, tree)
        self._check_specifics(spec, params, constraints, tree)
        return Check(spec.kind, layers, params, constraints, self._span(tree))

    def _positional(self, spec: CheckSpec, kind: Token, args: list[Tree]) -> tuple[LayerExpr, ...]:
        want = len(spec.layers)
        if len(args) < want or (len(args) > want and not spec.variadic):
            count = f"at least {want}" if spec.variadic else str(want)
            plural = "s" if want > 1 else ""
            self._report(
                kind,
                f"{spec.kind} takes {count} layer argument{plural} "
                f"({spec.signature()}), got {len(args)}",
            )
        return tuple(self.layer_expr(arg) for arg in args)

    def _params(self, spec: CheckSpec, args: list[Tree], check: Tree) -> tuple:
        params: dict[str, object] = {}
        for arg in args:
            name_token, expr = arg.children
            param = spec.param(str(name_token))
            if param is None:
                known = {p.name: p for p in spec.params}
                hint = _suggest(str(name_token), known) or (
                    f" ({spec.kind} takes: {', '.join(known)})"
                    if known
                    else f" ({spec.kind} takes no parameters)"
                )
                self._report(name_token, f"unknown parameter '{name_token}' for {spec.kind}{hint}")
            if param.name in params:
                self._report(name_token, f"parameter '{name_token}' is given twice")
            if param.kind == LAYER:
                params[param.name] = self.layer_expr(expr)
            elif param.kind == LENGTH:
                length = self.coerce(self.value(expr), Dim.LENGTH, expr, what=param.name)
                if param.zero_allowed:
                    params[param.name] = self._not_negative(length, expr, param.name)
                else:
                    params[param.name] = self._positive(length, expr, param.name)
            else:
                params[param.name] = self._word(expr, param.choices, param.name)
        for param in spec.params:
            if param.required and param.name not in params:
                self._report(
                    check.children[0],
                    f"{spec.kind} needs the parameter '{param.name}' ({spec.signature()})",
                )
        return tuple(params.items())

    def _constraints(self, spec: CheckSpec, tree: Tree | None, check: Tree) -> tuple:
        if tree is None or not tree.children:
            if spec.constraint_required:
                prop = spec.default_prop
                self._report(
                    tree or check,
                    f"{spec.kind} needs a constraint such as '{prop.ops[0]} {_example(prop.dim)}'",
                )
            return ()
        if tree.data == "default_constraint":
            items = [(None, tree.children[0], tree.children[1], tree)]
        else:
            items = [(c.children[0], c.children[1], c.children[2], c) for c in tree.children]
        return tuple(self._constraint(spec, *item) for item in items)

    def _constraint(
        self, spec: CheckSpec, name: Token | None, op: Token, expr: Tree, tree: Tree
    ) -> Constraint:
        prop = spec.default_prop if name is None else spec.prop(str(name))
        if prop is None:
            known = {p.name: p for p in spec.props}
            hint = _suggest(str(name), known) or f" ({spec.kind} measures {', '.join(known)})"
            self._report(name, f"unknown property '{name}' for {spec.kind}{hint}")
        if str(op) not in prop.ops:
            allowed = (
                prop.ops[0]
                if len(prop.ops) == 1
                else f"{', '.join(prop.ops[:-1])} or {prop.ops[-1]}"
            )
            self._report(op, f"{prop.name} takes {allowed}, not {op}")
        value = self.coerce(self.value(expr), prop.dim, expr, what=prop.name)
        if prop.positive and value.value <= 0:
            self._report(expr, f"{prop.name} limit must be positive")
        if prop.dim is Dim.NUMBER and value.value != int(value.value):
            self._report(expr, f"{prop.name} must be a whole number")
        if not prop.positive and value.value < 0:
            self._report(expr, f"{prop.name} limit must not be negative")
        if prop.dim is Dim.RATIO and value.value > 1:
            self._report(expr, f"{prop.name} limit must be at most 100 %")
        return Constraint(prop.name, str(op), value, self._span(tree))

    def _check_specifics(
        self, spec: CheckSpec, params: tuple, constraints: tuple, tree: Tree
    ) -> None:
        fault = spec.validate(dict(params), constraints) if spec.validate else None
        if fault is not None:
            self._report(tree, fault)

    # ------------------------------------------------------------ expressions
    def layer_expr(self, tree: Tree | Token) -> LayerExpr:
        result = self.expr(tree, expect="layer")
        if isinstance(result, Quantity):
            self._report(tree, "expected a layer, got a value")
        return result

    def value(self, tree: Tree | Token) -> Quantity:
        result = self.expr(tree, expect="value")
        if not isinstance(result, Quantity):
            self._report(tree, "expected a value, got a layer")
        return result

    def expr(self, tree: Tree | Token, expect: str) -> Quantity | LayerExpr:
        """``tree`` typed by what it turns out to be; ``expect`` ("layer" or "value") only
        chooses what an unknown name is reported as."""
        kind = tree.data
        if kind == "paren":
            return self.expr(tree.children[0], expect)
        if kind == "quantity":
            return self._quantity(tree)
        if kind == "name":
            return self._name(tree.children[0], expect)
        if kind == "neg":
            operand = self.value(tree.children[0])
            return Quantity(-operand.value, operand.dim)
        if kind == "call":
            op = str(tree.children[0].children[0])
            layer = self.layer_expr(tree.children[1])
            what = f"{op} distance"
            distance = self.coerce(self.value(tree.children[2]), Dim.LENGTH, tree.children[2], what)
            self._positive(distance, tree.children[2], what)
            return Sizing(op, layer, distance.value)
        if kind == "binary":
            return self._binary(tree)
        raise AssertionError(f"unexpected tree {kind}")  # pragma: no cover

    def _binary(self, tree: Tree) -> Quantity | LayerExpr:
        left_tree, op_node, right_tree = tree.children
        op = str(op_node.children[0]) if isinstance(op_node, Tree) else str(op_node)
        if op in _LAYER_OPS or op in _SELECT_OPS:
            left, right = self.layer_expr(left_tree), self.layer_expr(right_tree)
            return BoolOp(op, left, right) if op in _LAYER_OPS else Select(op, left, right)
        left, right = self.value(left_tree), self.value(right_tree)
        return self._arithmetic(op, left, right, op_node)

    def _arithmetic(self, op: str, left: Quantity, right: Quantity, at: Token) -> Quantity:
        return self._finite(self._combine(op, left, right, at), at)

    def _combine(self, op: str, left: Quantity, right: Quantity, at: Token) -> Quantity:
        if op in "+-":
            left, right = self._in_file_unit(left, right.dim), self._in_file_unit(right, left.dim)
            if left.dim is not right.dim:
                self._report(
                    at,
                    f"unit mismatch: cannot {'add' if op == '+' else 'subtract'} "
                    f"{right.dim.article} {'to' if op == '+' else 'from'} "
                    f"{left.dim.article}",
                )
            return Quantity(
                left.value + right.value if op == "+" else left.value - right.value, left.dim
            )
        if op == "/" and right.value == 0:
            self._report(at, "division by zero")
        if Dim.RATIO in (left.dim, right.dim):
            other = right.dim if left.dim is Dim.RATIO else left.dim
            if other is Dim.NUMBER and (op == "*" or left.dim is Dim.RATIO):
                return Quantity(
                    left.value * right.value if op == "*" else left.value / right.value, Dim.RATIO
                )
            self._report(
                at,
                f"unit mismatch: cannot {'multiply' if op == '*' else 'divide'} "
                f"{left.dim.article} by {right.dim.article}",
            )
        sign = 1 if op == "*" else -1
        power = _DIM_POWER[left.dim] + sign * _DIM_POWER[right.dim]
        if power not in _POWER_DIM:
            self._report(
                at,
                f"unit mismatch: {left.dim.article} {op} {right.dim.article} "
                f"has no unit the language knows",
            )
        value = left.value * right.value if op == "*" else left.value / right.value
        return Quantity(value, _POWER_DIM[power])

    def _quantity(self, tree: Tree) -> Quantity:
        text = str(tree.children[0])
        if len(tree.children) == 1:
            return self._finite(Quantity(float(text), Dim.NUMBER), tree)
        dim, factor = UNITS[canonical_unit(str(tree.children[1]))]
        return self._finite(Quantity(_scaled(text, factor), dim), tree)

    def _finite(self, value: Quantity, at: Tree | Token) -> Quantity:
        if not math.isfinite(value.value):
            self._report(at, "value out of range")
        return value

    def _name(self, token: Token, expect: str) -> Quantity | LayerExpr:
        name = str(token)
        if name in self.scope.broken:
            raise _Invalid()
        if name in self.scope.layers:
            return LayerRef(name)
        if name in self.scope.variables:
            return self._variable(token)
        candidates, what = (
            (self.scope.layers, "layer")
            if expect == "layer"
            else (self.scope.variables, "variable")
        )
        self._report(token, f"unknown {what} '{name}'" + _suggest(name, candidates))

    def _variable(self, token: Token) -> Quantity:
        value = self.scope.variables[str(token)]
        defined_in = self.scope.variable_units[str(token)]
        if value.dim is Dim.NUMBER and defined_in != self.units:
            # a plain number takes the unit of the file it is written in, and that is unknown here
            self._report(
                token,
                f"'{token}' is a plain number defined under 'units {defined_in}' "
                f"and used under 'units {self.units}'; give it a unit where "
                f"it is defined",
            )
        return value

    def _in_file_unit(self, value: Quantity, dim: Dim) -> Quantity:
        """A plain number as ``dim`` in the file's unit; anything else unchanged."""
        unit = default_unit(dim, self.units)
        if value.dim is not Dim.NUMBER or unit is None:
            return value
        return Quantity(_scaled(repr(value.value), UNITS[unit][1]), dim)

    def coerce(self, value: Quantity, dim: Dim, at: Tree, what: str | None = None) -> Quantity:
        """``value`` as ``dim``; a plain number takes the file's default unit."""
        value = self._finite(self._in_file_unit(value, dim), at)
        if value.dim is dim:
            return value
        if dim is Dim.RATIO and value.dim is Dim.NUMBER:
            self._report(at, f"{what or 'value'} needs a percentage such as 20 %")
        self._report(
            at, f"unit mismatch: {what or 'value'} needs {dim.article}, got {value.dim.article}"
        )

    def _not_negative(self, value: Quantity, at: Tree, what: str) -> Quantity:
        if value.value < 0:
            self._report(at, f"{what} must not be negative")
        return value

    def _positive(self, value: Quantity, at: Tree, what: str) -> Quantity:
        if value.value <= 0:
            self._report(at, f"{what} must be positive")
        return value

    def _word(self, tree: Tree, choices: tuple[str, ...], what: str) -> str:
        if tree.data != "name" or str(tree.children[0]) not in choices:
            self._report(tree, f"{what} must be one of {', '.join(choices)}")
        return str(tree.children[0])

    # ------------------------------------------------------------ diagnostics
    def _span(self, node: Tree | Token) -> Span:
        if isinstance(node, Token):
            return Span(self.file, node.line, node.column, node.end_line, node.end_column)
        meta = node.meta
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _report(self, node: Tree | Token, message: str) -> NoReturn:
        """Record an error and abandon the statement."""
        self._note(node, message)
        raise _Invalid()

    def _note(self, node: Tree | Token, message: str) -> None:
        """Record an error and go on."""
        span = self._span(node)
        length = span.end_column - span.column if span.end_line == span.line else 1
        self.diagnostics.append(
            Diagnostic(self.file, span.line, span.column, message, max(1, length))
        )


def _is_spaced_layer_number(node: Tree | Token) -> bool:
    """``1 / 0``: two plain whole numbers divided, a drawn layer written with spaces."""
    if not (isinstance(node, Tree) and node.data == "binary"):
        return False
    left, op, right = node.children
    return str(op) == "/" and all(
        isinstance(side, Tree)
        and side.data == "quantity"
        and len(side.children) == 1
        and str(side.children[0]).isdigit()
        for side in (left, right)
    )


def _compact(node: Tree) -> str:
    left, _, right = node.children
    return f"{left.children[0]}/{right.children[0]}"


def _is_constraint(node: Tree) -> bool:
    return node.data in ("default_constraint", "block")


def _unquote(token: Token) -> str:
    body = str(token)[1:-1]
    return body.replace('\\"', '"').replace("\\\\", "\\")


def _suggest(name: str, candidates) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if not close:
        close = [c for c in candidates if c.lower() == name.lower()]
    return f" (did you mean '{close[0]}'?)" if close else ""


def _scaled(number: str, factor: float) -> float:
    """``number * factor`` rounded once, so that 400 /mm2 is exactly 4e-4 /um2."""
    return float(Decimal(number) * Decimal(repr(factor)))


def _example(dim: Dim) -> str:
    return {
        Dim.LENGTH: "2 um",
        Dim.AREA: "100 um2",
        Dim.PER_AREA: "400 /mm2",
        Dim.RATIO: "20 %",
        Dim.NUMBER: "1",
    }[dim]
