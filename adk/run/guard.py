"""One rule's failure is that rule's error, not the run's end: the other rules' markers
are still reported, and the run fails."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adk.checks.base import Marker
from adk.errors import AdkError

INTERNAL = "internal error: "  # how the error of a rule that failed by a bug begins


def guarded(work: Callable[..., list[Marker]], *args: Any) -> tuple[list[Marker], str | None]:
    """``work(*args)``'s markers and no error; or no markers and the error it raised, as one line.

    An ``AdkError`` is the rule's input at fault (a window below the database unit); any
    other exception is a bug, its text beginning with ``INTERNAL``. Running out of memory
    is no rule's fault: it ends the run, as a limit does. A length that is more database
    units than KLayout's 32-bit coordinates and distances hold (a 1 m limit on a 0.01 nm
    grid) is the deck's fault, not a bug."""
    try:
        return work(*args), None
    except AdkError as exc:
        return [], str(exc)
    except TypeError as exc:
        if "Value out of range" not in str(exc):  # KLayout's words for a too large argument
            return [], f"{INTERNAL}TypeError: {exc}"
        return [], f"a length beyond what the layout's database unit can hold: {exc}"
    except Exception as exc:  # a bug in one kind must not hide the others
        if isinstance(exc, MemoryError) or "std::bad_alloc" in str(exc):
            raise
        return [], f"{INTERNAL}{type(exc).__name__}: {exc}"
