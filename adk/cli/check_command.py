"""``adk check``: a layout against a deck, to a marker database and a summary."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from adk.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_CLEAN,
    EXIT_INTERNAL,
    EXIT_VIOLATIONS,
    Subparsers,
    memory_size,
    seconds,
)
from adk.cli.deck_commands import add_deck_root_option
from adk.cli.report_options import add_report_options, load_review_inputs, review_and_report

if TYPE_CHECKING:  # the command line imports KLayout only when a command needs it
    from adk.report.review import Review
    from adk.run.result import RuleOutcome, RunResult

# no violation among the rules checked, but rules not checked (every layer they read is
# absent): a code of its own, so CI can tell a wrong deck or layer map from a bad layout
EXIT_UNCHECKED = 4


def register(sub: Subparsers) -> None:
    check = sub.add_parser(
        "check",
        help="check a layout against a deck",
        description="Check a "
        "GDS or OASIS layout (plain or gzipped) against a rule deck and write "
        "a KLayout marker database.",
    )
    check.add_argument("layout", metavar="LAYOUT")
    check.add_argument(
        "--deck",
        required=True,
        metavar="DECK",
        help="a deck file, or the name of a shipped deck (focos_bridge, ...)",
    )
    check.add_argument("--layer-map", metavar="MAP", help="YAML file of layer/datatype numbers")
    add_deck_root_option(check)
    check.add_argument("--top", metavar="CELL", help="top cell (default: the only top cell)")
    check.add_argument(
        "--cell",
        metavar="CELL",
        help="report the markers of this cell only: the layout checked from the top cell "
        "placing it, the markers overlapping the cell moved into its coordinates "
        "(docs/checking.md)",
    )
    check.add_argument(
        "-o",
        "--output",
        metavar="REPORT.lyrdb",
        help="marker database to write (default: LAYOUT name with .lyrdb)",
    )
    check.add_argument(
        "--rule",
        action="append",
        metavar="ID",
        dest="rules",
        help="run only this rule, or the rules of this category (repeatable)",
    )
    check.add_argument("--format", choices=("table", "json"), default="table")
    add_report_options(check)
    check.add_argument(
        "--flat-markers",
        action="store_true",
        help="file every marker in the top cell, in its coordinates, once per placement of "
        "its cell (default: a violation found alike at every placement of a cell is one "
        "marker in that cell; docs/checking.md)",
    )
    check.add_argument(
        "--strict",
        action="store_true",
        help="fail on violations of warning and info rules too",
    )
    check.add_argument(
        "--allow-unchecked",
        action="store_true",
        help="exit 0 even when rules are not checked because every layer they read is "
        "absent from the layout",
    )
    check.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    check.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
        default=1,
        metavar="N",
        help="check tiles of the layout in N local processes",
    )
    check.add_argument(
        "--tile-size",
        type=_positive_float,
        metavar="SIZE",
        help="tile side in um (default: from the layout and the number of workers)",
    )
    check.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="send the tiles to the Dask scheduler at ADDRESS (tcp://host:8786); "
        "the layout and the deck must be readable by every worker",
    )
    check.add_argument(
        "--timeout",
        type=seconds,
        metavar="SECONDS",
        help="stop the run after SECONDS, with exit code 5 (docs/robustness.md)",
    )
    check.add_argument(
        "--max-memory",
        type=memory_size,
        metavar="SIZE",
        help="stop the run, with exit code 5, when it needs more than SIZE (500M, 2G) "
        "beyond adk's own start-up, in each process (Linux)",
    )
    # in a child process: Ctrl-C, SIGTERM and the limits stop it at once (adk/cli/__init__.py)
    check.set_defaults(isolated=True)
    check.set_defaults(func=check_layout)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, not {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a size in um above 0, not {text!r}")
    return value


def check_layout(args: argparse.Namespace) -> int:
    import adk
    from adk.report.markers import default_report

    deck = adk.load_deck(args.deck, args.layer_map, deck_roots=args.deck_roots)
    loaded = adk.read_layout(args.layout, args.top or args.cell)
    output = args.output or default_report(args.layout)
    review_inputs = load_review_inputs(args, output)
    progress = None if args.quiet or not sys.stderr.isatty() else ProgressBar()
    result = adk.check(
        loaded,
        deck,
        rules=args.rules,
        jobs=args.jobs,
        tile_size=args.tile_size,
        dask=args.dask,
        progress=progress,
        flat_markers=args.flat_markers,
        cell=args.cell,
    )
    result, review = review_and_report(args, result, review_inputs, output)
    return finish_run(args, result, review, output)


def finish_run(
    args: argparse.Namespace,
    result: RunResult,
    review: Review,
    output: str,
    written: tuple[str, ...] = (),
) -> int:
    """Print the summary (or the JSON), the rules not checked and the rules that failed
    to run; the exit code. ``written``: lines naming other files written, after the
    marker database's."""
    from adk.report.json_report import report_json
    from adk.report.text_report import text_summary

    if args.format == "json":
        print(report_json(result, review, report_path=output))
    elif not args.quiet:
        print(text_summary(result, review))
        print(f"markers: {output}")
        for line in written:
            print(line)
    unchecked = [] if args.allow_unchecked else result.unchecked()
    if unchecked:
        print(unchecked_message(result, unchecked), file=sys.stderr)
    for outcome in result.failed_to_run():
        print(rule_error_line(outcome), file=sys.stderr)
    return exit_code(review.counted(result), args.strict, unchecked)


def rule_error_line(outcome: RuleOutcome) -> str:
    """``adk: error: deck.adk:4:1: rule D.1: ...``: the rule that failed, where it is written."""
    span, error = outcome.rule.span, outcome.error or ""
    where = f"{span.file}:{span.line}:{span.column}: rule {outcome.rule.id}"
    if outcome.internal_error:
        return (
            f"adk: {error.split(': ', 1)[0]}: {where}: {error.split(': ', 1)[1]}; please report it"
        )
    return f"adk: error: {where}: {error}"


def exit_code(result: RunResult, strict: bool, unchecked: list[RuleOutcome]) -> int:
    """3 when a rule failed by a bug, 2 when one failed for its input (the run is
    incomplete: that says the most), else 1 for violations, else 4 for rules not
    checked, else 0. The other rules' markers are reported either way."""
    failed = result.failed_to_run()
    if failed:
        return EXIT_INTERNAL if any(o.internal_error for o in failed) else EXIT_BAD_INPUT
    if result.violations(strict):
        return EXIT_VIOLATIONS
    return EXIT_UNCHECKED if unchecked else EXIT_CLEAN


def unchecked_message(result: RunResult, unchecked: list[RuleOutcome]) -> str:
    """One line: the rules not checked, grouped by the absent layers they need, and the
    two ways to accept that."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for outcome in unchecked:
        groups.setdefault(tuple(outcome.required_missing), []).append(outcome.rule.id)
    listed = "; ".join(
        f"{', '.join(rules)} ({', '.join(layers)})" for layers, rules in groups.items()
    )
    count = len(unchecked)
    rules, their = ("rule", "its") if count == 1 else ("rules", "their")
    return (
        f"adk: {count} {rules} not checked, {their} layers absent from {result.layout_path}: "
        f"{listed}; mark the layers optional in the deck or pass --allow-unchecked"
    )


class ProgressBar:
    """A one-line progress bar on the terminal, per rule or per tile, shown once a run
    has taken ``delay`` seconds: short runs print nothing."""

    def __init__(self, delay: float = 2.0):
        self.started = time.monotonic()
        self.delay = delay
        self.shown = False

    def __call__(self, done: int, total: int, label: str) -> None:
        if not self.shown and time.monotonic() - self.started < self.delay:
            return
        if done == total and not self.shown:
            return
        self.shown = True
        show_progress(done, total, label)


def show_progress(done: int, total: int, label: str) -> None:
    """A one-line progress bar on the terminal."""
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done == total else ""
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<24}{end}")
    sys.stderr.flush()
