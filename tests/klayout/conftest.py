"""Fixtures for the tests that run the KLayout application (they skip where it is absent)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import klayout.rdb as rdb
import pytest

from adk.api import load_deck
from adk.examples.writer import write_example
from adk.layout.reader import read_layout
from adk.report.markers import write_marker_database
from adk.run.engine import run_deck

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture(scope="session")
def klayout_exe() -> str:
    exe = shutil.which("klayout")
    if exe is None:
        pytest.skip("the KLayout application is not installed (Debian: apt-get install klayout)")
    return exe


@pytest.fixture(scope="session")
def klayout_home(klayout_exe, tmp_path_factory) -> Path:
    """A KLayout home with the adk grain installed (checked against the application)."""
    from adk.klayout.install import install

    home = tmp_path_factory.mktemp("klayout_home")
    install(home, klayout_exe)
    return home


@pytest.fixture(scope="session")
def dirty_focos(tmp_path_factory) -> tuple[Path, Path]:
    """The dirty FOCoS-Bridge example and the marker database ``adk check`` writes for it."""
    folder = tmp_path_factory.mktemp("focos")
    return example_and_report(folder, "focos_bridge")


def example_and_report(folder: Path, pillar: str, pairs: bool = False) -> tuple[Path, Path]:
    """The dirty example of ``pillar`` and its marker database; with ``pairs``, rules that
    ask for ``markers areas`` report edge pairs instead, as KLayout's own checks do."""
    layout = folder / f"{pillar}.gds"
    write_example(pillar, str(layout), dirty=True)
    deck = load_deck(str(RULES / f"{pillar}.adk"))
    if pairs:
        deck = replace(
            deck,
            rules=[
                replace(
                    rule,
                    check=replace(
                        rule.check,
                        params=tuple(
                            (name, value) for name, value in rule.check.params if name != "markers"
                        ),
                    ),
                )
                for rule in deck.rules
            ],
        )
    report = folder / f"{pillar}.adk.lyrdb"
    write_marker_database(run_deck(deck, deck.layers, read_layout(str(layout))), str(report))
    return layout, report


def category_counts(report: Path) -> dict[str, int]:
    """Items per category (rule id) of a marker database."""
    database = rdb.ReportDatabase("")
    database.load(str(report))
    return {category.name(): category.num_items() for category in database.each_category()}


def marker_boxes(report: Path) -> dict[str, list[tuple[float, ...]]]:
    """Each category's markers as sorted bounding boxes (um, 3 decimals)."""
    database = rdb.ReportDatabase("")
    database.load(str(report))
    names = {category.rdb_id(): category.name() for category in database.each_category()}
    boxes: dict[str, list[tuple[float, ...]]] = {name: [] for name in names.values()}
    for item in database.each_item():
        for value in item.each_value():
            for kind in ("box", "polygon", "edge_pair", "edge"):
                if getattr(value, f"is_{kind}")():
                    box = getattr(value, kind)().bbox()
                    boxes[names[item.category_id()]].append(
                        tuple(round(v, 3) for v in (box.left, box.bottom, box.right, box.top))
                    )
    return {name: sorted(found) for name, found in boxes.items()}
