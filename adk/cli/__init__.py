"""The ``adk`` command line. Exit codes: 0 clean, 1 violations, 2 bad usage or bad input,
3 an internal error, 5 a limit reached (``--timeout``, ``--max-memory``, or the system's
memory), 130 and 143 stopped by SIGINT and SIGTERM (docs/robustness.md).

A command that sets ``isolated`` runs in a child process that this one watches: it stops
at once on Ctrl-C, SIGTERM or its time limit, even inside a long KLayout call, and a crash
of KLayout in it becomes one line (:mod:`adk.layout.isolation`).

Each command group is a module of this package with ``register(subparsers)``, which adds its
commands and sets ``func`` on each to a function ``(args) -> exit code``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import warnings
from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

from adk.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_LIMIT,
    EXIT_SIGNAL_BASE,
    ArgumentParser,
    size_text,
)
from adk.version import __version__

if TYPE_CHECKING:
    from adk.layout.isolation import Ending, Stage

COMMAND_MODULES = (
    "deck_commands",
    "check_command",
    "assembly_command",
    "waive_command",
    "example_command",
    "kit_commands",
    "klayout_commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="adk",
        description="Assembly design kit rule checker for advanced semiconductor packages.",
    )
    parser.add_argument("--version", action="version", version=f"adk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    for name in COMMAND_MODULES:
        import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None, *, isolated: bool | None = None) -> int:
    """Run the ``adk`` command ``argv`` (default: the program's arguments); its exit code.

    A command that can (``adk check``) runs in a child process when ``isolated`` is true
    (by default: when run as the program, ``argv`` not given) and whenever ``--timeout``
    or ``--max-memory`` need one; otherwise in this process, as a Python caller passing
    ``argv`` (tests, tools) has it."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    in_a_child = argv is None if isolated is None else isolated
    if getattr(args, "isolated", False) and (in_a_child or _limits_of(args) != (None, None)):
        return run_isolated(args)
    return run_here(args)


def _limits_of(args: argparse.Namespace) -> tuple[float | None, int | None]:
    return getattr(args, "timeout", None), getattr(args, "max_memory", None)


def run_here(args: argparse.Namespace) -> int:
    """Run the command in this process: its exit code, every error as one line."""
    from adk.errors import AdkError, DeckError, LayoutWarning

    with warnings.catch_warnings():
        quiet = getattr(args, "quiet", False)
        warnings.simplefilter("ignore" if quiet else "always", LayoutWarning)
        warnings.showwarning = _warning_shower(warnings.showwarning)
        try:
            return args.func(args)
        except DeckError as exc:
            print(exc.render(), file=sys.stderr)
            return EXIT_BAD_INPUT
        except AdkError as exc:
            print(f"adk: error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except KeyboardInterrupt:
            print("adk: interrupted (SIGINT)", file=sys.stderr)
            return EXIT_SIGNAL_BASE + signal.SIGINT
        except BrokenPipeError:  # the reader of the summary went away (adk check | head)
            _drop_standard_output()
            return EXIT_SIGNAL_BASE + getattr(signal, "SIGPIPE", 13)
        except MemoryError as exc:
            return _out_of_memory(str(exc), args)
        except Exception as exc:  # a bug: one line, unless ADK_DEBUG asks for the traceback
            if "std::bad_alloc" in str(exc):  # KLayout's C++ out of memory
                return _out_of_memory(str(exc), args)
            if os.environ.get("ADK_DEBUG"):
                raise
            print(
                f"adk: internal error: {type(exc).__name__}: {exc} (set ADK_DEBUG=1 for the "
                "traceback and please report it)",
                file=sys.stderr,
            )
            return EXIT_INTERNAL


def _drop_standard_output() -> None:
    """Point standard output at the null device: the text still buffered for the closed
    pipe would make Python's exit report a second broken pipe."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _warning_shower(shown: Callable[..., None]) -> Callable[..., None]:
    """``warnings.showwarning`` that prints a LayoutWarning as one ``adk: warning:`` line."""
    from adk.errors import LayoutWarning

    def show(message: Warning | str, category: type[Warning], *where: object) -> None:
        if issubclass(category, LayoutWarning):
            print(f"adk: warning: {message}", file=sys.stderr)
        else:
            shown(message, category, *where)

    return show


def _out_of_memory(fault: str, args: argparse.Namespace) -> int:
    """One line for a run out of memory: ``fault`` (Python's, KLayout's or the reader's
    words), and the limit when one was set."""
    if "std::bad_alloc" in fault:  # "std::bad_alloc in Region.merged"
        call = fault.split("std::bad_alloc", 1)[1]
        fault = "out of memory" + call.replace(" in ", " in KLayout's ", 1)
    if "memory" not in fault:
        fault = f"out of memory: {fault}" if fault else "out of memory"
    limit = getattr(args, "max_memory", None)
    within = f" (within --max-memory {size_text(limit)})" if limit else ""
    print(f"adk: error: {fault}{within}", file=sys.stderr)
    return EXIT_LIMIT


def run_isolated(args: argparse.Namespace) -> int:
    """Run the command in a child process watched from here; in this process where a
    child cannot be made (no fork, other threads), or for ADK_DEBUG (so that a debugger
    can stop it), unless a limit asks for the child."""
    from adk.layout import isolation

    limits = isolation.Limits(*_limits_of(args))
    limited = limits.seconds is not None or limits.memory is not None
    if limits.memory is not None and not isolation.memory_limit_supported():
        print("adk: error: --max-memory is supported on Linux only", file=sys.stderr)
        return EXIT_BAD_INPUT
    obstacle = isolation.why_not_isolated()
    if obstacle and limited:
        print(
            f"adk: error: --timeout and --max-memory need a child process: {obstacle}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if obstacle or (os.environ.get("ADK_DEBUG") and not limited):
        return run_here(args)
    ending = isolation.run_isolated(lambda: run_here(args), limits, _prepare_the_checker)
    return _exit_code(ending, args)


def _prepare_the_checker() -> None:
    """What every check loads, loaded before the memory limit starts counting."""
    import_module("adk.api")
    import_module("adk.layout.reader").prepare_for_memory_limit()


def _exit_code(ending: Ending, args: argparse.Namespace) -> int:
    """The exit code of an isolated run, with the one line that says why when the
    child did not end by itself."""
    if ending.code is not None:
        return ending.code
    line, code = _stop_line(ending, args)
    print(line, file=sys.stderr)
    return code


def _stop_line(ending: Ending, args: argparse.Namespace) -> tuple[str, int]:
    stage = ending.stage
    if ending.interrupted is not None:
        how = "interrupted" if ending.interrupted == signal.SIGINT else "terminated"
        line = f"adk: {how} ({_signal_name(ending.interrupted)})"
        return line, EXIT_SIGNAL_BASE + ending.interrupted
    if ending.timed_out is not None and getattr(args, "timeout", None) is not None:
        where = f" while {stage.what} {stage.path}" if stage else ""
        return f"adk: error: stopped at --timeout {ending.timed_out:g} s{where}", EXIT_LIMIT
    if ending.timed_out is not None and stage is not None:
        return (
            f"adk: error: {stage.path}: {stage.what} took longer than {ending.timed_out:.0f} s, "
            "the limit for a file of its size: a damaged file, or repetitions that expand to "
            "too many shapes? (--timeout sets another limit)",
            EXIT_BAD_INPUT,
        )
    return _death_line(ending.signal or 0, stage)


def _death_line(signum: int, stage: Stage | None) -> tuple[str, int]:
    """The line for a child that died of ``signum``, in ``stage`` or in none."""
    name = _signal_name(signum)
    if signum == signal.SIGKILL:  # not sent from here: the system's out-of-memory killer
        file, step = (f"{stage.path}: ", f" while {stage.what}") if stage else ("", "")
        line = (
            f"adk: error: {file}killed by the system ({name}){step}, most likely for want "
            "of memory; --max-memory stops a run before that"
        )
        return line, EXIT_LIMIT
    if stage is not None:
        line = f"adk: error: {stage.path}: crashed {stage.what} ({name}): a damaged file?"
        return line, EXIT_BAD_INPUT
    return f"adk: internal error: the check crashed ({name}); please report it", EXIT_INTERNAL


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
