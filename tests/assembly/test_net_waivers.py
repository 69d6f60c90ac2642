"""Waivers naming a net: an intentional short or open accepted with a reason, applied by
``adk check-assembly --waivers``: the markers stay in the report, waived, and do not fail."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adk.examples.assembly import ASSEMBLY_FILE, write_assembly_example
from adk.report.waivers import WaiverFileError, parse_waivers

from .test_opens_shorts import with_opens_shorts

WAIVERS = """\
waivers:
- rule: ASIC.BR2.NET.OS
  net: VSS
  reason: ground strapped to the H2_1 shield pad on purpose
  owner: pkg-team
- rule: ASIC.BR2.NET
  net: VSS
  box: [8500.0, 2700.0, 8500.0, 2700.0]
  reason: the same strap, seen by the net rule
  owner: pkg-team
- rule: ASIC.BR2.NET
  net: H2_1
  reason: the pad's net, left without a bump of its own
  owner: pkg-team
- rule: ASIC.BR2.NET.OS
  net: NOPE
  reason: a net no marker involves
  owner: pkg-team
"""


def test_a_waiver_may_name_a_net_instead_of_a_box() -> None:
    first, second, *_ = parse_waivers("w.yaml", WAIVERS)
    assert (first.rule, first.net, first.box, first.line) == ("ASIC.BR2.NET.OS", "VSS", None, 2)
    assert (second.net, second.box) == ("VSS", (8500.0, 2700.0, 8500.0, 2700.0))
    assert first.describe() == "w.yaml:2: waiver of ASIC.BR2.NET.OS on net VSS"


@pytest.mark.parametrize(
    "entry, expected",
    [
        (
            "- rule: R\n  reason: r\n  owner: o\n",
            "w.yaml:2:3: waiver without 'box' or 'net': it must say what it waives",
        ),
        (
            "- rule: R\n  net: VDD SENSE\n  reason: r\n  owner: o\n",
            "w.yaml:3:8: 'net' must be a net's name, without spaces",
        ),
        (
            "- rule: R\n  net: ~\n  reason: r\n  owner: o\n",
            "w.yaml:3:8: 'net' must be a non-empty text",
        ),
    ],
)
def test_net_waiver_faults(entry: str, expected: str) -> None:
    with pytest.raises(WaiverFileError) as caught:
        parse_waivers("w.yaml", "waivers:\n" + entry)
    found = [f"{d.file}:{d.line}:{d.column}: {d.message}" for d in caught.value.diagnostics]
    assert found == [expected]


def _check(folder: Path, *args: str) -> tuple[int, dict, str]:
    command = [sys.executable, "-m", "adk", "check-assembly", str(folder / ASSEMBLY_FILE)]
    done = subprocess.run(
        [*command, "--deck", str(with_opens_shorts(folder)), "--format", "json", *args],
        capture_output=True,
        text=True,
        cwd=folder,
    )
    return done.returncode, json.loads(done.stdout), done.stderr


def test_check_assembly_applies_net_waivers(tmp_path: Path) -> None:
    write_assembly_example("focos_bridge", str(tmp_path))
    bump_map = tmp_path / "asic_bumps.csv"
    text = bump_map.read_text(encoding="utf-8")
    bump_map.write_text(text.replace("\nR_1_0,H2_1,", "\nR_1_0,VSS,"), encoding="utf-8")
    status, _, _ = _check(tmp_path)
    assert status == 1
    (tmp_path / "waivers.yaml").write_text(WAIVERS, encoding="utf-8")
    status, summary, stderr = _check(tmp_path, "--waivers", "waivers.yaml")
    assert status == 0, stderr
    markers = {
        rule["id"]: [(m["text"], (m["waived"] or {}).get("waiver")) for m in rule["markers"]]
        for rule in summary["rules"]
        if rule["markers"]
    }
    assert markers == {
        "ASIC.BR2.NET": [
            ("net H2_1 of BR2.net lands on no ASIC.net of its net [ASIC, BR2]", "waivers.yaml:11"),
            ("net VSS (ASIC.net) on net H2_1 (BR2.net) [ASIC, BR2]", "waivers.yaml:6"),
        ],
        "ASIC.BR2.NET.OS": [
            (
                "short: net VSS (ASIC.net) lands on nets H2_1, VSS (BR2.net) [ASIC, BR2]",
                "waivers.yaml:2",
            )
        ],
    }
    assert summary["waivers"]["stale"] == ["waivers.yaml:15"]
    assert "waivers.yaml:15: waiver of ASIC.BR2.NET.OS on net NOPE matches no marker" in " ".join(
        summary["warnings"]
    )
    database = (tmp_path / "assembly.lyrdb").read_text(encoding="utf-8")
    assert "ground strapped to the H2_1 shield pad on purpose" in database
