"""The bundled 3D IC example: clean passes every rule, dirty fails exactly what was planted."""

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

PILLAR = "ic3d"


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
            "STK.ENC",
            "BM.W",
            "BM.S",
            "TSV.SZ",
            "TSV.P",
            "TSV.IN",
            "HB.P",
            "HB.SZ",
            "HB.DEN",
            "KOZ.1",
        ),
        1,
    )
)
EXPECTED_COUNTS.update(
    {
        "TSV.ENC": 1,  # one area: the pad edge faces two TSV edges at its nearest vertex
        "TSV.KOZ": 1,  # one area: the active area faces two TSV edges at its nearest vertex
        "HB.ALIGN": 2,  # the top-die pad off its base-die pad, and that pad without a partner
        "HB.EDGE": 3,  # the pad octagon faces the top die edge with three of its edges
    }
)
