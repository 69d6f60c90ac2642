"""What a dirty example plants."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Planted:
    """A violation planted in a dirty example: the rule it breaks, a point of it in µm, and what."""

    rule: str
    x: float
    y: float
    what: str
