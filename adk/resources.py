"""Data folders shipped inside the package: ``grammar/``, ``rules/`` and ``klayout_macros/`` of
the source tree install as ``adk.grammar``, ``adk.rules`` and ``adk.klayout_macros``."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path


def data_folder(name: str) -> Path:
    """The installed ``adk.NAME`` folder, or ``NAME/`` of the source tree when run from it."""
    try:
        spec = find_spec(f"adk.{name}")
    except ModuleNotFoundError:
        spec = None
    # a folder without __init__.py is a namespace package: its locations are its folders
    for location in (spec.submodule_search_locations or []) if spec else []:
        if Path(location).is_dir():
            return Path(location)
    return Path(__file__).resolve().parents[1] / name
