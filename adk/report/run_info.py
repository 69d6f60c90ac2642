"""What a report says about the run that made it: inputs, versions, time and memory, so
a report read months later says what produced it."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from dataclasses import asdict, dataclass
from importlib import metadata

from adk.run.result import RunResult
from adk.version import __version__


@dataclass(frozen=True)
class RunInfo:
    deck: str
    deck_path: str
    deck_version: str
    layout: str
    top_cell: str
    adk_version: str
    klayout_version: str
    python_version: str
    seconds: float
    peak_memory_mib: float | None  # this process; None where the platform does not say
    peak_memory_children_mib: float | None  # the largest finished child: the --jobs workers
    finished_utc: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def run_info(result: RunResult) -> RunInfo:
    """The run's facts, taken when the reports are written (so the peak memory covers
    the whole run)."""
    own, children = _peak_memory_mib()
    return RunInfo(
        deck=result.deck.name,
        deck_path=os.path.abspath(result.deck.path) if result.deck.path else "",
        deck_version=result.deck.version,
        layout=os.path.abspath(result.layout_path),
        top_cell=result.top_cell,
        adk_version=__version__,
        klayout_version=_klayout_version(),
        python_version=platform.python_version(),
        seconds=round(result.seconds, 4),
        peak_memory_mib=own,
        peak_memory_children_mib=children,
        finished_utc=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def _klayout_version() -> str:
    try:
        return metadata.version("klayout")
    except metadata.PackageNotFoundError:  # KLayout's own Python: the application's version
        import klayout.db

        return str(getattr(klayout.db, "__version__", "unknown"))


def _peak_memory_mib() -> tuple[float | None, float | None]:
    """The peak resident memory of this process and of its largest finished child, from
    getrusage (kilobytes on Linux, bytes on macOS); None on platforms without it."""
    try:
        import resource
    except ImportError:
        return None, None
    unit = 1 if sys.platform == "darwin" else 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * unit
    mib = 1024 * 1024
    return round(own / mib, 1), (round(children / mib, 1) if children else None)
