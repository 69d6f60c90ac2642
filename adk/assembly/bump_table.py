"""A part's bumps as every bump map reader gives them (CSV and 3Dblox in
:mod:`adk.assembly.bumpmap`, CDX in :mod:`adk.assembly.cdx`), and the limits they share."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

MAX_ERRORS = 100  # a file this broken is not worth listing row by row
MAX_COORDINATE = 1e6  # µm: a metre
# a name or a net: printable, no spaces
WORD = re.compile(r"[^\s\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class BumpMap:
    """Bump names, their nets and positions (µm, part coordinates), in file order."""

    path: str
    names: list[str]
    nets: list[str]
    points: np.ndarray  # (N, 2)
    cells: list[str] | None = None  # a 3Dblox bump map's bump cells and ports
    ports: list[str] | None = None

    def __len__(self) -> int:
        return len(self.names)
