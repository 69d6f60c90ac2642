"""``adk test-deck`` and ``adk docs``: a deck's self-tests and its rule manual."""

from __future__ import annotations

import argparse
import json
import sys

from adk.cli.common import EXIT_CLEAN, EXIT_VIOLATIONS, Subparsers, write_atomically
from adk.cli.deck_commands import add_deck_root_option


def register(sub: Subparsers) -> None:
    test = sub.add_parser(
        "test-deck",
        help="run a deck's self-tests",
        description="Run a deck on test layouts whose labels on the annotation "
        "layer say where each rule must fire ('expect RULE') and where it is "
        "exercised without firing ('pass RULE'). Exit 1 on any false positive, "
        "false negative, or rule without a passing and a failing case.",
    )
    test.add_argument("deck", metavar="DECK")
    test.add_argument("tests", nargs="+", metavar="TEST_LAYOUT")
    test.add_argument(
        "--annotation-layer",
        default="255/0",
        metavar="L/D",
        help="layer of the labels (default 255/0)",
    )
    test.add_argument("--format", choices=("table", "json"), default="table")
    add_deck_root_option(test)
    test.set_defaults(func=test_deck)

    docs = sub.add_parser(
        "docs",
        help="write a deck's rule manual",
        description="Write a deck's rule manual in Markdown: its layers, then "
        "per layer a table of rule id, description, check, value, severity and "
        "source.",
    )
    docs.add_argument("deck", metavar="DECK")
    docs.add_argument("-o", "--output", metavar="FILE.md", help="default: standard output")
    add_deck_root_option(docs)
    docs.set_defaults(func=write_manual)


def test_deck(args: argparse.Namespace) -> int:
    from adk.api import load_deck
    from adk.kit.decktest import run_self_tests
    from adk.report.rule_table import text_table

    annotation = _layer_datatype(args.annotation_layer)
    deck = load_deck(args.deck, deck_roots=args.deck_roots)
    tallies = run_self_tests(deck, args.tests, annotation)
    if args.format == "json":
        print(json.dumps([dict(vars(t), tested=t.tested, ok=t.ok) for t in tallies], indent=2))
    else:
        rows = [
            [
                t.rule,
                t.expected,
                t.passing,
                t.found,
                len(t.false_positives),
                len(t.false_negatives),
                "ok" if t.ok else ("untested" if not t.tested else "FAIL"),
            ]
            for t in tallies
        ]
        print(
            text_table(("rule", "expected", "passing", "found", "false+", "false-", "status"), rows)
        )
        for tally in tallies:
            for problem in tally.false_positives:
                print(f"{tally.rule}: false positive: {problem}", file=sys.stderr)
            for problem in tally.false_negatives:
                print(f"{tally.rule}: false negative: {problem}", file=sys.stderr)
        untested = [t.rule for t in tallies if not t.tested]
        if untested:
            print("rules without a passing and a failing case: " + ", ".join(untested))
    return EXIT_CLEAN if all(t.ok for t in tallies) else EXIT_VIOLATIONS


def _layer_datatype(text: str) -> tuple[int, int]:
    from adk.errors import AdkError

    try:  # a part that is no number, and one part too many or too few, raise ValueError
        layer, datatype = (int(part) for part in text.split("/"))
    except ValueError:
        raise AdkError(f"--annotation-layer: '{text}' is not LAYER/DATATYPE") from None
    return layer, datatype


def write_manual(args: argparse.Namespace) -> int:
    import os

    from adk.api import load_deck
    from adk.report.manual import deck_manual

    deck = load_deck(args.deck, deck_roots=args.deck_roots)
    if args.output:
        write_atomically(
            args.output, deck_manual(deck, os.path.dirname(os.path.abspath(args.output)))
        )
    else:
        sys.stdout.write(deck_manual(deck))
    return EXIT_CLEAN
