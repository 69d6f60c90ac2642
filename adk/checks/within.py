"""Bump centres inside a region: the ``within`` of the bump kinds that compare two sides
of an interface (align, bump_count, nets), where only the bumps over the region count."""

from __future__ import annotations

import klayout.db as kdb
import numpy as np

from adk.layout.bumps import inside


def inside_region(points: np.ndarray, region: kdb.Region, dbu: float) -> np.ndarray:
    """The indices of ``points`` (µm, sorted by x) whose point lies inside a polygon of
    ``region`` (database units, merged) or on its boundary, in ascending order."""
    keep = np.zeros(len(points), dtype=bool)
    for polygon in region.each():
        keep[inside(points, polygon, dbu)] = True  # a mask: polygons may share a boundary
    return np.flatnonzero(keep)


def restricted(points: np.ndarray, region: kdb.Region | None, dbu: float) -> np.ndarray:
    """``points`` inside ``region`` (all of them for None), in their order."""
    if region is None:
        return points
    return points[inside_region(points, region, dbu)]
