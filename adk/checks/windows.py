"""Grids of square windows over an extent, as the density kinds lay them out.

The first window sits at the extent's lower-left corner; windows follow every ``step``
to the right and upwards, and the last column and row are aligned to the far edges so
that no window sticks out. Along a side shorter than the window, the window is cut to
that side."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from adk.checks import grouping
from adk.checks.base import Marker
from adk.errors import AdkError
from adk.lang.model import Constraint, ParamValue
from adk.lang.signature import MAX, WORD, Param
from adk.lang.units import Quantity

MAX_WINDOWS = 10_000_000  # about a minute of work; far more than a deck needs

Run = tuple[int, int, int]  # first window start, stride, number of windows

MARKERS = Param(
    "markers",
    WORD,
    choices=("windows", "areas"),
    doc="`areas` (default): failing windows that overlap or touch joined into one "
    "marker, with the worst density and the number of windows; `windows`: a "
    "marker per failing window",
)


def step_within_window(params: Mapping[str, ParamValue]) -> str | None:
    """A kind's call rule: a step longer than the window leaves layout unchecked."""
    window, step = params.get("window"), params.get("step")
    if isinstance(window, Quantity) and isinstance(step, Quantity) and step.value > window.value:
        return (
            "density step must not exceed the window: the layout between windows would go unchecked"
        )
    return None


def in_units(window: float, step: float, dbu: float) -> tuple[int, int]:
    """The window side and step in database units; neither may be below one."""
    size, stride = round(window / dbu), round(step / dbu)
    if min(size, stride) < 1:
        raise AdkError(
            f"density window {window:g} um or step {step:g} um is below the "
            f"layout's database unit {dbu:g} um"
        )
    return size, stride


def runs(low: int, high: int, size: int, step: int) -> tuple[int, list[Run]]:
    """The window size along one axis and its windows as runs of equal stride.

    Starts are low, low + step, ... and high - size. Runs never hold overlapping
    windows (a raster's pixels cannot overlap), so overlapping windows (step < size)
    are split into runs whose stride is a whole number of steps no shorter than the
    window."""
    if high - low <= size:
        return high - low, [(low, high - low, 1)]
    starts = range(low, high - size, step)
    phases = -(-size // step)
    split = [
        (starts[j], phases * step, len(starts[j::phases])) for j in range(min(phases, len(starts)))
    ]
    return size, split + [(high - size, size, 1)]


def refuse_too_many(columns: list[Run], rows: list[Run], already: int = 0) -> int:
    """The number of windows of the grid (plus ``already`` counted); refuse more than
    ``MAX_WINDOWS``, counted over the whole extent so that every tile of a run agrees."""
    count = already + sum(run[2] for run in columns) * sum(run[2] for run in rows)
    if count > MAX_WINDOWS:
        raise AdkError(
            f"density: {count:.3g} windows over the layout, more than {MAX_WINDOWS:.0e}; "
            "use a larger step"
        )
    return count


def joined(
    markers: list[Marker], dbu: float, broken: Callable[[float], Constraint | None]
) -> list[Marker]:
    """Failing windows that overlap or touch and fail on the same side of the limits
    (``broken`` gives the limit a value breaks) joined into one marker each: a sparse
    area beside a dense one is two defects."""

    def too_dense(marker: Marker) -> bool:
        assert marker.measured is not None  # a window always has its density
        constraint = broken(marker.measured)
        return constraint is not None and constraint.op in MAX

    sparse = [m for m in markers if not too_dense(m)]
    dense = [m for m in markers if too_dense(m)]
    return grouping.windows(sparse, dbu, grouping.smallest_first) + grouping.windows(
        dense, dbu, grouping.largest_first
    )
