"""The bundled FOCoS-CL example: clean passes every rule, dirty fails exactly what was planted."""

from __future__ import annotations

from collections import Counter

import pytest

from adk.api import load_deck
from tests.example_checks import (
    assert_clean,
    assert_every_rule_fails,
    assert_markers_at_planted_spots,
    assert_no_stray_markers,
    marker_counts,
    run_dirty,
)

PILLAR = "focos_cl"


@pytest.fixture(scope="module")
def deck():
    return load_deck(f"rules/{PILLAR}.adk")


@pytest.mark.parametrize("suffix", [".gds", ".oas"])
def test_clean_example_passes_every_rule(deck, tmp_path, suffix):
    assert_clean(PILLAR, deck, str(tmp_path / f"clean{suffix}"))


@pytest.fixture(scope="module")
def dirty(deck, tmp_path_factory):
    return run_dirty(PILLAR, deck, str(tmp_path_factory.mktemp("dirty") / "dirty.oas"))


def test_dirty_example_fails_every_rule(deck, dirty):
    assert_every_rule_fails(deck, *dirty)


def test_dirty_example_markers_are_where_they_were_planted(dirty):
    assert_markers_at_planted_spots(*dirty)


def test_dirty_example_has_no_stray_markers(dirty):
    assert_no_stray_markers(*dirty)


def test_dirty_example_marker_counts(dirty):
    assert marker_counts(dirty[0]) == EXPECTED_COUNTS


# one marker per planted defect, except where one defect gives several:
EXPECTED_COUNTS = Counter(
    dict.fromkeys(
        (
            "PKG.D2D.GAP",
            "PKG.HBM.D",
            "PKG.FID.N",
            "PKG.FID.D",
            "RDL1.W",
            "RDL1.S",
            "RDL2.W",
            "RDL2.S",
            "VIA1.ENC",
            "UB.P",
            "UB.SZ",
            "UB.DEN",
            "UB.IO",
            "UB.ALIGN",
            "KOZ.1",
        ),
        1,
    )
)
EXPECTED_COUNTS.update(
    {
        "UB.PAD": 1,  # one area: the octagon's thin side and its two diagonal sides
        "PAD.PO": 3,  # the same for the opening
        "UB.EDGE": 1,  # one area: the three edge pairs of the bump octagon facing the die edge
    }
)
