"""``adk waive``: waiver entries for violations of a report, appended to a waiver file."""

from __future__ import annotations

import argparse
import datetime

from adk.cli.common import EXIT_CLEAN, Subparsers

DEFAULT_WAIVER_FILE = "waivers.yaml"


def register(sub: Subparsers) -> None:
    waive = sub.add_parser(
        "waive",
        help="write waivers for violations of a report",
        description="Append waiver entries (rule, box in um or net, reason, owner, expiry) "
        "for violations of a report to a waiver file for adk check --waivers. REPORT is a "
        "marker database (.lyrdb), the waiver database KLayout's marker browser saves "
        "(REPORT.lyrdb.w) or a JSON report (which alone gives the markers' nets, for "
        "--net). See docs/reports.md.",
    )
    waive.add_argument("report", metavar="REPORT")
    waive.add_argument("--rule", metavar="ID", help="the rule whose violations to waive")
    which = waive.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every violation of the rule")
    which.add_argument(
        "--item",
        action="append",
        type=_item_number,
        metavar="N",
        dest="items",
        help="the rule's N-th violation, from 1, in the report's order (repeatable)",
    )
    which.add_argument(
        "--net",
        type=_net_name,
        metavar="NET",
        help="the rule's violations that involve the net, as one entry naming the net "
        "(REPORT a JSON report: a marker database does not give nets)",
    )
    which.add_argument(
        "--klayout-waived",
        action="store_true",
        help="the violations waived in KLayout's marker browser (of --rule, if given); "
        "each one's comment there is its reason unless --reason is given",
    )
    waive.add_argument("--reason", metavar="TEXT", help="why the violations are accepted")
    waive.add_argument("--owner", required=True, metavar="NAME", help="who answers for them")
    waive.add_argument(
        "--expires",
        type=_date,
        metavar="YYYY-MM-DD",
        help="the last day the waivers hold (default: no expiry)",
    )
    waive.add_argument(
        "-o",
        "--output",
        default=DEFAULT_WAIVER_FILE,
        metavar="FILE.yaml",
        help=f"waiver file to append to, made if absent (default: {DEFAULT_WAIVER_FILE})",
    )
    waive.set_defaults(func=waive_markers, parser=waive)


def _item_number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a violation's number from 1, not {text!r}")
    return int(text)


def _net_name(text: str) -> str:
    """A net as waiver files write it: a word without spaces."""
    if not text or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"expected a net's name without spaces, not {text!r}")
    return text


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, not {text!r}") from None


def waive_markers(args: argparse.Namespace) -> int:
    from adk.report.report_reader import read_report
    from adk.report.waiving import (
        Selection,
        append_waivers,
        net_waiver,
        new_waivers,
        selected_markers,
    )

    if not args.klayout_waived and (args.rule is None or args.reason is None):
        args.parser.error("--all, --item and --net need --rule and --reason")
    report = read_report(args.report)
    selection = Selection(
        args.rule, tuple(args.items or ()), args.all, args.klayout_waived, args.net
    )
    markers = selected_markers(report, selection)
    if args.net is not None:
        waivers = [net_waiver(markers, args.net, args.reason, args.owner, args.expires)]
    else:
        waivers = new_waivers(report, markers, args.reason, args.owner, args.expires)
    added, present = append_waivers(args.output, waivers)
    already = f" ({present} already there)" if present else ""
    print(f"{added} waiver{'' if added == 1 else 's'} added to {args.output}{already}")
    return EXIT_CLEAN
