"""The check kinds: one module each, holding its signature, its documentation and its code.

A kind module defines ``SPEC`` (a :class:`~adk.checks.spec.CheckSpec`) and
``run(check, ctx) -> list[Marker]``. A kind that can run on tiles of the layout also
defines ``ambit(check)``: how far (µm) around a marker lie the inputs it depends on;
optionally ``footprint(check)``, the size of its markers when they are larger than
that (density windows), and ``marker_reach(check, marker)`` when a marker depends on
inputs further away than the ambit (the partner of a nearest-neighbour match).
"""
from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import Callable

from ..deck import Check
from . import grouping
from .base import Marker
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


def ambit(check: Check) -> float | None:
    """How far (µm) around a marker of ``check`` its inputs lie; None: the check is not
    local (it runs on the whole layout, never on tiles)."""
    function = getattr(_MODULES[check.kind], "ambit", None)
    return None if function is None else function(check)


def footprint(check: Check) -> float:
    """The size (µm) of the markers of ``check`` where they are larger than its ambit."""
    function = getattr(_MODULES[check.kind], "footprint", None)
    return 0.0 if function is None else function(check)


def marker_reach(check: Check, marker: Marker) -> float:
    """How far (µm) around ``marker`` lie the inputs it depends on."""
    function = getattr(_MODULES[check.kind], "marker_reach", None)
    return ambit(check) if function is None else function(check, marker)


def finished(check: Check, markers: list[Marker], dbu: float) -> list[Marker]:
    """The markers of ``check`` on the whole layout as reported: grouped into areas when
    the rule asks for ``markers areas``."""
    if check.param("markers") == "areas":
        return grouping.areas(markers, dbu)
    return markers


def doc(kind: str) -> str:
    """The documentation of a check kind, with its examples."""
    return _MODULES[kind].__doc__ or ""


def reference_markdown() -> str:
    """The reference of every check kind, from the kinds' own documentation (docs/checks.md)."""
    parts = ["# Check kinds\n",
             "Generated from the check modules in `adk/checks/` (one module per kind: its "
             "signature, documentation and code). Regenerate with\n"
             "`python -c \"import adk.checks as c; print(c.reference_markdown(), end='')\" "
             "> docs/checks.md`.\n"]
    for kind in KINDS:
        spec = SPECS[kind]
        text = doc(kind).strip()
        title, _, body = text.partition("\n")
        props = ", ".join(f"`{p.name}` ({p.dim.value}; {' '.join(p.ops)})" for p in spec.props)
        params = "".join(f"\n- `{p.name}` ({p.kind}{', required' if p.required else ''}): {p.doc}"
                         for p in spec.params)
        parts.append(f"## {kind}\n\n{title.split(': ', 1)[-1]}\n\n"
                     f"Signature: `{spec.signature()}`. Measures: {props}."
                     f"{chr(10) + params if params else ''}\n{_indented_to_fenced(body)}\n")
    return "\n".join(parts)


def _indented_to_fenced(body: str) -> str:
    """Docstring examples (indented ``rule`` lines) as fenced blocks."""
    out, block = [], []
    for line in body.splitlines():
        if line.startswith("    rule "):
            block.append(line[4:])
            continue
        if block:
            out += ["```", *block, "```"]
            block = []
        out.append(line)
    if block:
        out += ["```", *block, "```"]
    return "\n".join(out)
