"""Writing the reports ``adk check --report FORMAT:PATH`` asks for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from adk.report.json_report import write_json
from adk.report.junit import write_junit
from adk.report.options import ReportSpec
from adk.report.review import Review
from adk.report.run_info import run_info
from adk.report.sarif import write_sarif
from adk.report.text_report import write_text
from adk.run.result import RunResult

if TYPE_CHECKING:
    from adk.layout.reader import LoadedLayout


def write_reports(
    specs: list[ReportSpec],
    result: RunResult,
    review: Review | None = None,
    marker_path: str | None = None,
    layout: LoadedLayout | None = None,
) -> None:
    """Write each report; ``marker_path`` is the marker database the JSON report names.
    The run's facts (time, memory) are taken once, so every report states the same.
    ``layout``: the layout the run checked, for the HTML report to draw; by default it
    reads the layout again from the run's layout path."""
    info = run_info(result)
    for spec in specs:
        if spec.format == "sarif":
            write_sarif(result, spec.path, review, info)
        elif spec.format == "junit":
            write_junit(result, spec.path, review, info)
        elif spec.format == "json":
            write_json(result, spec.path, review, info, marker_path)
        elif spec.format == "html":
            # imported here: the layout view it draws with is for runs that ask for it
            from adk.report.html import write_html

            write_html(result, spec.path, review, info, layout=layout)
        else:
            write_text(result, spec.path, review)
