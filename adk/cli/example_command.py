"""``adk example``: write a generated example package."""

from __future__ import annotations

import argparse

from adk.cli.common import EXIT_CLEAN, Subparsers


def register(sub: Subparsers) -> None:
    example = sub.add_parser(
        "example",
        help="write an example package layout",
        description="Write a generated example package for a pillar's "
        "deck; --dirty plants violations and lists them beside the layout.",
    )
    example.add_argument("pillar", metavar="PILLAR")
    example.add_argument("--dirty", action="store_true", help="plant rule violations")
    example.add_argument(
        "--annotate",
        action="store_true",
        help="add self-test labels (expect/pass RULE) for adk test-deck",
    )
    example.add_argument("-o", "--output", required=True, metavar="FILE.gds|FILE.oas")
    example.set_defaults(func=write)


def write(args: argparse.Namespace) -> int:
    from adk.examples.writer import write_example

    listing = write_example(args.pillar, args.output, args.dirty, args.annotate)
    print(f"wrote {args.output}" + (f" and {listing}" if listing else ""))
    return EXIT_CLEAN
