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
