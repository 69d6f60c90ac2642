"""``adk check``: a layout against a deck, to a marker database and a summary."""

from __future__ import annotations

import argparse
import sys
import time

from adk.cli.common import EXIT_CLEAN, EXIT_VIOLATIONS, Subparsers


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
    check.add_argument("--top", metavar="CELL", help="top cell (default: the only top cell)")
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
        help="run only this rule (repeatable)",
    )
    check.add_argument("--format", choices=("table", "json"), default="table")
    check.add_argument(
        "--strict",
        action="store_true",
        help="fail on warnings and on rules not checked for missing layers",
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
    from adk.report.summary import summary_json, summary_table

    deck = adk.load_deck(args.deck, args.layer_map)
    loaded = adk.read_layout(args.layout, args.top)
    output = args.output or default_report(args.layout)
    progress = None if args.quiet or not sys.stderr.isatty() else ProgressBar()
    result = adk.check(
        loaded,
        deck,
        rules=args.rules,
        jobs=args.jobs,
        tile_size=args.tile_size,
        dask=args.dask,
        progress=progress,
    )
    adk.write_markers(result, output)
    if args.format == "json":
        print(summary_json(result, output))
    elif not args.quiet:
        print(summary_table(result))
        print(f"markers: {output}")
    return EXIT_VIOLATIONS if result.violations(args.strict) else EXIT_CLEAN


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
