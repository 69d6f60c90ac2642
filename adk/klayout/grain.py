"""The grain's description (``grain.xml``) and documentation pages, from the installed adk.

KLayout's package manager reads ``grain.xml`` (``lay::SaltGrain``): ``name``, ``version``,
``api-version`` (``0.28; python 3.10``: the KLayout API and features the package needs),
``title``, ``doc``, ``doc-url``, ``url``, ``license``, ``author``, ``author-contact``,
``authored-time``, ``installed-time`` and one ``depends`` element (``name``, ``url``,
``version``) per package it needs. The adk grain needs no other package: numpy and scipy
are Python modules, which the install checks in KLayout's Python instead.

``url`` is where a package was downloaded from; KLayout shows a grain with one as read-only.
``doc-url`` relative to the grain opens the file in it, here the grain's front page.
Author and links come from the installed package's metadata when it declares them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from importlib import metadata
from pathlib import Path
from xml.sax.saxutils import escape

from adk.klayout import pages
from adk.version import __version__

GRAIN = "adk"
TITLE = "ADK: assembly design kit rule checker"
KLAYOUT_API = "0.28"  # the oldest application the menu is tested in
FRONT_PAGE = "docs/index.html"
MANUALS = "docs/rules"
DOC = (
    "Checks the layout of the current view against the assembly design rules of advanced "
    "semiconductor packages (FOCoS, FOPoP, FOSiP, 2.5D and 3D IC, co-packaged optics): the "
    "ADK menu runs a shipped or your own rule deck with every rule kind, opens the markers in "
    "the marker browser, names the deck's layers in the Layers panel, summarises the run and "
    "shows each deck's rule manual. KLayout's Python needs numpy and scipy "
    "(Debian: apt-get install python3-numpy python3-scipy)."
)
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
_HOME_LABELS = ("homepage", "home", "source", "repository")
_DOC_LABELS = ("documentation", "docs")


@dataclass(frozen=True)
class GrainInfo:
    """What grain.xml says about the package."""

    version: str
    api_version: str
    doc_url: str
    url: str
    author: str
    author_contact: str
    license: str
    installed_time: str  # ISO 8601, as KLayout writes it


def grain_info(python: str, installed: datetime | None = None) -> GrainInfo:
    """The description of the installed adk; ``python``: the oldest Python it runs in."""
    meta = _metadata()
    links = _project_urls(meta)
    author, contact = _author(meta)
    return GrainInfo(
        version=__version__,
        api_version=f"{KLAYOUT_API}; python {python}" if python else KLAYOUT_API,
        doc_url=_first(links, _DOC_LABELS) or FRONT_PAGE,
        url=_first(links, _HOME_LABELS),
        author=author or "adk developers",
        author_contact=contact,
        license=meta.get("License-Expression") or meta.get("License") or "",
        installed_time=(installed or datetime.now()).replace(microsecond=0).isoformat(),
    )


def grain_xml(info: GrainInfo) -> str:
    """grain.xml with the elements KLayout's package manager reads."""
    elements = [
        ("name", GRAIN),
        ("version", info.version),
        ("api-version", info.api_version),
        ("title", TITLE),
        ("doc", DOC),
        ("doc-url", info.doc_url),
        ("url", info.url),
        ("license", info.license),
        ("author", info.author),
        ("author-contact", info.author_contact),
        ("installed-time", info.installed_time),
        ("hidden", "false"),
    ]
    lines = [
        f" <{tag}>{escape(value)}</{tag}>" if value else f" <{tag}/>" for tag, value in elements
    ]
    return f"{XML_DECLARATION}<salt-grain>\n" + "\n".join(lines) + "\n</salt-grain>\n"


def grain_pages(decks: dict[str, Path]) -> dict[str, str]:
    """The grain's documentation: its front page and each deck's manual, by path in the grain.
    A deck that does not load is listed with its first error instead of a manual."""
    import adk
    from adk.errors import AdkError
    from adk.report.manual import deck_manual

    files, entries = {}, []
    for name, path in decks.items():
        try:
            deck = adk.load_deck(path)
        except AdkError as exc:
            entries.append(pages.DeckEntry(name, f"cannot be read: {_first_line(exc)}", "", ""))
            continue
        manual = deck_manual(deck, os.path.dirname(os.path.abspath(path)))
        title = deck.title or deck.name
        files[f"{MANUALS}/{name}.html"] = pages.page(title, pages.markdown_html(manual))
        entries.append(pages.DeckEntry(name, title, deck.version, f"rules/{name}.html"))
    files[FRONT_PAGE] = pages.front_page(TITLE, DOC, entries)
    return files


def _first_line(exc: Exception) -> str:
    diagnostics = getattr(exc, "diagnostics", None)
    return diagnostics[0].render() if diagnostics else str(exc).splitlines()[0]


def _metadata() -> Message:
    try:
        return metadata.metadata(GRAIN)  # type: ignore[return-value]
    except metadata.PackageNotFoundError:  # run from a clone that was never installed
        return Message()


def _project_urls(meta: Message) -> dict[str, str]:
    """Project-URL entries (``Label, URL``) by lower-case label."""
    links = {}
    for entry in meta.get_all("Project-URL") or ():
        label, _, url = entry.partition(",")
        links[label.strip().lower()] = url.strip()
    if meta.get("Home-page"):
        links.setdefault("homepage", meta["Home-page"])
    return links


def _first(links: dict[str, str], labels: Iterable[str]) -> str:
    return next((links[label] for label in labels if links.get(label)), "")


def _author(meta: Message) -> tuple[str, str]:
    """The author's name and e-mail address, from Author, Author-email or Maintainer."""
    email = meta.get("Author-email") or meta.get("Maintainer-email") or ""
    name = meta.get("Author") or meta.get("Maintainer") or ""
    if email and "<" in email:  # "Name <address>"
        named, _, address = email.partition("<")
        return name or named.strip().strip('"'), address.rstrip(">").strip()
    return name, email
