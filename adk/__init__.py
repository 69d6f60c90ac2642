"""adk: an assembly design kit rule checker for advanced semiconductor packages.

The public API (see :mod:`adk.api` and docs/api.md) is imported on first use, so that
``import adk.lang`` parses decks without loading KLayout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adk.version import __version__

_API = (
    "load_deck",
    "load_deck_text",
    "check",
    "write_markers",
    "read_layout",
    "review",
    "write_report",
    "Deck",
    "LoadedLayout",
    "Review",
    "RunResult",
    "RuleOutcome",
    "Marker",
)

if TYPE_CHECKING:
    from adk.api import (
        Deck,
        LoadedLayout,
        Marker,
        Review,
        RuleOutcome,
        RunResult,
        check,
        load_deck,
        load_deck_text,
        read_layout,
        review,
        write_markers,
        write_report,
    )


def __getattr__(name: str) -> Any:
    if name in _API:
        from adk import api

        return getattr(api, name)
    raise AttributeError(f"module 'adk' has no attribute {name!r}")


__all__ = [  # noqa: RUF022  the version first, then the API as in _API
    "__version__",
    "Deck",
    "LoadedLayout",
    "Marker",
    "Review",
    "RuleOutcome",
    "RunResult",
    "check",
    "load_deck",
    "load_deck_text",
    "read_layout",
    "review",
    "write_markers",
    "write_report",
]
