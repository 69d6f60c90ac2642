"""``adk lint``, ``adk rules``, ``adk fmt``: working on decks."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from adk.cli.common import EXIT_BAD_INPUT, EXIT_CLEAN, EXIT_VIOLATIONS, Subparsers, write_atomically

if TYPE_CHECKING:
    from adk.errors import DeckError, Diagnostic
    from adk.lang.model import Deck

# what lint says of a PART.LAYER name in a deck linted without an assembly
NO_ASSEMBLY = (
    "'{name}' is a layer of the part '{part}' (PART.LAYER), which only an assembly has: "
    "lint the deck with --assembly ASSEMBLY.yaml|STACK.3dbx"
)


def add_deck_root_option(parser: argparse.ArgumentParser) -> None:
    """``--deck-root DIR``, repeatable: a folder a deck's includes may read beyond its own."""
    parser.add_argument(
        "--deck-root",
        action="append",
        default=[],
        dest="deck_roots",
        metavar="DIR",
        help="a folder the deck may include files from, besides its own folder and the "
        "shipped decks' (repeatable)",
    )


def register(sub: Subparsers) -> None:
    lint = sub.add_parser(
        "lint",
        help="check decks for errors",
        description="Parse and validate rule decks; print every error with file:line:col.",
    )
    lint.add_argument("decks", nargs="+", metavar="DECK")
    lint.add_argument(
        "--assembly",
        metavar="ASSEMBLY.yaml|STACK.3dbx",
        help="the assembly the decks are written for: their PART.LAYER names are checked "
        "against its parts and layers, no layout read (docs/assembly.md)",
    )
    add_deck_root_option(lint)
    lint.set_defaults(func=lint_decks)

    rules = sub.add_parser(
        "rules",
        help="list a deck's rules",
        description="List the rules of a "
        "deck: id, check kind, layers, value, severity, description.",
    )
    rules.add_argument("deck", metavar="DECK", help="a deck file or a shipped deck's name")
    rules.add_argument("--format", choices=("table", "json"), default="table")
    add_deck_root_option(rules)
    rules.set_defaults(func=list_rules)

    fmt = sub.add_parser(
        "fmt",
        help="format decks canonically",
        description="Rewrite decks in canonical form (comments kept, meaning unchanged).",
    )
    fmt.add_argument("decks", nargs="+", metavar="DECK")
    fmt.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a deck is not formatted"
    )
    fmt.set_defaults(func=format_decks)


def lint_decks(args: argparse.Namespace) -> int:
    from adk.errors import DeckError

    load = _assembly_deck_loader(args) if args.assembly else _deck_loader(args)
    status = EXIT_CLEAN
    for path in args.decks:
        try:
            deck = load(path)
        except DeckError as exc:
            print((exc if args.assembly else _without_assembly(exc)).render(), file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        print(f"{path}: ok ({len(deck.rules)} rules, {len(deck.layers)} layers)")
    return status


def _deck_loader(args: argparse.Namespace) -> Callable[[str], Deck]:
    from adk.api import load_deck

    return lambda path: load_deck(path, deck_roots=args.deck_roots)


def _assembly_deck_loader(args: argparse.Namespace) -> Callable[[str], Deck]:
    """Decks with their ``PART.LAYER`` names bound to the assembly's, as ``adk
    check-assembly`` binds them before it reads any layout."""
    from adk.assembly.run import load_assembly_deck, read_assembly_file

    assembly = read_assembly_file(args.assembly)
    return lambda path: load_assembly_deck(assembly, path, args.deck_roots)


def _without_assembly(error: DeckError) -> DeckError:
    """The errors of a deck linted without an assembly, its ``PART.LAYER`` names said
    once each, at their first use, with the option that checks them."""
    from adk.errors import DeckError

    named: set[str] = set()
    diagnostics = []
    for diagnostic in error.diagnostics:
        name = _part_layer_named(diagnostic, error.sources)
        if name is None:
            diagnostics.append(diagnostic)
        elif name not in named:
            named.add(name)
            part = name.split(".", 1)[0]
            message = NO_ASSEMBLY.format(name=name, part=part)
            diagnostics.append(replace(diagnostic, message=message))
    return DeckError(diagnostics, error.sources)


def _part_layer_named(diagnostic: Diagnostic, sources: dict[str, str]) -> str | None:
    """The ``PART.LAYER`` name a diagnostic is about when it says the deck has no assembly
    (the name is the text it points at), else None."""
    from adk.lang.parts import UnknownPartLayer, part_layer

    lines = sources.get(diagnostic.file, "").split("\n")
    if not 0 < diagnostic.line <= len(lines):
        return None
    start = diagnostic.column - 1
    name = lines[diagnostic.line - 1].expandtabs(1)[start : start + diagnostic.length]
    if "." not in name:
        return None
    try:
        part_layer(name, None)
    except UnknownPartLayer as exc:
        return name if diagnostic.message == str(exc) else None
    return None


def list_rules(args: argparse.Namespace) -> int:
    from adk.api import load_deck
    from adk.report.rule_table import rules_json, rules_table

    deck = load_deck(args.deck, deck_roots=args.deck_roots)
    print(rules_json(deck) if args.format == "json" else rules_table(deck))
    return EXIT_CLEAN


def format_decks(args: argparse.Namespace) -> int:
    from adk.errors import DeckError
    from adk.lang.builder import DeckTooLarge, over_limit_message, read_deck_file
    from adk.lang.formatter import format_text

    status = EXIT_CLEAN
    for path in args.decks:
        try:
            text = read_deck_file(path)
        except DeckTooLarge:
            print(f"{path}:1:1: error: {over_limit_message(None)}", file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        except (OSError, UnicodeDecodeError) as exc:
            # the other decks are still formatted: one unreadable file stops nothing
            print(
                f"{path}: error: cannot read deck: {getattr(exc, 'strerror', None) or exc}",
                file=sys.stderr,
            )
            status = EXIT_BAD_INPUT
            continue
        try:
            formatted = format_text(text, path)
        except DeckError as exc:
            print(exc.render(), file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        if formatted == text:
            continue
        if args.check:
            print(f"{path}: would be reformatted")
            status = max(status, EXIT_VIOLATIONS)
        else:
            write_atomically(path, formatted)
            print(f"{path}: formatted")
    return status
