"""What ``adk check``'s report options accept: the formats of ``--report FORMAT:PATH``
(``adk.report.outputs`` writes them), ``--fail-on``, the default matching tolerance.

This module imports nothing heavy: the command line checks its arguments with it before
it loads KLayout."""

from __future__ import annotations

import os
from dataclasses import dataclass

from adk.errors import AdkError

# the distance within which two boxes are the same violation: far below any rule's limit,
# far above the rounding of a coordinate read back from a report
DEFAULT_TOLERANCE = 0.01

# what fails a run: any violation that is not waived, or only those not in the baseline
FAIL_ON = ("any", "new")

FORMATS = {
    "sarif": "SARIF 2.1.0, for code scanning",
    "junit": "JUnit XML, a test case per rule",
    "json": "the summary and every marker",
    "text": "the summary table",
    "html": "a page with a picture of each violation and density maps (PATH: a folder)",
}


@dataclass(frozen=True)
class ReportSpec:
    format: str
    path: str


def parse_report_spec(text: str) -> ReportSpec:
    """``FORMAT:PATH``; raises ValueError naming the fault."""
    name, colon, path = text.partition(":")
    if not colon or not path:
        raise ValueError(f"expected FORMAT:PATH, such as sarif:report.sarif, not {text!r}")
    if name not in FORMATS:
        raise ValueError(f"unknown report format {name!r}; known: {', '.join(FORMATS)}")
    return ReportSpec(name, path)


def check_distinct(specs: list[ReportSpec], marker_path: str) -> None:
    """Two reports to one file would leave only the last: refused before the run."""
    seen = {os.path.abspath(marker_path): "the marker database"}
    for spec in specs:
        where = os.path.abspath(spec.path)
        if where in seen:
            raise AdkError(f"{spec.path}: both {seen[where]} and the {spec.format} report")
        seen[where] = f"the {spec.format} report"
