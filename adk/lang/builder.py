"""Syntax trees to a typed, validated :class:`~adk.lang.model.Deck`.

Every statement is checked on its own, so one run reports every error in a deck.
Names (layers and variables share one namespace) must be defined before use.
"""

from __future__ import annotations

import contextlib
import decimal
import difflib
import os
import stat
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import NoReturn

from adk.errors import AdkError, DeckError, Diagnostic
from adk.lang import syntax
from adk.lang.model import (
    SELECT_OPS,
    BoolOp,
    Check,
    Constraint,
    Deck,
    DerivedLayer,
    DrawnLayer,
    Layer,
    LayerExpr,
    LayerRef,
    ParamValue,
    Rule,
    Select,
    Sizing,
    Span,
)
from adk.lang.parser import ParsedFile, parse_text
from adk.lang.parts import PartLayers, UnknownPartLayer, part_layer
from adk.lang.signature import LAYER, LENGTH, CheckSpec, Param, Prop
from adk.lang.units import (
    LENGTH_UNITS,
    UNITS,
    Dim,
    Quantity,
    canonical_unit,
    default_unit,
    out_of_range,
)
from adk.resources import data_folder

_LAYER_OPS = {"and", "or", "not", "xor"}
_DIM_POWER = {Dim.NUMBER: 0, Dim.LENGTH: 1, Dim.AREA: 2, Dim.PER_AREA: -2}
_POWER_DIM = {power: dim for dim, power in _DIM_POWER.items()}

MAX_INCLUDE_DEPTH = 16
# every file of a deck together; about 300 times the largest shipped deck, and parsed in
# seconds (a megabyte takes about five)
MAX_DECK_BYTES = 1024 * 1024
_LIMIT_TEXT = f"{MAX_DECK_BYTES // (1024 * 1024)} MB"


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
    category_spans: dict[str, Span] = field(default_factory=dict)  # by rule id, where given
    header: tuple[str, str, str] | None = None
    units: str = "um"


def load_deck(
    path: str,
    kinds: Mapping[str, CheckSpec],
    roots: Iterable[str] = (),
    parts: PartLayers | None = None,
) -> Deck:
    """Read, parse and validate the deck at ``path`` with its includes; raise DeckError.
    ``kinds``: the signature of every check kind the deck may call. Includes may read files
    under the deck's folder, the shipped decks' folder and ``roots``, nothing else.
    ``parts``: the layers an assembly binds to ``PART.LAYER`` names (adk.lang.parts)."""
    builder = _Builder(kinds, os.path.dirname(path), roots, parts)
    text = builder.read(path, None)
    deck = builder.build_root(path, text)
    if builder.diagnostics:
        raise DeckError(builder.diagnostics, builder.sources)
    return deck


def load_text(
    text: str,
    kinds: Mapping[str, CheckSpec],
    path: str = "<deck>",
    roots: Iterable[str] = (),
    parts: PartLayers | None = None,
) -> Deck:
    """Validate deck text that is not in a file. Includes resolve from the folder of
    ``path``, the working directory for a name without one such as ``<deck>``, and may
    read files under that folder, the shipped decks' folder and ``roots``."""
    builder = _Builder(kinds, os.path.dirname(path), roots, parts)
    builder.sources[path] = text
    within_limit = not builder.take_from_budget(len(text.encode("utf-8", "surrogatepass")))
    if not within_limit:
        builder.diagnostics.append(Diagnostic(path, 1, 1, over_limit_message(None)))
    deck = builder.build_root(path, text if within_limit else None)
    if builder.diagnostics:
        raise DeckError(builder.diagnostics, builder.sources)
    return deck


class _NotARegularFile(Exception):
    """An include names a pipe, a socket or a device: reading it could block or never end."""


class DeckTooLarge(Exception):
    """Deck text over its limit: MAX_DECK_BYTES for a deck's files together."""


def read_deck_file(path: str) -> str:
    """The text of one deck file, as the loader reads it; raises OSError,
    UnicodeDecodeError, or DeckTooLarge over MAX_DECK_BYTES."""
    return _read_bytes(path, MAX_DECK_BYTES, regular_only=False).decode("utf-8-sig")


def _read_bytes(path: str, limit: int, regular_only: bool) -> bytes:
    """At most ``limit`` bytes of the file, else DeckTooLarge. ``regular_only``: refuse
    pipes and devices (a root deck may be one: the user names it)."""
    mode = os.stat(path).st_mode
    # a folder is left to open(), which names the fault itself
    if regular_only and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise _NotARegularFile()
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise DeckTooLarge()
    return data


class _Builder:
    def __init__(
        self,
        kinds: Mapping[str, CheckSpec],
        folder: str,
        roots: Iterable[str],
        parts: PartLayers | None = None,
    ) -> None:
        self.kinds = kinds
        self.parts = parts
        self.diagnostics: list[Diagnostic] = []
        self.sources: dict[str, str] = {}
        self.scope = _Scope()
        self.files: list[str] = []
        self.included: set[str] = set()  # the real path of every file read
        self.stack: list[str] = []
        self.file = ""
        self.units = "um"
        self.given_roots = _existing_folders(roots)
        self.roots = (
            os.path.realpath(folder),
            os.path.realpath(data_folder("rules")),
            *self.given_roots,
        )
        self.bytes_left = MAX_DECK_BYTES

    # ------------------------------------------------------------ files
    def read(self, path: str, at: tuple[str, syntax.Lexeme] | None) -> str | None:
        """The text of the deck file at ``path``. ``at``: the path as the including file
        writes it, and its string there to report on; None for the root deck."""
        try:
            text = self._read_text(path, regular_only=at is not None)
        except FileNotFoundError:
            if at is None:
                self.diagnostics.append(Diagnostic(path, 1, 1, "no such deck file"))
                return None
            written = at[0]
            looked = f" (looked for {path})" if os.path.normpath(written) != path else ""
            self._report(at[1], f"include file not found: {written}{looked}")
        except DeckTooLarge:
            if at is None:
                self.diagnostics.append(Diagnostic(path, 1, 1, over_limit_message(None)))
                return None
            self._report(at[1], over_limit_message(at[0]))
        except (OSError, UnicodeDecodeError, _NotARegularFile) as exc:
            reason = _read_failure(exc)
            if at is None:
                self.diagnostics.append(Diagnostic(path, 1, 1, f"cannot read deck: {reason}"))
                return None
            self._report(at[1], f"cannot read include file {at[0]}: {reason}")
        self.sources[path] = text
        return text

    def _read_text(self, path: str, regular_only: bool) -> str:
        """The file's text, counted against what is left of the deck's limit."""
        data = _read_bytes(path, max(0, self.bytes_left), regular_only)
        self.take_from_budget(len(data))
        return data.decode("utf-8-sig")  # a byte order mark is no text

    def take_from_budget(self, size: int) -> bool:
        """Count ``size`` bytes of deck text read; True when that passes the limit."""
        self.bytes_left -= size
        return self.bytes_left < 0

    def build_root(self, path: str, text: str | None) -> Deck:
        if text is not None:
            self.build_file(path, text)
        self._check_categories()
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
            self.given_roots,
        )

    def build_file(self, path: str, text: str) -> None:
        parsed = parse_text(text, path)
        self.diagnostics.extend(parsed.errors)
        self.files.append(path)
        self.included.add(os.path.realpath(path))
        self.stack.append(os.path.realpath(path))
        outer_file, outer_units = self.file, self.units
        self.file = path
        self.units = self._file_units(parsed)
        if len(self.stack) == 1:
            self.scope.units = self.units
        for statement in parsed.statements:
            with contextlib.suppress(_Invalid):
                self._statement(statement)
        self.file, self.units = outer_file, outer_units
        self.stack.pop()

    def _file_units(self, parsed: ParsedFile) -> str:
        found = [s for s in parsed.statements if isinstance(s, syntax.Units)]
        for extra in found[1:]:
            self._note(extra, "units are declared more than once in this file")
        if not found:
            return "um"
        written = found[0].unit
        unit = canonical_unit(written.text)
        if unit not in LENGTH_UNITS:
            self._note(written, f"units must be a length unit (nm, um or mm), not '{written}'")
            return "um"
        return unit

    # ------------------------------------------------------------ statements
    def _statement(self, statement: syntax.Statement) -> None:
        match statement:
            case syntax.DeckHeader():
                self._deck_header(statement)
            case syntax.Units():
                pass  # handled for the whole file by _file_units
            case syntax.Include():
                self._include(statement)
            case syntax.LayerStmt():
                self._layer(statement)
            case syntax.LetStmt():
                self._let(statement)
            case syntax.RuleStmt():
                self._rule(statement)

    def _deck_header(self, header: syntax.DeckHeader) -> None:
        if len(self.stack) > 1:
            return  # an included deck's header names that deck, not this one
        if self.scope.header is not None:
            self._report(header, "the deck header is given more than once")
        self.scope.header = (
            header.name.text,
            _unquote(header.title),
            _unquote(header.version),
        )

    def _include(self, include: syntax.Include) -> None:
        written = include.path
        relative = _unquote(written)
        if "\0" in relative:
            self._report(written, "an include path cannot hold a NUL character")
        path = os.path.normpath(os.path.join(os.path.dirname(self.file), relative))
        # the file itself, symbolic links resolved: the same file by any path is one file
        key = os.path.realpath(path)
        self._refuse_outside_roots(key, relative, written)
        if key in self.stack:
            chain = [os.path.relpath(p) for p in self.stack[self.stack.index(key) :]] + [
                os.path.relpath(key)
            ]
            self._report(written, "include cycle: " + " -> ".join(chain))
        if key in self.included:
            return  # included already (a diamond): its names are defined once
        if len(self.stack) > MAX_INCLUDE_DEPTH:
            self._report(
                written, f"includes nested too deeply (more than {MAX_INCLUDE_DEPTH} levels)"
            )
        text = self.read(path, (relative, written))
        if text is not None:
            self.build_file(path, text)

    def _refuse_outside_roots(self, real: str, relative: str, written: syntax.Lexeme) -> None:
        """Report an include whose file (``real``: its path with links resolved) lies
        under none of the deck roots, before anything reads it."""
        if any(os.path.commonpath((real, root)) == root for root in self.roots):
            return
        target = relative if real == relative else f"{relative} is {real}"
        self._report(
            written,
            f"include escapes the deck's folder: {target}, outside {self.roots[0]}; "
            "a deck root (--deck-root) allows it",
        )

    def _layer(self, statement: syntax.LayerStmt) -> None:
        name = statement.name.text
        description = _unquote(statement.description)
        self._define(statement.name)
        span = self._span(statement)
        try:
            layer = self._layer_source(name, statement.source, description, span)
        except _Invalid:
            self.scope.broken.add(name)
            raise
        if statement.optional is not None:
            layer = self._optional(layer, statement.optional)
        self.scope.layers[name] = layer

    def _optional(self, layer: Layer, word: syntax.Lexeme) -> Layer:
        if isinstance(layer, DrawnLayer):
            return replace(layer, optional=True)
        # noted, not abandoned: the layer stays defined, so its uses are checked as usual
        self._note(
            word,
            f"a derived layer cannot be optional: '{layer.name}' reads as empty where the "
            "drawn layers it is made of are absent; mark those optional",
        )
        return layer

    def _layer_source(
        self, name: str, source: syntax.Drawn | syntax.Expr, description: str, span: Span
    ) -> Layer:
        if isinstance(source, syntax.Drawn):
            written = source.layer
            layer, datatype = (
                self._gds_number(written, text, what)
                for text, what in zip(written.text.split("/"), ("layer", "datatype"))
            )
            return DrawnLayer(name, layer, datatype, description, span)
        spaced = _spaced_layer_number(source)
        if spaced is not None:
            self._report(
                source, f"a drawn layer is written layer/datatype without spaces: {spaced}"
            )
        return DerivedLayer(name, self.layer_expr(source), description, span)

    def _gds_number(self, written: syntax.Lexeme, text: str, what: str) -> int:
        digits = text.lstrip("0")
        if len(digits) > 5 or int(digits or "0") > 65535:  # int() refuses 4300+ digits
            self._report(written, f"{what} number {text} is out of range (0..65535)")
        return int(digits or "0")

    def _let(self, statement: syntax.LetStmt) -> None:
        name = statement.name.text
        self._define(statement.name)
        try:
            value = self.value(statement.value)
        except _Invalid:
            self.scope.broken.add(name)
            raise
        self.scope.variables[name] = value
        self.scope.variable_units[name] = self.units

    def _rule(self, statement: syntax.RuleStmt) -> None:
        rule_id = statement.rule_id
        description = _unquote(statement.description)
        severity = "error" if statement.severity is None else statement.severity.text
        first = self.scope.rule_spans.get(rule_id.text)
        if first is not None:
            self._report(rule_id, f"duplicate rule id '{rule_id}' (first defined at {first})")
        span = self._span(statement)
        self.scope.rule_spans.setdefault(rule_id.text, span)
        category = "" if statement.category is None else statement.category.text
        if statement.category is not None:
            self.scope.category_spans.setdefault(rule_id.text, self._span(statement.category))
        check = self.check(statement.check)
        if first is None:
            rule = Rule(rule_id.text, description, severity, check, span, category)
            self.scope.rules.append(rule)

    def _check_categories(self) -> None:
        """A category naming another rule must be that rule's own category: else the
        other rule's id would name two categories, or none of its markers."""
        rules = {rule.id: rule for rule in self.scope.rules}
        for rule in self.scope.rules:
            other = rules.get(rule.category)
            if other is None or other is rule or other.reported_under == rule.category:
                continue
            span = self.scope.category_spans[rule.id]
            self.diagnostics.append(
                Diagnostic(
                    span.file,
                    span.line,
                    span.column,
                    f"category '{rule.category}' is the id of the rule at {other.span}, "
                    f"reported under '{other.reported_under}'; give that rule "
                    f"'category {rule.category}' or choose another name",
                    max(1, span.end_column - span.column),
                )
            )

    def _define(self, written: syntax.Lexeme) -> None:
        name = written.text
        if name in UNITS:
            # after a number the word reads as the unit, never as the name
            self._report(written, f"'{name}' is a unit and cannot name a layer or a variable")
        first = self.scope.defined_at.get(name)
        if first is not None:
            self._report(written, f"'{name}' is already defined at {first}")
        self.scope.defined_at[name] = self._span(written)

    # ------------------------------------------------------------ checks
    def check(self, call: syntax.CheckCall) -> Check:
        kind = call.kind
        spec = self.kinds.get(kind.text)
        if spec is None:
            self._report(kind, f"unknown check '{kind}'" + _suggest(kind.text, self.kinds))
        layers = [a for a in call.args if not isinstance(a, syntax.KeywordArg)]
        keywords = [a for a in call.args if isinstance(a, syntax.KeywordArg)]
        self._keywords_last(spec, call.args)
        positional = self._positional(spec, kind, layers)
        params = self._params(spec, keywords, call)
        constraints = self._constraints(spec, call)
        self._check_specifics(spec, params, constraints, call)
        return Check(spec.kind, positional, params, constraints, self._span(call))

    def _keywords_last(self, spec: CheckSpec, args: tuple[syntax.Arg, ...]) -> None:
        seen_keyword = False
        for arg in args:
            if isinstance(arg, syntax.KeywordArg):
                seen_keyword = True
            elif seen_keyword:
                self._report(arg, f"layers come before keyword parameters: {spec.signature()}")

    def _positional(
        self, spec: CheckSpec, kind: syntax.Lexeme, args: list[syntax.Expr]
    ) -> tuple[LayerExpr, ...]:
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

    def _params(
        self, spec: CheckSpec, args: list[syntax.KeywordArg], call: syntax.CheckCall
    ) -> tuple[tuple[str, ParamValue], ...]:
        params: dict[str, ParamValue] = {}
        for arg in args:
            param = self._param(spec, arg.name)
            if param.name in params:
                self._report(arg.name, f"parameter '{arg.name}' is given twice")
            params[param.name] = self._param_value(param, arg.value)
        for param in spec.params:
            if param.required and param.name not in params:
                self._report(
                    call.kind,
                    f"{spec.kind} needs the parameter '{param.name}' ({spec.signature()})",
                )
        return tuple(params.items())

    def _param(self, spec: CheckSpec, name: syntax.Lexeme) -> Param:
        param = spec.param(name.text)
        if param is None:
            known = {p.name: p for p in spec.params}
            hint = _suggest(name.text, known) or (
                f" ({spec.kind} takes: {', '.join(known)})"
                if known
                else f" ({spec.kind} takes no parameters)"
            )
            self._report(name, f"unknown parameter '{name}' for {spec.kind}{hint}")
        return param

    def _param_value(self, param: Param, expr: syntax.Expr) -> ParamValue:
        if param.kind == LAYER:
            return self.layer_expr(expr)
        if param.kind == LENGTH:
            length = self.coerce(self.value(expr), Dim.LENGTH, expr, what=param.name)
            if param.zero_allowed:
                return self._not_negative(length, expr, param.name)
            return self._positive(length, expr, param.name)
        return self._word(expr, param.choices, param.name)

    def _constraints(self, spec: CheckSpec, call: syntax.CheckCall) -> tuple[Constraint, ...]:
        written = call.constraints
        if isinstance(written, syntax.Constraint):
            return (self._constraint(spec, written),)
        if written is not None and written.constraints:
            return tuple(self._constraint(spec, c) for c in written.constraints)
        prop = spec.default_prop
        if spec.constraint_required and prop is not None:
            self._report(
                written or call,
                f"{spec.kind} needs a constraint such as '{prop.ops[0]} {_example(prop.dim)}'",
            )
        return ()

    def _constraint(self, spec: CheckSpec, written: syntax.Constraint) -> Constraint:
        prop = self._prop(spec, written.prop, written)
        op, expr = written.op, written.value
        if op.text not in prop.ops:
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
        return Constraint(prop.name, op.text, value, self._span(written))

    def _prop(
        self, spec: CheckSpec, name: syntax.Lexeme | None, written: syntax.Constraint
    ) -> Prop:
        """The property a constraint bounds: the kind's default one when none is named."""
        if not spec.props:
            self._report(name or written, f"{spec.kind} takes no constraint ({spec.signature()})")
        if name is None:
            return spec.props[0]
        prop = spec.prop(name.text)
        if prop is None:
            known = {p.name: p for p in spec.props}
            hint = _suggest(name.text, known) or f" ({spec.kind} measures {', '.join(known)})"
            self._report(name, f"unknown property '{name}' for {spec.kind}{hint}")
        return prop

    def _check_specifics(
        self,
        spec: CheckSpec,
        params: tuple[tuple[str, ParamValue], ...],
        constraints: tuple[Constraint, ...],
        call: syntax.CheckCall,
    ) -> None:
        fault = spec.validate(dict(params), constraints) if spec.validate else None
        if fault is not None:
            self._report(call, fault)

    # ------------------------------------------------------------ expressions
    def layer_expr(self, expr: syntax.Expr) -> LayerExpr:
        result = self.expr(expr, expect="layer")
        if isinstance(result, Quantity):
            self._report(expr, "expected a layer, got a value")
        return result

    def value(self, expr: syntax.Expr) -> Quantity:
        result = self.expr(expr, expect="value")
        if not isinstance(result, Quantity):
            self._report(expr, "expected a value, got a layer")
        return result

    def expr(self, expr: syntax.Expr, expect: str) -> Quantity | LayerExpr:
        """``expr`` typed by what it turns out to be; ``expect`` ("layer" or "value") only
        chooses what an unknown name is reported as."""
        match expr:
            case syntax.Paren():
                return self.expr(expr.inner, expect)
            case syntax.Quantity():
                return self._quantity(expr)
            case syntax.Name():
                return self._name(expr, expect)
            case syntax.Neg():
                operand = self.value(expr.operand)
                return self._in_range(Quantity(-operand.value, operand.dim), expr)
            case syntax.Call():
                return self._sizing(expr)
            case syntax.Binary():
                return self._binary(expr)

    def _sizing(self, call: syntax.Call) -> Sizing:
        op = call.op.text
        layer = self.layer_expr(call.layer)
        what = f"{op} distance"
        distance = self.coerce(self.value(call.distance), Dim.LENGTH, call.distance, what)
        self._positive(distance, call.distance, what)
        return Sizing(op, layer, distance.value)

    def _binary(self, binary: syntax.Binary) -> Quantity | LayerExpr:
        op = binary.op.text
        if op in _LAYER_OPS or op in SELECT_OPS:
            left, right = self.layer_expr(binary.left), self.layer_expr(binary.right)
            return BoolOp(op, left, right) if op in _LAYER_OPS else Select(op, left, right)
        left_value, right_value = self.value(binary.left), self.value(binary.right)
        return self._arithmetic(op, left_value, right_value, binary.op)

    def _arithmetic(self, op: str, left: Quantity, right: Quantity, at: syntax.Lexeme) -> Quantity:
        return self._in_range(self._combine(op, left, right, at), at)

    def _combine(self, op: str, left: Quantity, right: Quantity, at: syntax.Lexeme) -> Quantity:
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

    def _quantity(self, quantity: syntax.Quantity) -> Quantity:
        if quantity.unit is None:
            return self._in_range(Quantity(float(quantity.number), Dim.NUMBER), quantity)
        dim, factor = UNITS[canonical_unit(quantity.unit)]
        return self._in_range(Quantity(_scaled(quantity.number, factor), dim), quantity)

    def _in_range(self, value: Quantity, at: syntax.Located) -> Quantity:
        """``value`` if it is finite and no larger than its dimension allows, with a
        negative zero made zero (it would print as -0 and compare as 0 anyway)."""
        fault = out_of_range(value.value, value.dim)
        if fault is not None:
            self._report(at, fault)
        return Quantity(value.value + 0.0, value.dim)

    def _name(self, used: syntax.Name, expect: str) -> Quantity | LayerExpr:
        name = used.text
        if name in self.scope.broken:
            raise _Invalid()
        if name in self.scope.layers:
            return LayerRef(name)
        if "." in name:
            return self._part_layer(used)
        if name in self.scope.variables:
            return self._variable(used)
        if expect == "layer":
            self._report(used, f"unknown layer '{name}'" + _suggest(name, self.scope.layers))
        self._report(used, f"unknown variable '{name}'" + _suggest(name, self.scope.variables))

    def _part_layer(self, used: syntax.Name) -> LayerRef:
        """``PART.LAYER``: the part's layer the assembly binds, a drawn layer of the deck."""
        try:
            self.scope.layers[used.text] = part_layer(used.text, self.parts)
        except UnknownPartLayer as exc:
            self._report(used, str(exc))
        return LayerRef(used.text)

    def _variable(self, used: syntax.Name) -> Quantity:
        value = self.scope.variables[used.text]
        defined_in = self.scope.variable_units[used.text]
        if value.dim is Dim.NUMBER and defined_in != self.units:
            # a plain number takes the unit of the file it is written in, and that is unknown here
            self._report(
                used,
                f"'{used.text}' is a plain number defined under 'units {defined_in}' "
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

    def coerce(
        self, value: Quantity, dim: Dim, at: syntax.Located, what: str | None = None
    ) -> Quantity:
        """``value`` as ``dim``; a plain number takes the file's default unit."""
        value = self._in_range(self._in_file_unit(value, dim), at)
        if value.dim is dim:
            return value
        if dim is Dim.RATIO and value.dim is Dim.NUMBER:
            self._report(at, f"{what or 'value'} needs a percentage such as 20 %")
        self._report(
            at, f"unit mismatch: {what or 'value'} needs {dim.article}, got {value.dim.article}"
        )

    def _not_negative(self, value: Quantity, at: syntax.Located, what: str) -> Quantity:
        if value.value < 0:
            self._report(at, f"{what} must not be negative")
        return value

    def _positive(self, value: Quantity, at: syntax.Located, what: str) -> Quantity:
        if value.value <= 0:
            self._report(at, f"{what} must be positive")
        return value

    def _word(self, expr: syntax.Expr, choices: tuple[str, ...], what: str) -> str:
        if not isinstance(expr, syntax.Name) or expr.text not in choices:
            self._report(expr, f"{what} must be one of {', '.join(choices)}")
        return expr.text

    # ------------------------------------------------------------ diagnostics
    def _span(self, node: syntax.Located) -> Span:
        at = node.position
        return Span(self.file, at.line, at.column, at.end_line, at.end_column)

    def _report(self, node: syntax.Located, message: str) -> NoReturn:
        """Record an error and abandon the statement."""
        self._note(node, message)
        raise _Invalid()

    def _note(self, node: syntax.Located, message: str) -> None:
        """Record an error and go on."""
        span = self._span(node)
        length = span.end_column - span.column if span.end_line == span.line else 1
        self.diagnostics.append(
            Diagnostic(self.file, span.line, span.column, message, max(1, length))
        )


def _spaced_layer_number(expr: syntax.Expr) -> str | None:
    """``1 / 0``, two plain whole numbers divided, is a drawn layer written with spaces:
    the layer as it should be written, or None for any other expression."""
    if not (isinstance(expr, syntax.Binary) and expr.op.text == "/"):
        return None
    numbers = [
        side.number
        for side in (expr.left, expr.right)
        if isinstance(side, syntax.Quantity) and side.unit is None and side.number.isdigit()
    ]
    return "/".join(numbers) if len(numbers) == 2 else None


def _unquote(string: syntax.Lexeme | None) -> str:
    """The text of a "string" as written, escapes resolved; "" when there is none."""
    if string is None:
        return ""
    body = string.text[1:-1]
    return body.replace('\\"', '"').replace("\\\\", "\\")


def _suggest(name: str, candidates: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if not close:
        close = [c for c in candidates if c.lower() == name.lower()]
    return f" (did you mean '{close[0]}'?)" if close else ""


def _scaled(number: str, factor: float) -> float:
    """``number * factor`` rounded once, so that 400 /mm2 is exactly 4e-4 /um2; an exponent
    beyond what decimals hold gives an infinity (reported as out of range) or zero."""
    with decimal.localcontext(decimal.Context(traps=[])):
        return float(Decimal(number) * Decimal(repr(factor)))


def _existing_folders(roots: Iterable[str]) -> tuple[str, ...]:
    """The deck roots given, symbolic links resolved; a root that is no folder is a
    mistake worth stopping for (its includes would be refused one by one)."""
    folders = tuple(roots)
    for root in folders:
        if not os.path.isdir(root):
            raise AdkError(f"deck root {root} is not a folder")
    return tuple(os.path.realpath(root) for root in folders)


def _read_failure(exc: OSError | UnicodeDecodeError | _NotARegularFile) -> str:
    if isinstance(exc, _NotARegularFile):
        return "not a regular file"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    return exc.strerror or str(exc)


def over_limit_message(include: str | None) -> str:
    """Why reading stopped: the deck's files together pass MAX_DECK_BYTES."""
    if include is None:
        return f"deck text over the limit of {_LIMIT_TEXT}"
    return f"include file {include} takes the deck's text over the limit of {_LIMIT_TEXT}"


def _example(dim: Dim) -> str:
    return {
        Dim.LENGTH: "2 um",
        Dim.AREA: "100 um2",
        Dim.PER_AREA: "400 /mm2",
        Dim.RATIO: "20 %",
        Dim.NUMBER: "1",
    }[dim]
