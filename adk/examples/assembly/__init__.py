"""Example assemblies, generated: each part a layout file of its own, with its bump map,
the assembly file (YAML) and the assembly's deck, clean or with planted errors.

An example module defines ``NAME``, ``parts(broken) -> {name: PartDrawing}``, ``PLANTED``
(rule -> the parts its markers may name in the broken variant, and why) and its deck as
``NAME.adk`` beside it. ``adk example-assembly NAME FOLDER [--broken]`` writes one.
"""

from __future__ import annotations

import os
from importlib import import_module
from pathlib import Path
from types import ModuleType

from adk.errors import AdkError
from adk.examples.assembly.kit import LAYERS, PartDrawing, bump_map_text, layout_of

EXAMPLES = ("focos_bridge", "interposer")
ASSEMBLY_FILE = "assembly.yaml"
DECK_FILE = "assembly.adk"


def example(name: str) -> ModuleType:
    if name not in EXAMPLES:
        raise AdkError(f"no example assembly '{name}' (examples: {', '.join(EXAMPLES)})")
    return import_module(f"{__name__}.{name}")


def deck_text(name: str) -> str:
    return (Path(__file__).parent / f"{example(name).NAME}.adk").read_text(encoding="utf-8")


def write_assembly_example(name: str, folder: str, broken: bool = False) -> list[str]:
    """Write the example ``name`` into ``folder`` (made if need be): the part layouts, their
    bump maps, ``assembly.yaml`` and ``assembly.adk``. Returns the files written."""
    module = example(name)
    drawings = module.parts(broken)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise AdkError(f"{folder}: cannot make the folder: {exc.strerror}") from None
    written = []
    for file, drawing in _layout_files(drawings).items():
        path = os.path.join(folder, file)
        layout_of(drawing).write(path)
        written.append(path)
    for drawing in drawings.values():
        for layer, file in drawing.bump_maps.items():
            written.append(_write(folder, file, bump_map_text(drawing, layer)))
    title = f"{name} example assembly{' with planted errors' if broken else ''}"
    written.append(_write(folder, ASSEMBLY_FILE, assembly_yaml(name, title, drawings)))
    written.append(_write(folder, DECK_FILE, deck_text(name)))
    return written


def _layout_files(drawings: dict[str, PartDrawing]) -> dict[str, PartDrawing]:
    """Each layout file with the first part drawn from it: parts sharing a file are one
    design (the same layout, bump maps of their own)."""
    files: dict[str, PartDrawing] = {}
    for drawing in drawings.values():
        files.setdefault(drawing.file, drawing)
    return files


def _write(folder: str, file: str, text: str) -> str:
    path = os.path.join(folder, file)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path


def assembly_yaml(name: str, title: str, drawings: dict[str, PartDrawing]) -> str:
    """The assembly file: every part with its layout, placement, layers and bump map."""
    lines = [f"# {title}", f"assembly: {name}", f"deck: {DECK_FILE}", "parts:"]
    for drawing in drawings.values():
        where = drawing.where
        lines += [f"  {drawing.name}:", f"    layout: {drawing.file}", f"    top: {drawing.top}"]
        if where.on != "package":
            lines.append(f"    on: {where.on}")
        if where.offset != (0.0, 0.0) and where.offset != (0, 0):
            lines.append(f"    at: [{where.offset[0]:g}, {where.offset[1]:g}]")
        if where.rotation:
            lines.append(f"    rotation: {where.rotation}")
        if where.face != "up":
            lines.append(f"    face: {where.face}")
        layers = ["outline"] + [n for n in ("bump", "c4", "pad") if _has(drawing, n)]
        entries = ", ".join(f"{n}: {LAYERS[n][0]}/{LAYERS[n][1]}" for n in layers)
        lines.append(f"    layers: {{{entries}}}")
        if list(drawing.bump_maps) == [""]:
            lines.append(f"    bump_map: {drawing.bump_maps['']}")
        elif drawing.bump_maps:
            maps = ", ".join(f"{layer}: {file}" for layer, file in drawing.bump_maps.items())
            lines.append(f"    bump_map: {{{maps}}}")
    return "\n".join(lines) + "\n"


def _has(drawing: PartDrawing, layer: str) -> bool:
    return bool({"bump": drawing.bumps, "c4": drawing.c4, "pad": drawing.pads}[layer])
