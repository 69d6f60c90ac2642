"""Benchmark adk against KLayout's own engine on synthetic packages.

    python benchmarks/run.py [--scales 10k,100k,1M] [--repeats 3] [--jobs 2] [--breakdown]
    python benchmarks/run.py --scales 100k --engines adk --vertical RDL2 --orient r90

For each scale the package is generated once (GDS, and OASIS with --format oas) into
the work folder (default: a folder in the system's temporary directory; never inside
the repository). Each engine runs in a subprocess of its own: adk in one process and with
``--jobs``, and the KLayout peer in each of its configurations (``peer_klayout.py``);
one warm-up run per kind of engine, then ``--repeats`` timed runs; wall time, CPU time
(user + system, the process and the processes it waited for) and peak resident memory
(the largest single process) are the medians, and so are the seconds each engine gives
per rule. An engine is right when its marker count per rule equals the planted
violations and, for a peer, its RDL width and space markers are adk's, edge pair for
edge pair; ratios are taken against the fastest peer that is right in the same run.

A variant (the generator's options: vertical buses, touching lines, rotated dies, the
package rotated or mirrored) is also checked against the package it departs from: adk's
markers on a rotated or mirrored package, mapped back, and those on a layer drawn with
touching pieces must equal adk's markers on the package without that change.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from generate import RDL, SCALES, Variant, add_variant_options, generate, variant_of, write  # noqa: E402
from markers import differences  # noqa: E402
from peer_klayout import CONFIGS  # noqa: E402

DECK = os.path.join(HERE, "bench.adk")
PEER = os.path.join(HERE, "peer_klayout.py")
DRC = os.path.join(HERE, "peer.drc")
RDL_RULES = [f"{name}.{kind}" for name in RDL for kind in "WS"]
# rules whose windows follow the package's axes (each die's lower-left corner): on a
# turned package they lie elsewhere over the bumps, so their markers are not the turned
# ones of the package as generated
ORIENTED = ("UB.DEN.W",)


@dataclass
class Engine:
    """One engine's command line; ``markers``: the marker database it writes, if any."""

    name: str
    command: list[str]
    kind: str
    markers: str = ""
    invalid: str = ""  # why its markers cannot be trusted on this package, if so


@dataclass
class Timing:
    engine: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    parts: list[dict[str, float]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    right: bool = True
    note: str = ""
    invalid: str = ""
    markers: str = ""

    def median(self, values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")

    def part_medians(self) -> dict[str, float]:
        """Median seconds per part (rule) over the timed runs."""
        names = dict.fromkeys(name for run in self.parts for name in run)
        return {name: statistics.median(run.get(name, 0.0) for run in self.parts) for name in names}


# ---------------------------------------------------------------- engines
def adk_command(layout: str, report: str = "") -> list[str]:
    """adk on ``layout``, its markers written to ``report`` (default ``layout`` + ``.lyrdb``)."""
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
        report or layout + ".lyrdb",
    ]


def engines(layout: str, jobs: int, tile: float, drc: bool, variant: Variant) -> list[Engine]:
    """Each engine's command line; each prints its marker count per rule."""
    found = [Engine("adk --jobs 1", adk_command(layout), "adk", layout + ".lyrdb")]
    if jobs > 1:
        report = f"{layout}.jobs{jobs}.lyrdb"
        command = adk_command(layout, report) + ["--jobs", str(jobs)]
        found.append(Engine(f"adk --jobs {jobs}", command, "adk", report))
    for name, config in CONFIGS.items():
        report = f"{layout}.{re.sub(r'[^a-z]+', '-', name)}.lyrdb"
        command = [sys.executable, PEER, layout, name, "--threads", str(jobs), "--markers", report]
        command += ["--tile", str(tile)] if tile else []
        found.append(
            Engine(f"klayout-py {name}", command, "klayout-py", report, config.invalid_on(variant))
        )
    if drc:
        for mode in ("flat", "deep", "tiled"):
            command = ["klayout", "-b", "-r", DRC, "-rd", f"input={layout}", "-rd", f"mode={mode}"]
            command += ["-rd", f"threads={jobs}"]
            invalid = "tiles clip the fields, dies and bridges" if mode == "tiled" else ""
            found.append(Engine(f"klayout-drc {mode}", command, "klayout-drc", invalid=invalid))
    return found


def results_of(output: str) -> tuple[dict[str, int], dict[str, float]]:
    """Marker counts per rule from any engine's output, and the seconds per rule (or
    part of the deck) where it gives them. adk's count is of markers as placed (a marker
    filed once in a cell placed n times counts n times), as the peers count."""
    lines = output.splitlines()
    found = {
        line.split(": ", 1)[0]: json.loads(line.split(": ", 1)[1])
        for line in lines
        if line.startswith(("counts: ", "seconds: "))
    }
    if "counts" in found:
        return found["counts"], found.get("seconds", {})
    text = output.strip()
    try:
        data = json.loads(text[text.index("{") :])
    except ValueError:
        raise RuntimeError(
            "no marker counts in its output" + (": " + text[-200:] if text else ":")
        ) from None
    counts = {rule["id"]: rule.get("placed", rule["count"]) for rule in data["rules"]}
    seconds = {rule["id"]: rule["seconds"] for rule in data["rules"] if "seconds" in rule}
    if "seconds" in data:
        seconds["whole run, in the process"] = data["seconds"]
    return counts, seconds


# Runs the command in a process forked from this small one and writes its wall seconds,
# CPU seconds (user + system, with the processes it waited for), peak memory and exit
# code: Linux starts a process's peak memory from that of the process it was started
# from, so an engine started from this script, which holds the klayout module and may
# have generated a package, would show at least this script's memory. The address space
# of the engine is limited (``MEMORY_LIMIT``): on a shared machine an engine that grows
# without bound fails on its own rather than making the system end other processes.
LAUNCHER = """
import json, os, resource, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    limit = int(sys.argv[2])
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.execvp(sys.argv[3], sys.argv[3:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"wall": time.perf_counter() - started,
               "cpu": usage.ru_utime + usage.ru_stime,
               "rss_kb": usage.ru_maxrss,
               "code": os.waitstatus_to_exitcode(status)}, out)
"""


MEMORY_LIMIT = [0]  # bytes of address space per engine; 0: no limit (set by --memory-limit)


@dataclass
class Run:
    """One run of an engine: wall s, CPU s, peak RSS MB, standard output, the last line
    of its standard error."""

    wall: float
    cpu: float
    rss_mb: float
    out: str
    err: str


def measure(command: list[str], timeout: float) -> Run:
    """One run of ``command``; one that fails (not exit 0, or 1: violations found) raises."""
    with (
        tempfile.TemporaryFile("w+") as out,
        tempfile.TemporaryFile("w+") as err,
        tempfile.NamedTemporaryFile("r") as figures,
    ):
        limit = str(MEMORY_LIMIT[0])
        launched = [sys.executable, "-S", "-c", LAUNCHER, figures.name, limit, *command]
        process = subprocess.Popen(
            launched, stdout=out, stderr=err, cwd=HERE, start_new_session=True
        )
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise TimeoutError(f"over {timeout:.0f} s") from None
        figured = json.loads(figures.read() or "{}")
        out.seek(0)
        err.seek(0)
        lines = err.read().strip().splitlines()
        run = Run(0.0, 0.0, 0.0, out.read(), lines[-1] if lines else "")
    if figured.get("code") not in (0, 1):
        raise RuntimeError(f"exited with {figured.get('code')}: {run.err}")
    run.wall, run.cpu, run.rss_mb = figured["wall"], figured["cpu"], figured["rss_kb"] / 1024
    return run


def run_once(engine: Engine, timing: Timing, timeout: float, keep: bool = True) -> None:
    """One run of ``engine``, its figures added to ``timing`` when ``keep`` (a warm-up
    run's are not); a run that fails marks the engine and ends its runs."""
    if not timing.right:
        return
    try:
        run = measure(engine.command, timeout)
    except (TimeoutError, RuntimeError) as exc:
        timing.right, timing.note = False, str(exc)
        return
    try:
        counts, seconds = results_of(run.out)
    except RuntimeError as exc:
        timing.right, timing.note = False, f"{exc} {run.err}".strip()
        return
    if keep:
        timing.wall.append(run.wall)
        timing.cpu.append(run.cpu)
        timing.rss_mb.append(run.rss_mb)
        timing.counts = counts
        timing.parts.append(seconds)


def time_engines(chosen: list[Engine], repeats: int, timeout: float) -> list[Timing]:
    """``repeats`` timed runs of every engine, in rounds (each round runs every engine
    once), so that other work on a shared machine weighs on all of them alike; first a
    warm-up run of the first engine of each kind (the file into the cache, the modules
    read once)."""
    timings = [Timing(e.name, invalid=e.invalid, markers=e.markers) for e in chosen]
    kinds = {
        engine.kind: (engine, timing) for engine, timing in reversed(list(zip(chosen, timings)))
    }
    for engine, timing in kinds.values():
        run_once(engine, timing, timeout, keep=False)
    for number in range(repeats):
        for engine, timing in zip(chosen, timings):
            run_once(engine, timing, timeout)
        walls = ", ".join(f"{t.engine} {t.wall[-1]:.2f}" for t in timings if t.right and t.wall)
        print(f"  round {number + 1}: {walls}", flush=True)
    return timings


# ---------------------------------------------------------------- the layout
def prepare(scale: str, folder: str, suffix: str, variant: Variant) -> tuple[str, dict]:
    """The package of ``scale`` in ``folder`` (made once) and its planted marker counts."""
    path = os.path.join(folder, f"bench_{scale}{variant.tag()}{suffix}")
    sidecar = path + ".json"
    if not (os.path.exists(path) and _made_by_this_generator(sidecar)):
        package = generate(SCALES[scale], variant)
        write(package, path)
        with open(sidecar, "w") as handle:
            json.dump(
                {
                    "generator": _generator_digest(),
                    "expected": package.expected,
                    "bumps": package.bumps,
                    "rdl_shapes": package.rdl_shapes,
                },
                handle,
            )
    with open(sidecar) as handle:
        return path, json.load(handle)


def _generator_digest() -> str:
    """A digest of ``generate.py``: a package made by another version is made again, so
    that its planted counts are those of the code that plants them."""
    with open(os.path.join(HERE, "generate.py"), "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:16]


def _made_by_this_generator(sidecar: str) -> bool:
    try:
        with open(sidecar) as handle:
            return json.load(handle).get("generator") == _generator_digest()
    except (OSError, ValueError):
        return False


def reference_of(variant: Variant) -> Variant | None:
    """The package whose markers ``variant``'s must equal (mapped back), if any: the
    same without rotation or mirroring and without touching pieces."""
    reference = replace(variant, orient="r0", touching="")
    return None if reference == variant else reference


def same_markers(layout: str, variant: Variant, scale: str, folder: str, suffix: str) -> str:
    """Whether adk's markers on ``layout`` (written by its timed runs) equal those on
    the reference package, mapped back (but for the rules laid out along the package's
    axes, on a turned package); an empty string when they do."""
    reference = reference_of(variant)
    if reference is None:
        return ""
    other, _ = prepare(scale, folder, suffix, reference)
    measure(adk_command(other), 3600.0)
    ignore = ORIENTED if variant.orient != "r0" else ()
    found = differences(layout + ".lyrdb", other + ".lyrdb", variant.orient, ignore=ignore)
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


def _best(timings: list[Timing]) -> Timing | None:
    """The fastest peer with the right markers."""
    peers = [t for t in timings if t.engine.startswith("klayout") and t.right and t.wall]
    return min(peers, key=lambda t: t.median(t.wall), default=None)


def table(rows: list[tuple[str, dict, list[Timing]]]) -> str:
    lines = [
        "| package | engine | wall s | CPU s | peak MB | markers right | valid here "
        "| wall / fastest right peer's | CPU / its |",
        "|---|---|---:|---:|---:|:---|:---|---:|---:|",
    ]
    for package, _, timings in rows:
        best = _best(timings)
        for t in timings:
            wall = cpu = ""
            if best is not None and t.wall:
                wall = f"{t.median(t.wall) / best.median(best.wall):.2f}"
                cpu = f"{t.median(t.cpu) / best.median(best.cpu):.2f}"
            right = "yes" if t.right else f"no: {t.note}"
            lines.append(
                f"| {package} | {t.engine} | {t.median(t.wall):.2f} | {t.median(t.cpu):.2f} | "
                f"{t.median(t.rss_mb):.0f} | {right} | "
                f"{'no: ' + t.invalid if t.invalid else 'yes'} | "
                f"{wall}{' (fastest)' if t is best else ''} | {cpu} |"
            )
    return "\n".join(lines)


def parts_table(package: str, timings: list[Timing]) -> str:
    """Seconds per rule (or part of the deck) of every engine that gives them, medians of
    the runs; not of ``adk --jobs N``, whose rules run in tiles, side by side."""
    one = [t for t in timings if t.engine == "adk --jobs 1" or not t.engine.startswith("adk")]
    columns = [t for t in one if t.parts and t.wall]
    if not columns:
        return ""
    medians = [t.part_medians() for t in columns]
    names = list(dict.fromkeys(name for parts in medians for name in parts))
    lines = [
        f"| {package}: part | " + " | ".join(t.engine for t in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for name in names:
        cells = [f"{parts[name]:.2f}" if name in parts else "" for parts in medians]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    walls = [f"{t.median(t.wall):.2f}" for t in columns]
    lines.append("| process, wall | " + " | ".join(walls) + " |")
    return "\n".join(lines)


def save(path: str, package: str, info: dict, timings: list[Timing]) -> None:
    """Every run's figures of one package as JSON, to read the tables from again."""
    with open(path, "w") as handle:
        json.dump(
            {"package": package, "info": info, "timings": [asdict(t) for t in timings]},
            handle,
            indent=1,
        )


def judge(timings: list[Timing], expected: dict[str, int]) -> None:
    """Mark engines whose counts differ from the planted violations, peers whose RDL
    width and space markers differ from adk's, and ``adk --jobs N`` where its markers
    differ from those of adk in one process."""
    for timing in timings:
        if not timing.right:
            continue
        wrong = sorted(rule for rule, count in expected.items() if timing.counts.get(rule) != count)
        if wrong:
            timing.right = False
            timing.note = "wrong counts: " + ", ".join(
                f"{rule} {timing.counts.get(rule)} (planted {expected[rule]})" for rule in wrong
            )
    adk = next((t for t in timings if t.engine == "adk --jobs 1" and t.right), None)
    if adk is None:
        return
    for timing in timings:
        if timing is adk or not timing.wall or not os.path.exists(timing.markers):
            continue  # an engine that never ran to its end has no markers to compare
        mine = timing.engine.startswith("adk")
        found = differences(
            timing.markers, adk.markers, rules=None if mine else RDL_RULES, texts=mine
        )
        if found:
            timing.note = "; ".join(filter(None, [timing.note, "markers not adk's"]))
            timing.note += ": " + "; ".join(found)
            timing.right = False


def _engine_names(listed: str) -> set[str]:
    """The engines named in ``--engines``; ``adk`` is adk in one process."""
    names = set(listed.split(","))
    return names | ({"adk --jobs 1"} if "adk" in names else set())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="10k,100k,1M", help="from " + ", ".join(SCALES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes for adk --jobs and threads of KLayout's tiled configurations",
    )
    parser.add_argument(
        "--tile", type=float, default=0.0, help="tile side of the tiled peers, mm (default: theirs)"
    )
    parser.add_argument("--format", choices=("gds", "oas"), default="gds")
    add_variant_options(parser)
    parser.add_argument("--engines", help="comma-separated engine names to run (default: all)")
    parser.add_argument(
        "--drc", action="store_true", help="also run the DRC script in the KLayout application"
    )
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "adk-bench"))
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per run")
    parser.add_argument(
        "--memory-limit",
        type=float,
        default=8.0,
        help="GiB of address space per engine process (0: none); an engine above it fails",
    )
    parser.add_argument(
        "--breakdown", action="store_true", help="also show where adk's time goes, per scale"
    )
    parser.add_argument(
        "--cpu-breakdown",
        action="store_true",
        help="give the breakdown in CPU seconds of the process (steadier on a busy machine)",
    )
    args = parser.parse_args()
    MEMORY_LIMIT[0] = int(args.memory_limit * 2**30)
    os.makedirs(args.work, exist_ok=True)
    drc = args.drc and subprocess.run(["which", "klayout"], capture_output=True).returncode == 0
    print(
        f"machine: {machine()}"
        + (
            "; no klayout application on PATH: the DRC script peer is skipped"
            if args.drc and not drc
            else ""
        ),
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
        chosen = [
            engine
            for engine in engines(layout, args.jobs, args.tile, drc, variant)
            if not args.engines or engine.name in _engine_names(args.engines)
        ]
        timings = time_engines(chosen, args.repeats, args.timeout)
        judge(timings, info["expected"])
        ran_adk = any(timing.engine == "adk --jobs 1" and timing.right for timing in timings)
        wrong = same_markers(layout, variant, scale, args.work, suffix) if ran_adk else ""
        for timing in timings:
            if wrong and timing.engine.startswith("adk"):
                timing.right, timing.note = False, "markers differ: " + wrong
        package = scale + variant.tag().replace("_", " ")
        rows.append((package, info, timings))
        print(parts_table(package, timings), flush=True)
        save(layout + ".results.json", package, info, timings)
        if args.breakdown:
            phases = median_breakdown(layout, args.repeats, args.cpu_breakdown)
            print("  adk breakdown: " + ", ".join(f"{k} {v:.2f} s" for k, v in phases.items()))
    print(table(rows))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] in ("--phases", "--cpu-phases"):
        print(json.dumps(breakdown(sys.argv[2], cpu=sys.argv[1] == "--cpu-phases")))
    else:
        main()
