"""Every bundled example, clean and dirty, gives the marker database recorded in tests/golden/,
byte for byte (the layout's folder aside). A change that alters markers updates these files on
purpose: regenerate them with ``python tests/test_golden_reports.py``."""

from __future__ import annotations

import pathlib
import sys

import pytest

from adk.cli import main
from adk.examples import PILLARS

GOLDEN = pathlib.Path(__file__).parent / "golden"
CASES = [(pillar, variant) for pillar in PILLARS for variant in ("clean", "dirty")]


def marker_database(pillar: str, variant: str, folder: pathlib.Path) -> str:
    """The .lyrdb of ``adk check`` on the example, with its folder written as LAYOUTS."""
    layout, report = folder / f"{pillar}-{variant}.oas", folder / f"{pillar}-{variant}.lyrdb"
    dirty = ["--dirty"] if variant == "dirty" else []
    assert main(["example", pillar, *dirty, "-o", str(layout)]) == 0
    status = main(["check", str(layout), "--deck", f"rules/{pillar}.adk", "-o", str(report), "-q"])
    assert status == (1 if variant == "dirty" else 0)
    text = report.read_text(encoding="utf-8")
    return text.replace(f"<original-file>{folder}/", "<original-file>LAYOUTS/")


@pytest.mark.parametrize(("pillar", "variant"), CASES)
def test_marker_database_is_unchanged(pillar, variant, tmp_path):
    expected = (GOLDEN / f"{pillar}-{variant}.lyrdb").read_text(encoding="utf-8")
    assert marker_database(pillar, variant, tmp_path) == expected


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        for pillar, variant in CASES:
            text = marker_database(pillar, variant, pathlib.Path(work))
            (GOLDEN / f"{pillar}-{variant}.lyrdb").write_text(text, encoding="utf-8")
    sys.exit(0)
