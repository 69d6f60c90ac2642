"""The report options ``adk check`` and ``adk check-assembly`` share (``--report``,
``--waivers``, ``--baseline``, ``--fail-on``, ``--match-tolerance``), and the step after
a run that reads them: the review of the markers, the marker database and the reports."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TypeAlias

from adk.report.options import DEFAULT_TOLERANCE, FAIL_ON, FORMATS, ReportSpec, parse_report_spec

if TYPE_CHECKING:  # the command line imports KLayout only when a command needs it
    from adk.layout.reader import LoadedLayout
    from adk.report.baseline import Baseline
    from adk.report.review import Review
    from adk.report.waivers import Waiver
    from adk.run.result import RunResult

# the waivers and the baseline a run is reviewed against
ReviewInputs: TypeAlias = "tuple[list[Waiver] | None, Baseline | None]"

WAIVERS_HELP = "waiver file: the violations it names are reported as waived and do not fail"


def add_report_options(parser: argparse.ArgumentParser, waivers_help: str = WAIVERS_HELP) -> None:
    """``--report FORMAT:PATH`` (repeatable), ``--waivers``, ``--baseline``, ``--fail-on``
    and ``--match-tolerance``, in that order."""
    parser.add_argument(
        "--report",
        action="append",
        type=_report_spec,
        default=[],
        dest="reports",
        metavar="FORMAT:PATH",
        help=f"also write a report: {', '.join(FORMATS)} (repeatable; docs/reports.md)",
    )
    parser.add_argument("--waivers", metavar="FILE.yaml", help=waivers_help)
    parser.add_argument(
        "--baseline",
        metavar="OLD.lyrdb",
        help="an earlier report (.lyrdb or JSON): its violations are existing, others new",
    )
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="any",
        help="fail on any violation not waived (default), or only on new ones (--baseline)",
    )
    parser.add_argument(
        "--match-tolerance",
        type=_tolerance,
        default=DEFAULT_TOLERANCE,
        metavar="UM",
        help="how far in um a violation's box may lie from a baseline marker's, or a "
        f"waiver's that sets none, and still match (default {DEFAULT_TOLERANCE})",
    )


def _report_spec(text: str) -> ReportSpec:
    try:
        return parse_report_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a distance in um, 0 or more, not {text!r}")
    return value


def load_review_inputs(args: argparse.Namespace, output: str) -> ReviewInputs:
    """The waivers and the baseline, read before the run: bad input then fails at once,
    leaving every earlier report as it was."""
    from adk.errors import AdkError
    from adk.report.baseline import load_baseline
    from adk.report.options import check_distinct
    from adk.report.waivers import load_waivers

    if args.fail_on == "new" and not args.baseline:
        raise AdkError("--fail-on new needs --baseline: new is against a baseline")
    check_distinct(args.reports, output)
    waivers = load_waivers(args.waivers, args.match_tolerance) if args.waivers else None
    baseline = load_baseline(args.baseline) if args.baseline else None
    return waivers, baseline


def review_and_report(
    args: argparse.Namespace,
    result: RunResult,
    inputs: ReviewInputs,
    output: str,
    layout: LoadedLayout | None = None,
) -> tuple[RunResult, Review]:
    """Match the waivers and the baseline, then write the marker database and the
    reports; the result returned carries the review's warnings. ``layout``: the layout
    the run checked, for the HTML report, when it exists in memory only."""
    from adk.report.outputs import write_reports
    from adk.report.review import review_run
    from adk.report.reviewed_markers import write_reviewed_markers

    waivers, baseline = inputs
    review = review_run(
        result,
        waivers,
        baseline,
        waivers_path=args.waivers,
        tolerance=args.match_tolerance,
        fail_on=args.fail_on,
        strict=args.strict,
    )
    result = review.with_warnings(result)
    write_reviewed_markers(result, output, review)
    write_reports(args.reports, result, review, output, layout)
    return result, review
