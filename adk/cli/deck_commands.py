"""``adk lint``, ``adk rules``, ``adk fmt``: working on decks."""

from __future__ import annotations

import argparse
import sys

from adk.cli.common import EXIT_BAD_INPUT, EXIT_CLEAN, EXIT_VIOLATIONS, Subparsers, write_atomically


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
    from adk.api import load_deck
    from adk.errors import DeckError

    status = EXIT_CLEAN
    for path in args.decks:
        try:
            deck = load_deck(path, deck_roots=args.deck_roots)
        except DeckError as exc:
            print(exc.render(), file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        print(f"{path}: ok ({len(deck.rules)} rules, {len(deck.layers)} layers)")
    return status


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
