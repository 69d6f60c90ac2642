"""Canonical formatting of deck text: idempotent, comments kept, meaning unchanged.

Works on one file's syntax tree (includes are not expanded). Parentheses are kept
as written, so the formatted expression means exactly what the source meant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adk.errors import DeckError
from adk.lang import syntax
from adk.lang.parser import Comment, parse_text
from adk.lang.units import canonical_unit

INDENT = "    "


@dataclass
class _Item:
    """A statement with the comments that belong to it."""

    first: int
    last: int
    lines: list[str]
    leading: list[Comment] = field(default_factory=list)
    # comments inside the statement: (output line index, on a line of its own, comment)
    inner: list[tuple[int, bool, Comment]] = field(default_factory=list)


def format_text(text: str, path: str = "<deck>") -> str:
    """The canonical form of ``text``; raises DeckError on syntax errors."""
    parsed = parse_text(text, path)
    if parsed.errors:
        raise DeckError(parsed.errors, {path: text})
    statements = list(parsed.statements)
    items = [_Item(s.position.line, s.position.end_line, _statement(s)) for s in statements]
    _attach_comments(items, statements, parsed.comments)
    return _render(items, parsed.comments, statements)


def _attach_comments(
    items: list[_Item], statements: list[syntax.Statement], comments: list[Comment]
) -> None:
    for comment in comments:
        inside = next(
            (i for i, item in enumerate(items) if item.first <= comment.line <= item.last), None
        )
        if inside is not None:
            item = items[inside]
            index, own_line = _output_line(statements[inside], comment.line, len(item.lines))
            item.inner.append((index, own_line, comment))
            continue
        following = next((item for item in items if item.first > comment.line), None)
        if following is not None:
            following.leading.append(comment)


def _output_line(statement: syntax.Statement, line: int, count: int) -> tuple[int, bool]:
    """Which output line of a statement a comment on source ``line`` goes with, and
    whether it stands on a line of its own (inside a block) rather than trailing."""
    block = _block(statement)
    if block is None or line <= block.position.line:
        return (0 if block else count - 1), False
    for index, constraint in enumerate(block.constraints):
        if constraint.position.line <= line <= constraint.position.end_line:
            return index + 1, False
        if line < constraint.position.line:
            return index + 1, True
    return count - 1, line < block.position.end_line


def _block(statement: syntax.Statement) -> syntax.Block | None:
    """The constraint block of a rule, the one statement laid out on several lines."""
    if isinstance(statement, syntax.RuleStmt):
        constraints = statement.check.constraints
        if isinstance(constraints, syntax.Block):
            return constraints
    return None


def _render(items: list[_Item], comments: list[Comment], statements: list[syntax.Statement]) -> str:
    out: list[str] = []
    previous_end = 0
    _align_layers(items, statements)
    for item in items:
        start = item.leading[0].line if item.leading else item.first
        if out and start > previous_end + 1:
            out.append("")
        last_comment_line = None
        for comment in item.leading:
            if last_comment_line is not None and comment.line > last_comment_line + 1:
                out.append("")
            out.append(comment.text)
            last_comment_line = comment.line
        if item.leading and item.first > item.leading[-1].line + 1:
            out.append("")
        out.extend(_with_comments(item))
        previous_end = item.last
    tail = [c for c in comments if c.line > previous_end]
    for comment in tail:
        if out and comment.line > previous_end + 1:
            out.append("")
        out.append(comment.text)
        previous_end = comment.line
    return "\n".join(out) + "\n" if out else ""


def _with_comments(item: _Item) -> list[str]:
    """The statement's lines with its inner comments: one trails each line; comments on
    lines of their own, and further ones for a line, go above it, in source order."""
    above: dict[int, list[str]] = {}
    trailing: dict[int, list[str]] = {}
    for index, own_line, comment in item.inner:
        (above if own_line else trailing).setdefault(index, []).append(comment.text)
    out: list[str] = []
    for index, line in enumerate(item.lines):
        texts = trailing.get(index, [])
        indent = INDENT if index else ""  # lines inside a block are indented
        out.extend(indent + text for text in above.get(index, []) + texts[:-1])
        out.append(f"{line}  {texts[-1]}" if texts else line)
    return out


def _align_layers(items: list[_Item], statements: list[syntax.Statement]) -> None:
    """Line up name, source and description in runs of adjacent layer statements."""
    run: list[tuple[_Item, syntax.LayerStmt]] = []
    for item, statement in zip(items, statements):
        if not isinstance(statement, syntax.LayerStmt):
            _align_run(run)
            run = []
            continue
        # the run goes on unless lines other than this statement's comments come between
        above = statement.position.line - 1 - len(item.leading)
        if run and above > run[-1][1].position.end_line:
            _align_run(run)
            run = []
        run.append((item, statement))
    _align_run(run)


def _align_run(run: list[tuple[_Item, syntax.LayerStmt]]) -> None:
    if len(run) < 2:
        return
    parts = [_layer_parts(layer) for _, layer in run]
    name_width = max(len(name) for name, _, _ in parts)
    drawn = [
        source
        for (_, layer), (_, source, _) in zip(run, parts)
        if isinstance(layer.source, syntax.Drawn)
    ]
    source_width = max((len(text) for text in drawn), default=0)
    for (item, _), (name, source, description) in zip(run, parts):
        line = f"layer {name.ljust(name_width)} = {source}"
        if description:
            line = f"layer {name.ljust(name_width)} = {source.ljust(source_width)} {description}"
        item.lines = [line]


def _layer_parts(layer: syntax.LayerStmt) -> tuple[str, str, str]:
    """Name, source and description; ``optional`` goes with the source, so descriptions
    line up after it."""
    source = layer.source
    text = source.layer.text if isinstance(source, syntax.Drawn) else expr(source)
    if layer.optional is not None:
        text += " optional"
    description = "" if layer.description is None else layer.description.text
    return layer.name.text, text, description


# ---------------------------------------------------------------- statements
def _statement(statement: syntax.Statement) -> list[str]:
    match statement:
        case syntax.DeckHeader():
            return [_deck_header(statement)]
        case syntax.Units():
            return [f"units {canonical_unit(statement.unit.text)}"]
        case syntax.Include():
            return [f"include {statement.path}"]
        case syntax.LayerStmt():
            name, source, description = _layer_parts(statement)
            return [f"layer {name} = {source}" + (f" {description}" if description else "")]
        case syntax.LetStmt():
            return [f"let {statement.name} = {expr(statement.value)}"]
        case syntax.RuleStmt():
            return _rule(statement)


def _deck_header(header: syntax.DeckHeader) -> str:
    line = f"deck {header.name}"
    if header.title is not None:
        line += f" {header.title}"
    if header.version is not None:
        line += f" version {header.version}"
    return line


def _rule(rule: syntax.RuleStmt) -> list[str]:
    head = f"rule {rule.rule_id}"
    if rule.description is not None:
        head += f" {rule.description}"
    if rule.severity is not None:
        head += f" {rule.severity}"
    if rule.category is not None:
        head += f" category {rule.category}"
    check = rule.check
    call = f"{check.kind}({', '.join(_arg(a) for a in check.args)})"
    constraints = check.constraints
    if constraints is None:
        return [f"{head} : {call}"]
    if isinstance(constraints, syntax.Constraint):
        return [f"{head} : {call} {constraints.op} {expr(constraints.value)}"]
    lines = [f"{head} : {call} {{"]
    for item in constraints.constraints:
        lines.append(f"{INDENT}{item.prop} {item.op} {expr(item.value)}")
    return lines + ["}"]


def _arg(arg: syntax.Arg) -> str:
    if isinstance(arg, syntax.KeywordArg):
        return f"{arg.name} {expr(arg.value)}"
    return expr(arg)


def expr(node: syntax.Expr) -> str:
    """An expression in canonical spelling."""
    match node:
        case syntax.Quantity():
            if node.unit is None:
                return node.number
            return f"{node.number} {canonical_unit(node.unit)}"
        case syntax.Name():
            return node.text
        case syntax.Paren():
            return f"({expr(node.inner)})"
        case syntax.Neg():
            return f"-{expr(node.operand)}"
        case syntax.Call():
            return f"{node.op}({expr(node.layer)}, {expr(node.distance)})"
        case syntax.Binary():
            return f"{expr(node.left)} {node.op} {expr(node.right)}"
