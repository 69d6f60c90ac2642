"""The check kinds and what the rest of adk asks of them.

Every module in :mod:`adk.checks.kinds` is one kind and owns everything about it:

- ``SPEC``, its signature (a :class:`~adk.lang.signature.CheckSpec`);
- its module docstring: semantics, parameters, markers, with ``rule`` examples;
- ``run(check, ctx) -> list[Marker]``, the check itself;
- for a kind that can run on tiles, ``ambit(check)``: how far (µm) around a marker
  lie the inputs it depends on; optionally ``footprint(check)``, the size of its
  markers when they are larger than that (density windows), and
  ``marker_reach(check, marker)`` when a marker depends on inputs further away than
  the ambit (the partner of a nearest-neighbour match);
- for a kind taking ``markers`` whose markers are not edge pairs, ``joined(check,
  markers, dbu)``: its markers of the whole layout joined into one per defect (density
  windows); edge pairs are joined by :func:`adk.checks.grouping.areas`;
- ``lydrc(check, layers) -> str``, its translation to KLayout's DRC language: the Ruby
  expression giving its markers from the DRC expressions of its layers, written with
  :mod:`adk.checks.drc`; or ``NOT_EXPORTED``, a one-line reason why it has none.

The registry finds the modules: adding a kind is adding a module there.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Callable
from functools import cache
from importlib import import_module
from types import ModuleType

from adk.checks import grouping, kinds
from adk.checks.base import CheckContext, Marker
from adk.lang.model import Check
from adk.lang.signature import CheckSpec

Runner = Callable[[Check, CheckContext], list[Marker]]
# a check and the DRC expressions of its positional layers -> the Ruby giving its markers
Exporter = Callable[[Check, list[str]], str]


@cache
def _modules() -> dict[str, ModuleType]:
    """Every kind module by kind name: polygon kinds first, then object kinds, each
    alphabetically (the order of the reference)."""
    found = [
        import_module(f"{kinds.__name__}.{info.name}")
        for info in pkgutil.iter_modules(kinds.__path__)
        if not info.name.startswith("_")
    ]
    for module in found:
        if module.SPEC.kind != module.__name__.rsplit(".", 1)[-1]:
            raise ImportError(f"{module.__name__} declares the kind {module.SPEC.kind!r}")
        if hasattr(module, "lydrc") == hasattr(module, "NOT_EXPORTED"):
            raise ImportError(f"{module.__name__} needs exactly one of lydrc and NOT_EXPORTED")
    found.sort(key=lambda module: (not module.SPEC.polygon, module.SPEC.kind))
    return {module.SPEC.kind: module for module in found}


def kind_names() -> list[str]:
    """Every check kind, in the order of the reference."""
    return list(_modules())


def specs() -> dict[str, CheckSpec]:
    """The signature of every check kind: what the language accepts."""
    return {kind: module.SPEC for kind, module in _modules().items()}


def module(kind: str) -> ModuleType:
    """The module of a check kind."""
    return _modules()[kind]


def runner(kind: str) -> Runner:
    """The function that runs checks of ``kind``."""
    return _modules()[kind].run


def ambit(check: Check) -> float | None:
    """How far (µm) around a marker of ``check`` its inputs lie; None: the check is not
    local (it runs on the whole layout, never on tiles)."""
    function = getattr(_modules()[check.kind], "ambit", None)
    return None if function is None else function(check)


def footprint(check: Check) -> float:
    """The size (µm) of the markers of ``check`` where they are larger than its ambit."""
    function = getattr(_modules()[check.kind], "footprint", None)
    return 0.0 if function is None else function(check)


def marker_reach(check: Check, marker: Marker) -> float:
    """How far (µm) around ``marker`` lie the inputs it depends on."""
    function = getattr(_modules()[check.kind], "marker_reach", None)
    if function is None:
        reach = ambit(check)
        assert reach is not None, f"{check.kind} runs untiled and has no reach"
        return reach
    return function(check, marker)


def joins_markers(check: Check) -> bool:
    """Whether the markers of ``check`` are reported joined, one per defect: ``markers
    areas``, the default of every kind that takes ``markers``; the other choice (``pairs``,
    ``windows``) reports each edge pair or window, as KLayout's own checks do."""
    taken = _modules()[check.kind].SPEC.param("markers") is not None
    return taken and check.param("markers", "areas") == "areas"


def finished(check: Check, markers: list[Marker], dbu: float) -> list[Marker]:
    """The markers of ``check`` on the whole layout as reported: joined into one per
    defect where :func:`joins_markers`, by the kind's ``joined`` or, for edge pairs, by
    :func:`adk.checks.grouping.areas`."""
    if not joins_markers(check):
        return markers
    joined = getattr(_modules()[check.kind], "joined", None)
    return grouping.areas(markers, dbu) if joined is None else joined(check, markers, dbu)


def exporter(kind: str) -> Exporter | None:
    """The translation of checks of ``kind`` to KLayout's DRC language (written with
    :mod:`adk.checks.drc`), or None when the kind has none."""
    return getattr(_modules()[kind], "lydrc", None)


def not_exported_reason(kind: str) -> str | None:
    """Why checks of ``kind`` have no DRC translation, or None when they have one."""
    return getattr(_modules()[kind], "NOT_EXPORTED", None)


def doc(kind: str) -> str:
    """The documentation of a check kind, with its examples."""
    return _modules()[kind].__doc__ or ""


__all__ = [
    "Exporter",
    "Runner",
    "ambit",
    "doc",
    "exporter",
    "finished",
    "footprint",
    "joins_markers",
    "kind_names",
    "marker_reach",
    "module",
    "not_exported_reason",
    "runner",
    "specs",
]
