"""Benchmark adk against KLayout's own engine on synthetic packages.

    python benchmarks/run.py [--scales 10k,100k,1M] [--repeats 3] [--jobs 2] [--breakdown]

For each scale the package is generated once (GDS, and OASIS with --format oas) into
the work folder (default: a folder in the system's temporary directory; never inside
the repository). Each engine runs in a subprocess of its own: one warm-up run, then
``--repeats`` timed runs; wall time, CPU time (user + system, the process and the
processes it waited for) and peak resident memory (the largest single process) are
the medians. Every engine's marker count per rule is compared with adk's and with the
planted violations; an engine that disagrees is marked and left out of "best".
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
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from generate import SCALES, generate, write  # noqa: E402

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
def engines(layout: str, jobs: int, drc: bool) -> dict[str, list[str]]:
    """Each engine's command line; each prints its marker count per rule."""
    python = sys.executable
    adk = [
        python,
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
def prepare(scale: str, folder: str, suffix: str, overlap_every: int) -> tuple[str, dict]:
    """The package of ``scale`` in ``folder`` (made once) and its planted marker counts."""
    name = f"bench_{scale}" + (f"_overlap{overlap_every}" if overlap_every else "")
    path = os.path.join(folder, name + suffix)
    sidecar = path + ".json"
    if not (os.path.exists(path) and os.path.exists(sidecar)):
        package = generate(SCALES[scale], overlap_every)
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


# ---------------------------------------------------------------- adk's own breakdown
def breakdown(layout: str) -> dict[str, float]:
    """Where adk's time goes on one layout: read, extraction per layer, each check, write."""
    from adk import checks
    from adk.api import load_deck
    from adk.layout.context import LayoutContext
    from adk.layout.reader import read_layout
    from adk.report.markers import write_marker_database
    from adk.run.plan import plan
    from adk.run.result import RuleOutcome, RunResult

    phases: dict[str, float] = {}
    started = time.perf_counter()
    deck = load_deck(DECK)
    loaded = read_layout(layout)
    phases["read"] = time.perf_counter() - started
    context = LayoutContext(loaded, deck.layers, deck.units)
    outcomes = []
    for item in plan(deck, deck.layers):
        before, started = sum(context.seconds.values()), time.perf_counter()
        markers = checks.runner(item.rule.check.kind)(item.rule.check, context)
        extract = sum(context.seconds.values()) - before
        phases[f"check {item.rule.id}"] = time.perf_counter() - started - extract
        outcomes.append(RuleOutcome(item.rule, sorted(markers, key=lambda m: m.sort_key())))
    for name, seconds in context.seconds.items():
        phases[f"extract {name}"] = seconds
    started = time.perf_counter()
    result = RunResult(deck, layout, loaded.top.name, outcomes, [])
    write_marker_database(result, layout + ".breakdown.lyrdb")
    phases["write"] = time.perf_counter() - started
    return phases


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
        f"klayout module {kdb.__version__}"
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
    parser.add_argument(
        "--overlap-every",
        type=int,
        default=0,
        help="draw every n-th straight RDL line as two overlapping pieces",
    )
    parser.add_argument("--engines", help="comma-separated engine names to run (default: all)")
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "adk-bench"))
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument(
        "--breakdown", action="store_true", help="also show where adk's time goes, per scale"
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
    for scale in args.scales.split(","):
        layout, info = prepare(scale, args.work, "." + args.format, args.overlap_every)
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
        rows.append((scale, info, timings))
        if args.breakdown:
            phases = json.loads(
                subprocess.run(
                    [sys.executable, __file__, "--phases", layout],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            print("  adk breakdown: " + ", ".join(f"{k} {v:.2f} s" for k, v in phases.items()))
    print(table(rows))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--phases":
        print(json.dumps(breakdown(sys.argv[2])))
    else:
        main()
