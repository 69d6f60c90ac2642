"""lambdapdk's interposer rules run by KLayout and by adk's shipped decks on generated
interposers with a planted violation of every rule, compared category by category (the
original deck's report categories).

KLayout runs a script written from the public values (benchmarks/lambdapdk/klayout_deck.py:
each check as the original deck writes it, layers the unions of their datatypes, flat, two
threads) in the application, in batch mode. For every stackup and category:

- adk finds every planted violation, and each of its markers lies at a planted site;
- each KLayout marker lies inside an adk marker, and each adk marker holds a KLayout marker
  or lies inside one (adk marks a too-wide plate whole where KLayout marks its edges, and
  a via half out of its metal both as the via and as the half outside, where KLayout's
  ``not_inside`` marks the via);
- KLayout finds every planted violation too, except where it is wrong, KLAYOUT_WRONG below.

Where KLayout is wrong: ``via.drc(width(euclidian) != 200.nm)``, the original's via shape
check, passes a via of the nominal width however long. Its ``> 200.nm`` half keeps the
edges with no width under 201 nm, and KLayout drops the short sides of a rectangle whose
long sides are 200 nm apart: a 0.2 x 0.4 um via gives no edge at all (nor does a 0.2 x 1 um
one), so the check sees a correct via. adk's ``size(via1) == 0.2 um`` marks it, with
``length 0.4 um != 0.2 um (0.2 um x 0.4 um)``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import klayout.db as kdb
import pytest

from benchmarks.lambdapdk import compare
from benchmarks.lambdapdk.interposer import Mark
from benchmarks.lambdapdk.klayout_deck import drc_script
from benchmarks.lambdapdk.stackups import SHIPPED, categories, stackup
from tests.lambdapdk.interposers import adk_report, category_of, deck_of, renumbered, written

PEER = Path(__file__).resolve().parents[2] / "benchmarks" / "lambdapdk" / "peer_module.py"


def klayout_wrong(mark: Mark) -> bool:
    """The planted sites KLayout's rules pass, wrongly: each via of the nominal width and
    twice its length."""
    return mark.site.endswith(" long") and mark.rule.endswith(".via_shape")


@dataclass
class Compared:
    stackup: str
    marks: list[Mark]
    category_of: dict[str, str]
    adk: dict[str, list[kdb.DBox]]
    klayout: dict[str, list[kdb.DBox]]
    layout: Path
    klayout_report: Path

    def planted(self, category: str) -> list[Mark]:
        return [
            m for m in self.marks if m.kind == "expect" and self.category_of[m.rule] == category
        ]


@pytest.fixture(scope="session")
def klayout_exe() -> str:
    exe = shutil.which("klayout")
    if exe is None:
        pytest.skip("the KLayout application is not installed (Debian: apt-get install klayout)")
    return exe


def run_klayout(exe: str, script: Path, layout: Path, report: Path) -> Path:
    done = subprocess.run(
        [exe, "-b", "-r", str(script), "-rd", f"input={layout}", "-rd", f"report={report}"]
        + ["-rd", "threads=2"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert report.is_file(), done.stdout + done.stderr
    return report


@pytest.fixture(scope="module", params=SHIPPED)
def compared(request, klayout_exe, tmp_path_factory) -> Compared:
    """One stackup's interposer, checked by KLayout and by adk."""
    name = request.param
    folder = tmp_path_factory.mktemp(name)
    interposer, layout = written(name, folder / "interposer.gds")
    script = folder / f"{name}.drc"
    script.write_text(drc_script(stackup(name)), encoding="utf-8")
    klayout = run_klayout(klayout_exe, script, layout, folder / "klayout.lyrdb")
    deck = deck_of(name)
    adk = adk_report(deck, layout, folder / "adk.lyrdb")
    adk_boxes, klayout_boxes = compare.marker_boxes(str(adk)), compare.marker_boxes(str(klayout))
    return Compared(
        name, interposer.marks, category_of(deck), adk_boxes, klayout_boxes, layout, klayout
    )


def test_both_report_the_original_categories(compared):
    expected = categories(stackup(compared.stackup))
    assert list(compared.klayout) == expected
    assert list(compared.adk) == expected


def test_adk_finds_every_planted_violation_and_nothing_else(compared):
    missed, stray = {}, {}
    for category, boxes in compared.adk.items():
        planted = compared.planted(category)
        assert planted, f"nothing planted for {category}"
        missed[category] = [m.site for m in compare.missed(planted, boxes)]
        stray[category] = [b for b in boxes if not any(compare.covers(b, m) for m in planted)]
    assert {c: m for c, m in missed.items() if m} == {}
    assert {c: s for c, s in stray.items() if s} == {}


def test_every_klayout_marker_lies_inside_an_adk_marker(compared):
    unmatched = {
        category: compare.outside(boxes, compared.adk[category])
        for category, boxes in compared.klayout.items()
    }
    assert {c: u for c, u in unmatched.items() if u} == {}


def test_every_adk_marker_matches_a_klayout_marker_where_klayout_is_right(compared):
    unmatched = {}
    for category, boxes in compared.adk.items():
        wrong = [m for m in compared.planted(category) if klayout_wrong(m)]
        alone = compare.unmatched(boxes, compared.klayout[category])
        unmatched[category] = [b for b in alone if not any(compare.covers(b, m) for m in wrong)]
    assert {c: u for c, u in unmatched.items() if u} == {}


def test_klayout_misses_only_where_it_is_wrong(compared):
    missed = {
        category: compare.missed(compared.planted(category), boxes)
        for category, boxes in compared.klayout.items()
    }
    wrong = {c: [m for m in compared.planted(c) if klayout_wrong(m)] for c in missed}
    assert {c: m for c, m in missed.items() if m} == {c: w for c, w in wrong.items() if w}
    vias = [layer.name for layer in stackup(compared.stackup).vias]
    assert sorted({c for c, w in wrong.items() if w}) == sorted(f"{v}.via_shape" for v in vias)


def test_the_module_peer_gives_the_application_markers(compared, tmp_path):
    """The benchmark's klayout-module script runs the same checks: the same markers."""
    for mode in ("flat", "deep"):
        report = tmp_path / f"{mode}.lyrdb"
        command = [sys.executable, str(PEER), str(compared.layout), compared.stackup, mode]
        subprocess.run(command + ["--markers", str(report)], check=True, capture_output=True)
        assert _items(report) == _items(compared.klayout_report), mode


def _items(report: Path) -> dict[str, list[str]]:
    import klayout.rdb as rdb

    database = rdb.ReportDatabase("")
    database.load(str(report))
    names = {category.rdb_id(): category.name() for category in database.each_category()}
    found: dict[str, list[str]] = {}
    for item in database.each_item():
        values = sorted(str(value) for value in item.each_value())
        found.setdefault(names[item.category_id()], []).append(" ".join(values))
    return {name: sorted(values) for name, values in found.items()}


def test_the_long_via_passes_klayout_and_fails_adk(compared):
    """The documented case, shown on via1: KLayout has no marker there, adk its length."""
    (long_via,) = [m for m in compared.planted("via1.via_shape") if m.site == "via1 long"]
    assert compare.missed([long_via], compared.klayout["via1.via_shape"]) == [long_via]
    assert not compare.missed([long_via], compared.adk["via1.via_shape"])


def test_klayout_is_silently_clean_on_another_layer_map(klayout_exe, tmp_path):
    """The original's rules on a layout of other layer numbers (the outline alone where the
    deck expects it) report nothing at all, a clean run; adk exits 4 there, naming the
    rules it could not check (test_lambdapdk_decks.py)."""
    _, layout = written("3ML_0400", tmp_path / "ip.gds")
    other = tmp_path / "other.gds"
    renumbered(layout, other, 200)
    script = tmp_path / "deck.drc"
    script.write_text(drc_script(stackup("3ML_0400")), encoding="utf-8")
    boxes = compare.marker_boxes(str(run_klayout(klayout_exe, script, other, tmp_path / "k.lyrdb")))
    assert sum(len(found) for found in boxes.values()) == 0
