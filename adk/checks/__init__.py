"""The check kinds: one module each, holding its signature, its documentation and its code.

A kind module defines ``SPEC`` (a :class:`~adk.checks.spec.CheckSpec`) and
``run(check, ctx) -> list[Marker]``.
"""
from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import Callable

from .spec import CheckSpec

KINDS = (
    "width", "space", "separation", "enclosure", "overlap", "extension", "area", "density",
    "pitch", "bump_size", "bump_density", "keepout", "bridge", "align", "distance", "count",
)

_MODULES: dict[str, ModuleType] = {kind: import_module(f"{__name__}.{kind}") for kind in KINDS}

SPECS: dict[str, CheckSpec] = {kind: module.SPEC for kind, module in _MODULES.items()}


def runner(kind: str) -> Callable:
    """The function that runs checks of ``kind``."""
    return _MODULES[kind].run


def doc(kind: str) -> str:
    """The documentation of a check kind, with its examples."""
    return _MODULES[kind].__doc__ or ""
