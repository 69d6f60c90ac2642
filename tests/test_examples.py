"""The bundled examples, one per pillar: clean passes every rule of the pillar's deck, dirty
fails exactly what was planted."""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

from adk.api import load_deck
from adk.examples import PILLARS
from adk.lang.model import Deck
from tests.example_checks import (
    assert_clean,
    assert_every_rule_fails,
    assert_markers_at_planted_spots,
    assert_no_stray_markers,
    marker_counts,
    run_dirty,
)

# the formats each clean example is written in and checked from
SUFFIXES = dict.fromkeys(PILLARS, (".gds", ".oas"))
SUFFIXES["focos_bridge"] = (".gds", ".oas", ".gds.gz")


def one_each(*rules: str) -> Counter:
    return Counter(dict.fromkeys(rules, 1))


# one marker per planted defect (the edge pairs or windows of one defect are one marker),
# except where a planted defect is two:
EXPECTED_COUNTS = {
    "cpo": one_each(
        "PKG.D2D.GAP",
        "PKG.HBM.D",
        "PKG.FID.N",
        "PKG.FID.D",
        "CPO.EIC.PIC",
        "CPO.LASER.N",
        "CPO.LASER.D",
        "CPO.FA.KOZ",
        "CPO.FAU.VG",
        "UB.P",
        "UB.SZ",
        "TSV.SZ",
        "TSV.P",
        "TSV.IN",
        "TMV.SZ",
        "TMV.P",
        "TMV.EIC",
        "CPO.FAU.ALIGN",
        "UB.ALIGN",
    ),
    "focos_bridge": one_each(
        "PKG.D2D.GAP",
        "PKG.HBM.D",
        "PKG.FID.N",
        "PKG.FID.D",
        "BR.M1.W",
        "BR.M1.S",
        "RDL1.W",
        "RDL1.S",
        "RDL2.W",
        "RDL2.S",
        "VIA1.ENC",
        "VIA1.A",
        "UB.P",
        "UB.SZ",
        "UB.DEN",
        "PAD.EXT",
        "BR.PL",
        "KOZ.1",
        # the 1.2 mm plate fills three of the 1 mm windows stepped by 500 um beyond 70 %: their
        # union, "(3 windows)"
        "RDL1.DEN",
        "UB.EDGE",  # the three edge pairs of the bump octagon facing the die edge, joined
        # the bump 12 um off its pad: one edge from the bump to the pad, over both planted
        # spots (the bump, and the pad without a bump on it)
        "UB.ALIGN",
        "UB.PAD.OVL",  # three octagon edges reach less than 15 um into the pad: one area
    ),
    "focos_cf": one_each(
        "PKG.D2D.GAP",
        "PKG.HBM.D",
        "PKG.FID.N",
        "PKG.FID.D",
        "RDL1.W",
        "RDL1.S",
        "RDL2.W",
        "RDL2.S",
        "VIA0.PAD",
        "VIA0.ENC",
        "VIA1.ENC",
        "DIE.EDGE",
        "C4.P",
        "C4.SZ",
        "KOZ.1",
    )
    + Counter(
        {
            "RDL2.DEN": 2,  # the window without mesh, and the window under the solid plate
            "DIE.GAP": 2,  # the chiplet 50 um from another, and the one 30 um from the memory die
        }
    ),
    "focos_cl": one_each(
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
        "UB.PAD",  # the octagon's thin side and its two diagonal sides: three edge pairs, joined
        "PAD.PO",  # the same for the opening
        "UB.EDGE",  # the three edge pairs of the bump octagon facing the die edge, joined
    ),
    "fopop": one_each(
        "PKG.D2D.GAP",
        "PKG.HBM.D",
        "PKG.FID.N",
        "PKG.FID.D",
        "RDL1.W",
        "RDL1.S",
        "RDL2.W",
        "RDL2.S",
        "VIA1.ENC1",
        "VIA1.ENC2",
        "TMV.SZ",
        "TMV.P",
        "TMV.ENC",
        "TMV.DIE",
        "POP.P",
        "KOZ.1",
        # the 1.3 mm plate fills three 1 mm windows (500 um steps) beyond 70 %: their union
        "RDL1.DEN",
        "TMV.EDGE",  # six edges of the TMV's 32-gon come within 200 um of the package edge, joined
        # the ball 30 um off its pad: one edge from the ball to the pad, over both planted
        # spots (the ball, and the pad without a ball on it)
        "POP.ALIGN",
    ),
    "fosip": one_each(
        "PKG.D2D.GAP",
        "PKG.HBM.D",
        "PKG.FID.N",
        "PKG.FID.D",
        "RDL1.W",
        "RDL1.S",
        "RDL2.W",
        "RDL2.S",
        "PAS.DIE",
        "PAS.DECAP",
        "ANT.KOZ",
        "RF.ISO",
        "BGA.P",
        "BGA.SZ",
        "KOZ.1",
        # the 1.3 mm plate fills three 1 mm windows (500 um steps) beyond 70 %: their union
        "RDL1.DEN",
    )
    + Counter({"PAS.PAS": 2}),  # each of the two capacitors, measured to the other
    "ic25d": one_each(
        "PKG.D2D.GAP",
        "PKG.HBM.D",
        "PKG.FID.N",
        "PKG.FID.D",
        "IP.M1.W",
        "IP.M1.S",
        "IP.M2.W",
        "IP.M2.S",
        "UB.P",
        "UB.SZ",
        "UB.DEN",
        "TSV.SZ",
        "TSV.P",
        "DIE.ENC",
        "C4.P",
        "KOZ.1",
        "UB.ALIGN",
        "TSV.KOZ",  # the capacitor faces two TSV edges at its nearest vertex: two pairs, joined
        "TSV.ENC",  # the pad edge faces two TSV edges at its nearest vertex: two pairs, joined
    ),
    "ic3d": one_each(
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
        "HB.ALIGN",
        "TSV.ENC",  # the pad edge faces two TSV edges at its nearest vertex: two pairs, joined
        "TSV.KOZ",  # the active area faces two TSV edges at its nearest vertex: two pairs, joined
        "HB.EDGE",  # the pad octagon faces the top die edge with three of its edges, joined
    ),
}


@cache
def deck_of(pillar: str) -> Deck:
    return load_deck(f"rules/{pillar}.adk")


def test_every_pillar_has_its_expected_counts():
    assert set(EXPECTED_COUNTS) == set(PILLARS)


@pytest.mark.parametrize(
    ("pillar", "suffix"), [(pillar, suffix) for pillar in PILLARS for suffix in SUFFIXES[pillar]]
)
def test_clean_example_passes_every_rule(tmp_path, pillar, suffix):
    assert_clean(pillar, deck_of(pillar), str(tmp_path / f"clean{suffix}"))


@pytest.fixture(scope="module", params=PILLARS)
def dirty(request, tmp_path_factory):
    """The pillar, its checked dirty example and the violations planted in it."""
    pillar = request.param
    path = tmp_path_factory.mktemp(f"dirty-{pillar}") / "dirty.oas"
    return (pillar, *run_dirty(pillar, deck_of(pillar), str(path)))


def test_dirty_example_fails_every_rule(dirty):
    pillar, result, planted = dirty
    assert_every_rule_fails(deck_of(pillar), result, planted)


def test_dirty_example_markers_are_where_they_were_planted(dirty):
    _, result, planted = dirty
    assert_markers_at_planted_spots(result, planted)


def test_dirty_example_has_no_stray_markers(dirty):
    _, result, planted = dirty
    assert_no_stray_markers(result, planted)


def test_dirty_example_marker_counts(dirty):
    pillar, result, _ = dirty
    assert marker_counts(result) == EXPECTED_COUNTS[pillar]
