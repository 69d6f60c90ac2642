"""Canonical formatting of deck text: idempotent, comments kept, meaning unchanged.

Works on one file's parse tree (includes are not expanded). Parentheses are kept
as written, so the formatted expression means exactly what the source meant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lark import Token, Tree

from adk.errors import DeckError
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
    statements = parsed.tree.children
    items = [_Item(s.meta.line, s.meta.end_line, _statement(s)) for s in statements]
    _attach_comments(items, statements, parsed.comments)
    return _render(items, parsed.comments, statements)


def _attach_comments(items: list[_Item], statements: list[Tree], comments: list[Comment]) -> None:
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


def _output_line(statement: Tree, line: int, count: int) -> tuple[int, bool]:
    """Which output line of a statement a comment on source ``line`` goes with, and
    whether it stands on a line of its own (inside a block) rather than trailing."""
    check = statement.children[-1] if statement.data == "rule_stmt" else None
    block = (
        check.children[-1]
        if isinstance(check, Tree)
        and check.children
        and isinstance(check.children[-1], Tree)
        and check.children[-1].data == "block"
        else None
    )
    if block is None or line <= block.meta.line:
        return (0 if block else count - 1), False
    for index, constraint in enumerate(block.children):
        if constraint.meta.line <= line <= constraint.meta.end_line:
            return index + 1, False
        if line < constraint.meta.line:
            return index + 1, True
    return count - 1, line < block.meta.end_line


def _render(items: list[_Item], comments: list[Comment], statements: list[Tree]) -> str:
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
    out = []
    for index, line in enumerate(item.lines):
        texts = trailing.get(index, [])
        indent = INDENT if index else ""  # lines inside a block are indented
        out.extend(indent + text for text in above.get(index, []) + texts[:-1])
        out.append(f"{line}  {texts[-1]}" if texts else line)
    return out


def _align_layers(items: list[_Item], statements: list[Tree]) -> None:
    """Line up name, source and description in runs of adjacent layer statements."""
    run: list[int] = []
    for index, statement in enumerate(statements + [None]):
        adjacent = (
            statement is not None
            and statement.data == "layer_stmt"
            and (
                not run
                or statement.meta.line
                <= statements[run[-1]].meta.end_line + 1 + len(items[index].leading)
            )
        )
        if adjacent:
            run.append(index)
            continue
        if len(run) > 1:
            _align_run(items, statements, run)
        run = [index] if statement is not None and statement.data == "layer_stmt" else []


def _align_run(items: list[_Item], statements: list[Tree], run: list[int]) -> None:
    parts = [_layer_parts(statements[i]) for i in run]
    name_width = max(len(p[0]) for p in parts)
    drawn = [p[1] for i, p in zip(run, parts) if statements[i].children[1].data == "drawn"]
    source_width = max((len(text) for text in drawn), default=0)
    for index, (name, source, description) in zip(run, parts):
        line = f"layer {name.ljust(name_width)} = {source}"
        if description:
            line = f"layer {name.ljust(name_width)} = {source.ljust(source_width)} {description}"
        items[index].lines = [line]


def _layer_parts(tree: Tree) -> tuple[str, str, str]:
    source = tree.children[1]
    text = (
        str(source.children[0])
        if isinstance(source, Tree) and source.data == "drawn"
        else expr(source)
    )
    description = str(tree.children[2]) if len(tree.children) > 2 else ""
    return str(tree.children[0]), text, description


# ---------------------------------------------------------------- statements
def _statement(tree: Tree) -> list[str]:
    kind = tree.data
    if kind == "deck_header":
        line = f"deck {tree.children[0]}"
        for child in tree.children[1:]:
            line += f" {child}" if isinstance(child, Token) else f" version {child.children[0]}"
        return [line]
    if kind == "units_stmt":
        return [f"units {canonical_unit(str(tree.children[0]))}"]
    if kind == "include_stmt":
        return [f"include {tree.children[0]}"]
    if kind == "layer_stmt":
        name, source, description = _layer_parts(tree)
        return [f"layer {name} = {source}" + (f" {description}" if description else "")]
    if kind == "let_stmt":
        return [f"let {tree.children[0]} = {expr(tree.children[1])}"]
    if kind == "rule_stmt":
        return _rule(tree)
    raise AssertionError(kind)  # pragma: no cover


def _rule(tree: Tree) -> list[str]:
    head = f"rule {tree.children[0]}"
    for child in tree.children[1:-1]:
        head += f" {child}" if isinstance(child, Token) else f" {child.children[0]}"
    check = tree.children[-1]
    kind, *args = check.children
    constraint = args.pop() if args and args[-1].data in ("default_constraint", "block") else None
    call = f"{kind}({', '.join(_arg(a) for a in args)})"
    if constraint is None:
        return [f"{head} : {call}"]
    if constraint.data == "default_constraint":
        return [f"{head} : {call} {constraint.children[0]} {expr(constraint.children[1])}"]
    lines = [f"{head} : {call} {{"]
    for item in constraint.children:
        name, op, value = item.children
        lines.append(f"{INDENT}{name} {op} {expr(value)}")
    return lines + ["}"]


def _arg(tree: Tree) -> str:
    if tree.data == "keyword_arg":
        return f"{tree.children[0]} {expr(tree.children[1])}"
    return expr(tree)


def expr(tree: Tree | Token) -> str:
    """An expression in canonical spelling."""
    kind = tree.data
    if kind == "quantity":
        number = str(tree.children[0])
        return (
            number
            if len(tree.children) == 1
            else f"{number} {canonical_unit(str(tree.children[1]))}"
        )
    if kind == "name":
        return str(tree.children[0])
    if kind == "paren":
        return f"({expr(tree.children[0])})"
    if kind == "neg":
        return f"-{expr(tree.children[0])}"
    if kind == "call":
        return f"{tree.children[0].children[0]}({expr(tree.children[1])}, {expr(tree.children[2])})"
    if kind == "binary":
        left, op, right = tree.children
        op_text = str(op.children[0]) if isinstance(op, Tree) else str(op)
        return f"{expr(left)} {op_text} {expr(right)}"
    raise AssertionError(kind)  # pragma: no cover
