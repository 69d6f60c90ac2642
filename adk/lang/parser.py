"""Text to syntax tree: lark LALR with positions, comments kept aside, and error recovery.

On a syntax error the failing statement is blanked out (newlines kept, so every
position stays true) and the file is parsed again, so one run reports every
statement that does not parse. The search for the next error starts after the last
one (what lies before is blanked for it too), so a file is parsed about twice, however
many errors it has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr

from adk.errors import Diagnostic
from adk.lang.syntax import Statement, from_parse_tree
from adk.resources import data_folder

MAX_DEPTH = 100
MAX_ERRORS = 100
STATEMENT_START = re.compile(r"^[ \t]*(deck|units|include|layer|let|rule)\b", re.MULTILINE)

_TERMINAL_NAMES = {
    "NAME": "a name",
    "PART_LAYER": "a name",  # PART.LAYER: a name too, where a name may stand
    "NUMBER": "a number",
    "STRING": 'a "string"',
    "UNIT": "a unit",
    "RULE_ID": "a rule id",
    "GDS_LAYER": "layer/datatype",
    "COMPARE": "a comparison (>=, >, <=, <, ==)",
    "ADD_OP": "'+' or '-'",
    "MUL_OP": "'*' or '/'",
    "$END": "end of file",
}


def grammar_text() -> str:
    """The grammar shipped with the package (or beside it in a source checkout)."""
    return (data_folder("grammar") / "adk.lark").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(grammar_text(), parser="lalr", propagate_positions=True, maybe_placeholders=False)


_STRING_OR_COMMENT = re.compile(r'"([^"\\\n]|\\.)*"|#[^\n]*')
_OPERATORS = {
    "'and'",
    "'or'",
    "'xor'",
    "'not'",
    "'inside'",
    "'outside'",
    "'interacting'",
    "'not_inside'",
    "'not_outside'",
    "'not_interacting'",
    "'+' or '-'",
    "'*' or '/'",
}


@dataclass(frozen=True)
class Comment:
    """A ``#`` comment: where it starts and its text."""

    line: int
    column: int
    text: str


@dataclass
class ParsedFile:
    """One file's statements that parsed, its comments and its syntax errors."""

    path: str
    text: str
    statements: tuple[Statement, ...]
    comments: list[Comment]
    errors: list[Diagnostic]


def parse_text(text: str, path: str) -> ParsedFile:
    """Parse ``text`` (the contents of ``path``), recovering after each bad statement."""
    errors: list[Diagnostic] = []
    work = text  # the text with every statement that failed blanked
    rest = text  # ``work`` with everything up to ``looked_to`` blanked as well
    looked_to = 0
    while len(errors) < MAX_ERRORS:
        try:
            tree = _parser().parse(rest)
        except UnexpectedInput as exc:
            errors.append(_syntax_diagnostic(exc, path, rest))
            start, end = _failing_statement(rest, _error_offset(exc, rest))
            blanked = _blank(work, start, end)
            if blanked == work:
                break
            # statements end where the next begins, so the parser stands after the
            # blanked prefix as it would after the statements it held
            work, rest, looked_to = blanked, _blank(rest, looked_to, end), end
            continue
        if looked_to:  # the rest parses: now the whole text, without the failures
            rest, looked_to = work, 0
            continue
        deep = _too_deep(tree)
        if not deep:
            statements = from_parse_tree(tree)
            return ParsedFile(path, text, statements, find_comments(text), errors)
        errors.extend(_nested_too_deeply(path, statement) for statement in deep)
        for statement in deep:
            work = _blank(work, statement.meta.start_pos, statement.meta.end_pos)
        rest = work
    return _give_up(path, text, errors)


def _nested_too_deeply(path: str, statement: Tree) -> Diagnostic:
    meta = statement.meta
    message = f"expression nested too deeply (more than {MAX_DEPTH} levels)"
    return Diagnostic(path, meta.line, meta.column, message)


def _give_up(path: str, text: str, errors: list[Diagnostic]) -> ParsedFile:
    """Stop recovering: a file this broken is not worth checking statement by statement."""
    if len(errors) >= MAX_ERRORS:
        last = errors[-1]
        errors.append(
            Diagnostic(
                path,
                last.line,
                last.column,
                "too many syntax errors; the rest of the file is not checked",
            )
        )
    return ParsedFile(path, text, (), find_comments(text), errors)


def _too_deep(tree: Tree) -> list[Tree]:
    """The statements nested deeper than MAX_DEPTH: deeper trees would exhaust the
    recursion of the builder and the formatter."""
    return [statement for statement in tree.children if _deeper_than(statement, MAX_DEPTH)]


def _deeper_than(statement: Tree, most: int) -> bool:
    stack = [(statement, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > most:
            return True
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return False


def find_comments(text: str) -> list[Comment]:
    """Every comment in ``text`` (a ``#`` inside a string is not one)."""
    comments = []
    for match in _STRING_OR_COMMENT.finditer(text):
        if match.group(0).startswith("#"):
            line = text.count("\n", 0, match.start()) + 1
            column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
            comments.append(Comment(line, column, match.group(0).rstrip()))
    return comments


def _error_offset(exc: UnexpectedInput, text: str) -> int:
    token = getattr(exc, "token", None)
    if isinstance(exc, UnexpectedEOF) or getattr(token, "type", "") == "$END":
        return len(text)
    pos = getattr(exc, "pos_in_stream", None)
    if pos is None and isinstance(exc, UnexpectedToken):
        pos = exc.token.start_pos
    return len(text) if pos is None else pos


def _failing_statement(text: str, offset: int) -> tuple[int, int]:
    """Where the statement around ``offset`` starts, and where the next one does."""
    starts = [m.start(1) for m in STATEMENT_START.finditer(text)]
    at_statement = offset in starts
    before = [s for s in starts if s < offset or (s == offset and not at_statement)]
    start = before[-1] if before else 0
    end = next((s for s in starts if s > offset), len(text))
    if at_statement:
        end = offset
    if end <= start:  # nothing to blank before the error: drop the offending text itself
        end = next((s for s in starts if s > offset), len(text))
        start = offset
    return start, end


def _blank(text: str, start: int, end: int) -> str:
    """``text`` with ``[start, end)`` turned to spaces, newlines kept so positions stay true."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _syntax_diagnostic(exc: UnexpectedInput, path: str, text: str) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        char = exc.char
        message = "unterminated string" if char == '"' else f"unexpected character {char!r}"
        return Diagnostic(path, exc.line, exc.column, message)
    expected = _accepted(exc)
    token = getattr(exc, "token", None)
    if token is None or token.type == "$END":
        return _incomplete(path, text, len(text), expected)
    line_start = token.start_pos - token.column + 1
    if STATEMENT_START.match(text, line_start) and text[line_start : token.start_pos].strip() == "":
        return _incomplete(path, text, token.start_pos, expected)
    message = f"unexpected {_describe_token(token)}; expected {_expected(expected)}"
    return Diagnostic(path, token.line, token.column, message, length=len(str(token)))


def _accepted(exc: UnexpectedInput) -> set[str]:
    """The terminals that could really come next. LALR's own list also holds lookaheads
    merged in from other contexts (a ')' after a whole statement)."""
    interactive = getattr(exc, "interactive_parser", None)
    if interactive is not None:
        return set(interactive.accepts())
    return set(getattr(exc, "expected", None) or ())


def _incomplete(path: str, text: str, offset: int, expected: set[str]) -> Diagnostic:
    """A statement cut short: point just after its last token."""
    code = _STRING_OR_COMMENT.sub(
        lambda m: m.group(0) if m.group(0).startswith('"') else " " * len(m.group(0)), text[:offset]
    )
    end = len(code.rstrip())
    line = text.count("\n", 0, end) + 1
    column = end - (text.rfind("\n", 0, end) + 1) + 1
    return Diagnostic(path, line, column, f"incomplete statement; expected {_expected(expected)}")


def _describe_token(token: Token) -> str:
    if token.type in ("NAME", "RULE_ID", "PART_LAYER"):
        return f"name '{token}'"
    if token.type == "NUMBER":
        return f"number {token}"
    if token.type == "STRING":
        return f"string {token}"
    return f"'{token}'"


def _expected(names: set[str]) -> str:
    parser = _parser()
    words = set()
    for name in names:
        if name in _TERMINAL_NAMES:
            words.add(_TERMINAL_NAMES[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            words.add(name.lower())
            continue
        words.add(f"'{pattern.value}'" if isinstance(pattern, PatternStr) else name.lower())
    statements = {"'deck'", "'units'", "'include'", "'layer'", "'let'", "'rule'"}
    if statements <= words:
        words -= statements | {"end of file"}
        words.add("a statement (deck, units, include, layer, let, rule)")
    if len(words) > 6 and words & _OPERATORS:
        words = (words - _OPERATORS) | {"an operator"}
    ordered = sorted(words)
    if len(ordered) <= 1:
        return "".join(ordered)
    return ", ".join(ordered[:-1]) + " or " + ordered[-1]
