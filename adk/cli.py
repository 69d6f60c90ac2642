"""The ``adk`` command line. Exit codes: 0 clean, 1 violations, 2 bad usage or bad input,
3 an internal error."""
from __future__ import annotations

import argparse
import os
import sys

from . import __version__

EXIT_CLEAN, EXIT_VIOLATIONS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse that exits with 2 and one line on bad usage (its default is 2 as well)."""

    def error(self, message: str) -> None:  # noqa: D401 - argparse API
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"adk: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="adk", description="Assembly design kit rule checker for advanced "
                     "semiconductor packages.")
    parser.add_argument("--version", action="version", version=f"adk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    lint = sub.add_parser("lint", help="check decks for errors", description="Parse and validate "
                          "rule decks; print every error with file:line:col.")
    lint.add_argument("decks", nargs="+", metavar="DECK")

    rules = sub.add_parser("rules", help="list a deck's rules", description="List the rules of a "
                           "deck: id, check kind, layers, value, severity, description.")
    rules.add_argument("deck", metavar="DECK")
    rules.add_argument("--format", choices=("table", "json"), default="table")

    fmt = sub.add_parser("fmt", help="format decks canonically", description="Rewrite decks in "
                         "canonical form (comments kept, meaning unchanged).")
    fmt.add_argument("decks", nargs="+", metavar="DECK")
    fmt.add_argument("--check", action="store_true",
                     help="change nothing; exit 1 if a deck is not formatted")

    check = sub.add_parser("check", help="check a layout against a deck", description="Check a "
                           "GDS or OASIS layout (plain or gzipped) against a rule deck and write "
                           "a KLayout marker database.")
    check.add_argument("layout", metavar="LAYOUT")
    check.add_argument("--deck", required=True, metavar="DECK")
    check.add_argument("--layer-map", metavar="MAP", help="YAML file of layer/datatype numbers")
    check.add_argument("--top", metavar="CELL", help="top cell (default: the only top cell)")
    check.add_argument("-o", "--output", metavar="REPORT.lyrdb",
                       help="marker database to write (default: LAYOUT name with .lyrdb)")
    check.add_argument("--rule", action="append", metavar="ID", dest="rules",
                       help="run only this rule (repeatable)")
    check.add_argument("--format", choices=("table", "json"), default="table")
    check.add_argument("--strict", action="store_true",
                       help="fail on warnings and on rules not checked for missing layers")
    check.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    example = sub.add_parser("example", help="write an example package layout",
                             description="Write a generated example package for a pillar's "
                             "deck; --dirty plants violations and lists them beside the layout.")
    example.add_argument("pillar", metavar="PILLAR")
    example.add_argument("--dirty", action="store_true", help="plant rule violations")
    example.add_argument("-o", "--output", required=True, metavar="FILE.gds|FILE.oas")
    return parser


def main(argv: list[str] | None = None) -> int:
    from .errors import AdkError, DeckError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return COMMANDS[args.command](args)
    except DeckError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_BAD_INPUT
    except AdkError as exc:
        print(f"adk: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("adk: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, unless ADK_DEBUG asks for the traceback
        if os.environ.get("ADK_DEBUG"):
            raise
        print(f"adk: internal error: {type(exc).__name__}: {exc} (set ADK_DEBUG=1 for the "
              "traceback and please report it)", file=sys.stderr)
        return EXIT_INTERNAL


def _lint(args) -> int:
    from .errors import DeckError
    from .language import load_deck

    status = EXIT_CLEAN
    for path in args.decks:
        try:
            deck = load_deck(path)
        except DeckError as exc:
            print(exc.render(), file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        print(f"{path}: ok ({len(deck.rules)} rules, {len(deck.layers)} layers)")
    return status


def _rules(args) -> int:
    from .language import load_deck
    from .report.rule_table import rules_json, rules_table

    deck = load_deck(args.deck)
    print(rules_json(deck) if args.format == "json" else rules_table(deck))
    return EXIT_CLEAN


def _fmt(args) -> int:
    from .errors import AdkError, DeckError
    from .language.formatter import format_text

    status = EXIT_CLEAN
    for path in args.decks:
        try:
            with open(path, encoding="utf-8-sig") as handle:  # as the deck loader reads it
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise AdkError(f"{path}: cannot read deck: {getattr(exc, 'strerror', None) or exc}") \
                from None
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
            _write_atomically(path, formatted)
            print(f"{path}: formatted")
    return status


def _check(args) -> int:
    from .engine import run_deck
    from .language import load_deck
    from .layermap import apply_layer_map
    from .layout import read_layout
    from .report.markers import write_marker_database
    from .report.summary import summary_json, summary_table

    deck = load_deck(args.deck)
    layers = apply_layer_map(deck, args.layer_map) if args.layer_map else deck.layers
    loaded = read_layout(args.layout, args.top)
    output = args.output or _default_report(args.layout)
    progress = None if args.quiet or not sys.stderr.isatty() else _progress
    result = run_deck(deck, layers, loaded, args.rules, progress)
    write_marker_database(result, output)
    if args.format == "json":
        print(summary_json(result, output))
    elif not args.quiet:
        print(summary_table(result))
        print(f"markers: {output}")
    return EXIT_VIOLATIONS if result.violations(args.strict) else EXIT_CLEAN


def _example(args) -> int:
    from .examples.writer import write_example

    listing = write_example(args.pillar, args.output, args.dirty)
    print(f"wrote {args.output}" + (f" and {listing}" if listing else ""))
    return EXIT_CLEAN


def _progress(done: int, total: int, rule_id: str) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done == total else ""
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {rule_id:<24}{end}")
    sys.stderr.flush()


def _default_report(layout: str) -> str:
    name = os.path.basename(layout)
    for suffix in (".gz", ".gds", ".oas", ".gds2", ".oasis"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name + ".lyrdb"


def _write_atomically(path: str, text: str) -> None:
    temporary = f"{path}.adk-tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


COMMANDS = {"lint": _lint, "rules": _rules, "fmt": _fmt, "check": _check, "example": _example}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
