"""The ``adk`` command line. Exit codes: 0 clean, 1 violations, 2 bad usage or bad input,
3 an internal error.

Each command group is a module of this package with ``register(subparsers)``, which adds its
commands and sets ``func`` on each to a function ``(args) -> exit code``.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module

from adk.cli.common import EXIT_BAD_INPUT, EXIT_INTERNAL, ArgumentParser
from adk.version import __version__

COMMAND_MODULES = (
    "deck_commands",
    "check_command",
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


def main(argv: list[str] | None = None) -> int:
    from adk.errors import AdkError, DeckError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return args.func(args)
    except DeckError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_BAD_INPUT
    except AdkError as exc:
        print(f"adk: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("adk: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, unless ADK_DEBUG asks for the traceback
        if os.environ.get("ADK_DEBUG"):
            raise
        print(
            f"adk: internal error: {type(exc).__name__}: {exc} (set ADK_DEBUG=1 for the "
            "traceback and please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
