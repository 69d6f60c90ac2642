"""Benchmark: adk's lambdapdk deck against KLayout running the deck it replaces, on a
generated interposer.

    python benchmarks/lambdapdk/run.py [--stackup 3ML_0400] [--shapes 1M] [--repeats 3]
                                       [--jobs 2] [--defect-sets 10] [--work DIR]

The interposer (``interposer.py``) is generated once into the work folder (default: a
folder in the system's temporary directory, never the repository). Each engine runs in a
subprocess of its own, the engines taking turns: one warm-up round, then ``--repeats`` timed
rounds; the table gives medians of wall time, CPU time (user and system, of the process and
the processes it waited for) and peak resident memory (the largest single process), and the
ratio of each engine's wall time to adk's in the same run. Each engine's markers of the last
round are checked against the planted violations.

Engines: the KLayout application running the original deck's rules (``klayout_deck.py``:
flat, ``threads(2)``), the same rules with the klayout Python module (``peer_module.py``,
``flat``, ``merged`` and ``deep``), and adk with the shipped deck, in one process and with
``--jobs``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import klayout

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.lambdapdk import compare  # noqa: E402
from benchmarks.lambdapdk.interposer import Interposer, build, units_for  # noqa: E402
from benchmarks.lambdapdk.klayout_deck import drc_script  # noqa: E402
from benchmarks.lambdapdk.stackups import stackup  # noqa: E402

PEER = ROOT / "benchmarks" / "lambdapdk" / "peer_module.py"


@dataclass
class Engine:
    name: str
    command: list[str]
    report: str
    ok_codes: tuple[int, ...] = (0,)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    def median(self, values: list[float]) -> float:
        return statistics.median(values)


def engines(layout: str, name: str, script: str, jobs: int, folder: str) -> list[Engine]:
    """Every engine's command line, each writing its markers to a report of its own."""

    def report(tag: str) -> str:
        return os.path.join(folder, f"{tag}.lyrdb")

    klayout = ["klayout", "-b", "-r", script, "-rd", f"input={layout}"]
    found = [
        Engine(
            f"KLayout app, flat, {jobs} threads",
            klayout + ["-rd", f"report={report('app')}", "-rd", f"threads={jobs}"],
            report("app"),
        )
    ]
    for mode in ("flat", "merged", "deep"):
        command = [sys.executable, str(PEER), layout, name, mode, "--threads", str(jobs)]
        label = f"klayout module, {mode}" + (f", {jobs} threads" if mode == "deep" else "")
        found.append(Engine(label, command + ["--markers", report(mode)], report(mode)))
    deck = str(ROOT / "rules" / f"lambdapdk_{name}.adk")
    adk = [sys.executable, "-m", "adk", "check", layout, "--deck", deck, "-q"]
    found.append(Engine("adk", adk + ["-o", report("adk")], report("adk"), (1,)))
    if jobs > 1:
        command = adk + ["-o", report("adk-jobs"), "--jobs", str(jobs)]
        found.append(Engine(f"adk --jobs {jobs}", command, report("adk-jobs"), (1,)))
    return found


def measure(engine: Engine) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak resident MB of one run of ``engine``."""
    started = time.perf_counter()
    process = subprocess.Popen(engine.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode() if process.stderr else ""
    if process.returncode not in engine.ok_codes:
        raise SystemExit(f"{engine.name} exited {process.returncode}: {error[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def planted_found(engine: Engine, interposer: Interposer, name: str) -> str:
    """How many planted violations the engine's markers cover, and which it misses."""
    from adk.api import load_deck

    deck = load_deck(str(ROOT / "rules" / f"lambdapdk_{name}.adk"))
    category_of = {rule.id: rule.reported_under for rule in deck.rules}
    expected = interposer.expected()
    hits = compare.found(interposer.marks, compare.marker_boxes(engine.report), category_of)
    lost = sorted({mark.site for mark in expected if mark not in hits})
    text = f"{len(hits)}/{len(expected)}"
    return text + (f" (misses: {', '.join(lost)})" if lost else "")


def table(found: list[Engine], notes: dict[str, str]) -> str:
    adk = {
        engine.name: engine.median(engine.wall) for engine in found if engine.name.startswith("adk")
    }
    heads = ["engine", "wall s", "CPU s", "peak RSS MB"] + [f"÷ {n}" for n in adk]
    lines = ["| " + " | ".join(heads + ["planted found"]) + " |"]
    lines.append("|" + "---|" * (len(heads) + 1))
    for engine in found:
        wall = engine.median(engine.wall)
        cells = [engine.name, f"{wall:.2f}", f"{engine.median(engine.cpu):.2f}"]
        cells += [f"{engine.median(engine.rss_mb):.0f}"]
        cells += [f"{wall / seconds:.2f}" for seconds in adk.values()]
        lines.append("| " + " | ".join(cells + [notes[engine.name]]) + " |")
    return "\n".join(lines)


def klayout_version() -> str:
    done = subprocess.run(["klayout", "-v"], capture_output=True, text=True)
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stackup", default="3ML_0400")
    parser.add_argument("--shapes", default="1M", help="about this many shapes (200k, 1M)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2, help="adk --jobs, KLayout threads")
    parser.add_argument("--defect-sets", type=int, default=10)
    parser.add_argument("--work", default="", help="where the layout and reports go")
    args = parser.parse_args(argv)
    folder = args.work or tempfile.mkdtemp(prefix="adk-lambdapdk-")
    os.makedirs(folder, exist_ok=True)
    stack = stackup(args.stackup)
    count = {"k": 1_000, "M": 1_000_000}
    shapes = round(float(args.shapes[:-1]) * count[args.shapes[-1]])
    began = time.perf_counter()
    interposer = build(stack, units_for(stack, shapes), args.defect_sets)
    layout = os.path.join(folder, f"{args.stackup}.gds")
    interposer.layout.write(layout)
    generated = time.perf_counter() - began
    script = os.path.join(folder, f"{args.stackup}.drc")
    Path(script).write_text(drc_script(stack), encoding="utf-8")
    found = engines(layout, args.stackup, script, args.jobs, folder)
    load = os.getloadavg()[0]
    for round_ in range(args.repeats + 1):
        for engine in found:
            wall, cpu, rss = measure(engine)
            if round_:  # the first round warms the file cache and imports
                engine.wall.append(wall)
                engine.cpu.append(cpu)
                engine.rss_mb.append(rss)
    notes = {engine.name: planted_found(engine, interposer, args.stackup) for engine in found}
    size = os.path.getsize(layout) / 1e6
    print(
        f"{args.stackup}: {interposer.shapes:,} shapes, {size:.0f} MB GDS (generated in "
        f"{generated:.0f} s), {len(interposer.expected())} planted markers; "
        f"{os.cpu_count()} cores, load {load:.1f} before and {os.getloadavg()[0]:.1f} after; "
        f"{klayout_version()} (application), klayout {klayout.__version__} (module), "
        f"Python {platform.python_version()}; "
        f"medians of {args.repeats}"
    )
    print(table(found, notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
