"""lambdapdk's interposer stackups, from the public rule values (siliconcompiler/lambdapdk,
Apache-2.0, Copyright 2024 ZeroASIC Corp).

Its generator derives every rule from two figures per stackup, the number of metal layers
and the wiring width: a metal's minimum width and space are the wiring width, a via is a
square of half of it, spaced and enclosed by half of it; every metal but the top one is at
most 5 um wide; vertices lie on a 5 nm grid; everything keeps 1 um inside the outline. Each
layer is the union of its drawn (0), pin (10) and fill (30) datatypes. One model of that
serves the layout generator, the KLayout scripts and the tests, so the three cannot drift
apart; the adk decks in ``rules/`` are written out by hand and tested against it.
"""

from __future__ import annotations

from dataclasses import dataclass

GRID = 5  # nm
MARGIN = 1000  # nm kept inside the outline
MAX_WIDTH = 5000  # nm, every metal but the top one
OUTLINE = (0, 0)
DATATYPES = (0, 10, 30)  # drawn, pin, fill
DRAWN, PIN, FILL = DATATYPES
SHIPPED = ("3ML_0400", "4ML_0800", "5ML_2000")


@dataclass(frozen=True)
class Metal:
    name: str
    number: int  # GDS layer
    width: int  # nm, minimum width and minimum space
    max_width: int | None  # nm; None on the top metal
    horizontal: bool  # the routing direction: odd metals run along x


@dataclass(frozen=True)
class Via:
    name: str
    number: int
    size: int  # nm: the side of the square, its minimum space and its enclosure
    below: Metal
    above: Metal


@dataclass(frozen=True)
class Stackup:
    name: str  # "3ML_0400"
    metals: tuple[Metal, ...]
    vias: tuple[Via, ...]

    @property
    def wire(self) -> int:
        return self.metals[0].width

    def layers(self) -> list[Metal | Via]:
        """Bottom up, as the original deck checks them: metal1, via1, metal2, ..., topmetal."""
        out: list[Metal | Via] = []
        for index, metal in enumerate(self.metals):
            out.append(metal)
            if index < len(self.vias):
                out.append(self.vias[index])
        return out


def stackup(name: str) -> Stackup:
    """The stackup ``NML_WWWW``: N metal layers of WWWW/1000 um wiring."""
    count, wire = name.split("ML_")
    width = int(wire)
    metals = tuple(_metal(n, int(count), width) for n in range(1, int(count) + 1))
    vias = tuple(
        Via(f"via{n}", 2 * n, width // 2, metals[n - 1], metals[n]) for n in range(1, len(metals))
    )
    return Stackup(name, metals, vias)


def _metal(n: int, count: int, width: int) -> Metal:
    if n == count:
        return Metal("topmetal", 100, width, None, n % 2 == 1)
    return Metal(f"metal{n}", 2 * n - 1, width, MAX_WIDTH, n % 2 == 1)


@dataclass(frozen=True)
class Rule:
    """One check of the original deck, under the category it writes its markers to."""

    category: str
    kind: str  # ongrid, outline, min_width, min_space, max_width, via_shape, not_inside, enclosed
    layer: str
    value: int  # nm
    other: str = ""  # the enclosing metal of not_inside and enclosed


def rules(stack: Stackup) -> list[Rule]:
    """Every check of the original deck, in its order."""
    out: list[Rule] = []
    for layer in stack.layers():
        name = layer.name
        out += [Rule(f"{name}.ongrid", "ongrid", name, GRID)]
        out += [Rule(f"{name}.outline", "outline", name, MARGIN)]
        if isinstance(layer, Metal):
            out += [Rule(f"{name}.min_width", "min_width", name, layer.width)]
            out += [Rule(f"{name}.min_space", "min_space", name, layer.width)]
            if layer.max_width is not None:
                out += [Rule(f"{name}.max_width", "max_width", name, layer.max_width)]
            continue
        out += [Rule(f"{name}.via_shape", "via_shape", name, layer.size)]
        out += [Rule(f"{name}.min_space", "min_space", name, layer.size)]
        for metal in (layer.below, layer.above):
            category = f"{name}.in_{metal.name}"
            out += [Rule(category, "not_inside", name, 0, metal.name)]
            out += [Rule(category, "enclosed", name, layer.size, metal.name)]
    return out


def categories(stack: Stackup) -> list[str]:
    """The categories of the original deck's report, in order."""
    return list(dict.fromkeys(rule.category for rule in rules(stack)))
