"""Benchmark adk against KLayout's own engine on synthetic packages.

    python benchmarks/run.py [--scales 10k,100k,1M] [--repeats 3] [--jobs 2] [--breakdown]
    python benchmarks/run.py --scales 100k --engines adk --vertical RDL2 --orient r90

For each scale the package is generated once (GDS, and OASIS with --format oas) into
the work folder (default: a folder in the system's temporary directory; never inside
the repository). Each engine runs in a subprocess of its own: one warm-up run, then
``--repeats`` timed runs; wall time, CPU time (user + system, the process and the
processes it waited for) and peak resident memory (the largest single process) are
the medians. Every engine's marker count per rule is compared with adk's and with the
planted violations; an engine that disagrees is marked and left out of "best".

A variant (the generator's options: vertical buses, touching lines, rotated dies, the
package rotated or mirrored) is also checked against the package it departs from: adk's
markers on a rotated or mirrored package, mapped back, and those on a layer drawn with
touching pieces must equal adk's markers on the package without that change.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from generate import SCALES, Variant, add_variant_options, generate, variant_of, write  # noqa: E402
from markers import differences  # noqa: E402

DECK = os.path.join(HERE, "bench.adk")
PEER = os.path.join(HERE, "peer_klayout.py")
DRC = os.path.join(HERE, "peer.drc")


@dataclass
class Timing:
    engine: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    right: bool = True
    note: str = ""

    def median(self, values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")


# ---------------------------------------------------------------- engines
def adk_command(layout: str) -> list[str]:
    """adk on ``layout``, its markers written to ``layout`` + ``.lyrdb``."""
    return [
        sys.executable,
        "-m",
        "adk",
        "check",
        layout,
        "--deck",
        DECK,
        "--format",
        "json",
        "-q",
        "-o",
        layout + ".lyrdb",
    ]


def engines(layout: str, jobs: int, drc: bool) -> dict[str, list[str]]:
    """Each engine's command line; each prints its marker count per rule."""
    python = sys.executable
    adk = adk_command(layout)
    found = {"adk": adk}
    if jobs > 1:
        found[f"adk --jobs {jobs}"] = adk + ["--jobs", str(jobs)]
    for mode in ("flat", "deep", "unmerged"):
        found[f"klayout-py {mode}"] = [python, PEER, layout, mode]
    if drc:
        for mode in ("flat", "deep", "tiled"):
            found[f"klayout-drc {mode}"] = [
                "klayout",
                "-b",
                "-r",
                DRC,
                "-rd",
                f"input={layout}",
                "-rd",
                f"mode={mode}",
                "-rd",
                f"threads={jobs}",
            ]
    return found


def counts_of(output: str) -> dict[str, int]:
    """Marker counts from any engine's output."""
    for line in output.splitlines():
        if line.startswith("counts: "):
            return json.loads(line[len("counts: ") :])
    text = output.strip()
    data = json.loads(text[text.index("{") :])
    if "rules" in data:
        return {rule["id"]: rule["count"] for rule in data["rules"]}
    return data


def measure(command: list[str], timeout: float) -> tuple[float, float, float, str]:
    """One run: wall s, CPU s, peak RSS MB, standard output."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL, cwd=HERE)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                raise TimeoutError(" ".join(command))
            time.sleep(0.01)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text


def time_engine(name: str, command: list[str], repeats: int, timeout: float) -> Timing:
    timing = Timing(name)
    try:
        measure(command, timeout)  # warm-up: file cache, imports
        for _ in range(repeats):
            wall, cpu, rss, text = measure(command, timeout)
            timing.wall.append(wall)
            timing.cpu.append(cpu)
            timing.rss_mb.append(rss)
        timing.counts = counts_of(text)
    except (TimeoutError, RuntimeError) as exc:
        timing.right, timing.note = False, str(exc)
    return timing


# ---------------------------------------------------------------- the layout
def prepare(scale: str, folder: str, suffix: str, variant: Variant) -> tuple[str, dict]:
    """The package of ``scale`` in ``folder`` (made once) and its planted marker counts."""
    path = os.path.join(folder, f"bench_{scale}{variant.tag()}{suffix}")
    sidecar = path + ".json"
    if not (os.path.exists(path) and os.path.exists(sidecar)):
        package = generate(SCALES[scale], variant)
        write(package, path)
        with open(sidecar, "w") as handle:
            json.dump(
                {
                    "expected": package.expected,
                    "bumps": package.bumps,
                    "rdl_shapes": package.rdl_shapes,
                },
                handle,
            )
    with open(sidecar) as handle:
        return path, json.load(handle)


def reference_of(variant: Variant) -> Variant | None:
    """The package whose markers ``variant``'s must equal (mapped back), if any: the
    same without rotation or mirroring and without touching pieces."""
    reference = replace(variant, orient="r0", touching="")
    return None if reference == variant else reference


def same_markers(layout: str, variant: Variant, scale: str, folder: str, suffix: str) -> str:
    """Whether adk's markers on ``layout`` (written by its timed runs) equal those on
    the reference package, mapped back; an empty string when they do."""
    reference = reference_of(variant)
    if reference is None:
        return ""
    other, _ = prepare(scale, folder, suffix, reference)
    measure(adk_command(other), 3600.0)
    found = differences(layout + ".lyrdb", other + ".lyrdb", variant.orient)
    print(
        f"  adk markers against {os.path.basename(other)}"
        + (" (mapped back)" if variant.orient != "r0" else "")
        + ": "
        + ("; ".join(found) if found else "the same"),
        flush=True,
    )
    return "; ".join(found)


# ---------------------------------------------------------------- adk's own breakdown
class _ProcessClock:
    """Stands in for the ``time`` module where adk times its layers: CPU seconds of this
    process, which other work on a busy machine disturbs less than wall time."""

    perf_counter = staticmethod(time.process_time)


def breakdown(layout: str, cpu: bool = False) -> dict[str, float]:
    """Where adk's time goes on one layout: read, extraction per layer, each check, write;
    with ``cpu``, in CPU seconds of the process."""
    import adk.layout.context
    from adk import checks
    from adk.api import load_deck
    from adk.layout.context import LayoutContext
    from adk.layout.reader import read_layout
    from adk.report.markers import write_marker_database
    from adk.run.plan import plan
    from adk.run.result import RuleOutcome, RunResult

    clock = time.process_time if cpu else time.perf_counter
    if cpu:
        adk.layout.context.time = _ProcessClock  # type: ignore[assignment]
    phases: dict[str, float] = {}
    started = clock()
    deck = load_deck(DECK)
    loaded = read_layout(layout)
    phases["read"] = clock() - started
    context = LayoutContext(loaded, deck.layers, deck.units)
    outcomes = []
    for item in plan(deck, deck.layers):
        before, started = sum(context.seconds.values()), clock()
        markers = checks.runner(item.rule.check.kind)(item.rule.check, context)
        extract = sum(context.seconds.values()) - before
        phases[f"check {item.rule.id}"] = clock() - started - extract
        outcomes.append(RuleOutcome(item.rule, sorted(markers, key=lambda m: m.sort_key())))
    for name, seconds in context.seconds.items():
        phases[f"extract {name}"] = seconds
    started = clock()
    result = RunResult(deck, layout, loaded.top.name, outcomes, [])
    write_marker_database(result, layout + ".breakdown.lyrdb")
    phases["write"] = clock() - started
    return phases


def median_breakdown(layout: str, repeats: int, cpu: bool = False) -> dict[str, float]:
    """:func:`breakdown` in ``repeats`` fresh processes (at least one), medians per phase."""
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, __file__, "--cpu-phases" if cpu else "--phases", layout],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(max(1, repeats))
    ]
    return {phase: statistics.median(run[phase] for run in runs) for phase in runs[0]}


# ---------------------------------------------------------------- report
def _cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo; elsewhere the platform's name."""
    try:
        with open("/proc/cpuinfo") as handle:
            return next(
                line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")
            )
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def machine() -> str:
    cpu = _cpu_name()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import klayout.db as kdb

    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB; Python {platform.python_version()}, "
        f"klayout module {getattr(kdb, '__version__', '?')}"
    )


def table(rows: list[tuple[str, dict, list[Timing]]]) -> str:
    lines = [
        "| scale | engine | wall s | CPU s | peak MB | markers | right | adk/KLayout-best |",
        "|---|---|---:|---:|---:|---:|:---:|---:|",
    ]
    for scale, _, timings in rows:
        peers = [t for t in timings if t.engine.startswith("klayout") and t.right and t.wall]
        best = min(peers, key=lambda t: t.median(t.wall), default=None)
        for t in timings:
            ratio = ""
            if best is not None and t.engine.startswith("adk") and t.wall:
                ratio = f"{t.median(t.wall) / best.median(best.wall):.2f} (vs {best.engine})"
            lines.append(
                f"| {scale} | {t.engine} | {t.median(t.wall):.2f} | "
                f"{t.median(t.cpu):.2f} | {t.median(t.rss_mb):.0f} | "
                f"{sum(t.counts.values())} | "
                f"{'yes' if t.right else 'no'} | {ratio or t.note} |"
            )
    return "\n".join(lines)


def judge(timings: list[Timing], expected: dict[str, int]) -> None:
    """Mark engines whose counts differ from the planted violations."""
    for timing in timings:
        if not timing.right:
            continue
        wrong = sorted(rule for rule, count in expected.items() if timing.counts.get(rule) != count)
        if wrong:
            timing.right = False
            timing.note = "wrong counts: " + ", ".join(
                f"{rule} {timing.counts.get(rule)} (planted {expected[rule]})" for rule in wrong
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="10k,100k,1M", help="from " + ", ".join(SCALES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes for adk --jobs and threads for KLayout's tiled mode",
    )
    parser.add_argument("--format", choices=("gds", "oas"), default="gds")
    add_variant_options(parser)
    parser.add_argument("--engines", help="comma-separated engine names to run (default: all)")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "adk-bench"))
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument(
        "--breakdown", action="store_true", help="also show where adk's time goes, per scale"
    )
    parser.add_argument(
        "--cpu-breakdown",
        action="store_true",
        help="give the breakdown in CPU seconds of the process (steadier on a busy machine)",
    )
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    drc = subprocess.run(["which", "klayout"], capture_output=True).returncode == 0
    print(
        f"machine: {machine()}"
        + ("" if drc else "; no klayout application on PATH: the DRC script peer is skipped"),
        flush=True,
    )
    rows = []
    variant, suffix = variant_of(args), "." + args.format
    for scale in args.scales.split(","):
        layout, info = prepare(scale, args.work, suffix, variant)
        print(
            f"{scale}: {layout}: {info['bumps']} bumps, {info['rdl_shapes']} RDL shapes, "
            f"{os.path.getsize(layout) / 2**20:.0f} MB",
            flush=True,
        )
        timings = []
        for name, command in engines(layout, args.jobs, drc).items():
            if args.engines and name not in args.engines.split(","):
                continue
            timings.append(time_engine(name, command, args.repeats, args.timeout))
            print(f"  {name}: {timings[-1].median(timings[-1].wall):.2f} s", flush=True)
        judge(timings, info["expected"])
        ran_adk = any(timing.engine == "adk" and timing.right for timing in timings)
        wrong = same_markers(layout, variant, scale, args.work, suffix) if ran_adk else ""
        for timing in timings:
            if wrong and timing.engine.startswith("adk"):
                timing.right, timing.note = False, "markers differ: " + wrong
        rows.append((scale + variant.tag().replace("_", " "), info, timings))
        if args.breakdown:
            phases = median_breakdown(layout, args.repeats, args.cpu_breakdown)
            print("  adk breakdown: " + ", ".join(f"{k} {v:.2f} s" for k, v in phases.items()))
    print(table(rows))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] in ("--phases", "--cpu-phases"):
        print(json.dumps(breakdown(sys.argv[2], cpu=sys.argv[1] == "--cpu-phases")))
    else:
        main()
