"""HTML pages for KLayout: a deck's rule manual (for the Rule Manual window, which shows HTML,
and for the grain's documentation) and the grain's front page, the package manager's
documentation link.

The manuals are the Markdown ``adk docs`` writes: headings, paragraphs, tables and code
spans, which is all this renders.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_CODE = re.compile(r"`([^`]*)`")
_CELL_BORDER = re.compile(r"(?<!\\)\|")
_TABLE_RULE = re.compile(r"\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?")


@dataclass(frozen=True)
class DeckEntry:
    """A shipped deck as the grain's front page lists it."""

    name: str
    title: str
    version: str
    manual: str  # the manual page, relative to the front page; empty for a deck with errors


def markdown_html(text: str) -> str:
    """The manual's Markdown as an HTML fragment."""
    out: list[str] = []
    for block in _blocks(text):
        first = block[0]
        heading = re.match(r"(#{1,6})\s+(.*)", first)
        if heading:
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif first.startswith("|"):
            out.append(_table(block))
        else:
            out.append(f"<p>{_inline(' '.join(block))}</p>")
    return "\n".join(out) + "\n"


def page(title: str, body: str) -> str:
    """A whole HTML document around ``body``."""
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>table { border-collapse: collapse } "
        "td, th { border: 1px solid #999; padding: 2px 6px; text-align: left }</style>"
        f"</head><body>\n{body}</body></html>\n"
    )


def front_page(title: str, description: str, decks: list[DeckEntry]) -> str:
    """The grain's documentation: what it is, and each shipped deck with its manual."""
    rows = "".join(
        f"<tr><td>{_link(d.name, d.manual)}</td>"
        f"<td>{html.escape(d.title)}</td><td>{html.escape(d.version)}</td></tr>\n"
        for d in decks
    )
    body = (
        f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(description)}</p>\n"
        "<h2>Rule decks</h2>\n<table><tr><th>deck</th><th>title</th><th>version</th></tr>\n"
        f"{rows}</table>\n"
    )
    return page(title, body)


def _link(text: str, href: str) -> str:
    if not href:
        return html.escape(text)
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def _blocks(text: str) -> list[list[str]]:
    """Runs of non-blank lines; a heading is a block of its own."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            if current:
                blocks.append(current)
                current = []
            if line.startswith("#"):
                blocks.append([line])
        else:
            current.append(line)
    if current:
        blocks.append(current)
    return blocks


def _table(rows: list[str]) -> str:
    cells = [_cells(row) for row in rows if not _TABLE_RULE.fullmatch(row.strip())]
    header, body = cells[0], cells[1:]
    lines = ["<table>", "<tr>" + "".join(f"<th>{c}</th>" for c in header) + "</tr>"]
    lines += ["<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in body]
    return "\n".join(lines + ["</table>"])


def _cells(row: str) -> list[str]:
    inner = row.strip().removeprefix("|")
    if inner.endswith("|") and not inner.endswith("\\|"):
        inner = inner[:-1]
    return [_inline(part.strip().replace("\\|", "|")) for part in _CELL_BORDER.split(inner)]


def _inline(text: str) -> str:
    """Escaped text with its code spans as <code>."""
    pieces = _CODE.split(text)
    return "".join(
        f"<code>{html.escape(piece)}</code>" if index % 2 else html.escape(piece)
        for index, piece in enumerate(pieces)
    )
