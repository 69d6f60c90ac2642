"""Physical dimensions and units of the rule language.

Every quantity is kept in base units: lengths in micrometres, areas in square
micrometres, counts per area per square micrometre, ratios as fractions.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Dim(enum.Enum):
    """The dimension of a quantity."""

    NUMBER = "number"
    LENGTH = "length"
    AREA = "area"
    PER_AREA = "count per area"
    RATIO = "ratio"

    @property
    def article(self) -> str:
        return {
            "NUMBER": "a plain number",
            "LENGTH": "a length",
            "AREA": "an area",
            "PER_AREA": "a count per area",
            "RATIO": "a percentage",
        }[self.name]


# unit word -> (dimension, factor to base units)
UNITS: dict[str, tuple[Dim, float]] = {
    "nm": (Dim.LENGTH, 1e-3),
    "um": (Dim.LENGTH, 1.0),
    "µm": (Dim.LENGTH, 1.0),
    "mm": (Dim.LENGTH, 1e3),
    "nm2": (Dim.AREA, 1e-6),
    "um2": (Dim.AREA, 1.0),
    "µm2": (Dim.AREA, 1.0),
    "mm2": (Dim.AREA, 1e6),
    "/nm2": (Dim.PER_AREA, 1e6),
    "/um2": (Dim.PER_AREA, 1.0),
    "/µm2": (Dim.PER_AREA, 1.0),
    "/mm2": (Dim.PER_AREA, 1e-6),
    "%": (Dim.RATIO, 1e-2),
}

LENGTH_UNITS = ("nm", "um", "mm")

# The largest magnitude of each dimension, in base units, and how a message says it. A
# layout's coordinates are 32-bit database units: at 1 nm that is 2.1 m, so a length above
# 1 m means nothing, and 1 m2 is 1e18 nm2, still a 64-bit area. A count per area is at
# most one per square picometre, the inverse of the largest area. Plain numbers stay below
# 2**53, where every whole number is exact.
LARGEST: dict[Dim, tuple[float, str]] = {
    Dim.NUMBER: (1e15, "plain numbers are at most 1e15"),
    Dim.LENGTH: (1e6, "lengths are at most 1e6 um (1 m)"),
    Dim.AREA: (1e12, "areas are at most 1e12 um2 (1 m2)"),
    Dim.PER_AREA: (1e12, "counts per area are at most 1e12 /um2"),
    Dim.RATIO: (1e13, "percentages are at most 1e15 %"),
}


def out_of_range(value: float, dim: Dim) -> str | None:
    """Why ``value`` (base units) is too large for ``dim``, or None when it is not."""
    largest, why = LARGEST[dim]
    return None if abs(value) <= largest else f"value out of range: {why}"


# the unit each dimension is shown in, by the deck's length unit
_DISPLAY = {
    "nm": {Dim.LENGTH: "nm", Dim.AREA: "nm2", Dim.PER_AREA: "/nm2"},
    "um": {Dim.LENGTH: "um", Dim.AREA: "um2", Dim.PER_AREA: "/mm2"},
    "mm": {Dim.LENGTH: "mm", Dim.AREA: "mm2", Dim.PER_AREA: "/mm2"},
}


def canonical_unit(word: str) -> str:
    """The ASCII spelling of a unit word (µm -> um)."""
    return word.replace("µ", "u").replace(" ", "")


def default_unit(dim: Dim, length_unit: str) -> str | None:
    """The unit a plain number stands for in a context of ``dim``."""
    if dim is Dim.LENGTH:
        return length_unit
    if dim is Dim.AREA:
        return length_unit + "2"
    if dim is Dim.PER_AREA:
        return "/" + length_unit + "2"
    return None


@dataclass(frozen=True)
class Quantity:
    """A value in base units with its dimension."""

    value: float
    dim: Dim

    def format(self, length_unit: str = "um") -> str:
        """Human-readable text such as ``1.62 um`` or ``412 /mm2``."""
        if self.dim is Dim.NUMBER:
            return _number(self.value)
        if self.dim is Dim.RATIO:
            return f"{_number(self.value * 100)} %"
        unit = _DISPLAY[length_unit][self.dim]
        if length_unit != "mm" and self.dim in _LARGE and abs(self.value) >= _LARGE[self.dim][1]:
            unit = _LARGE[self.dim][0]  # 2 mm reads better than 2000 um
        return f"{_number(self.value / UNITS[unit][1])} {unit}"


_LARGE = {Dim.LENGTH: ("mm", 1e3), Dim.AREA: ("mm2", 1e5)}


def _number(value: float) -> str:
    """Up to four decimals, trailing zeros dropped, never scientific for usual sizes."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
