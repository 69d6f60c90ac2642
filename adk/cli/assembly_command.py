"""``adk check-assembly``: the parts of a package, each its own layout, checked together;
``adk example-assembly``: write an example assembly."""

from __future__ import annotations

import argparse
import os

from adk.cli.common import EXIT_CLEAN, Subparsers
from adk.cli.deck_commands import add_deck_root_option
from adk.cli.report_options import add_report_options, load_review_inputs, review_and_report

EXAMPLES = ("focos_bridge", "interposer")  # adk.examples.assembly.EXAMPLES, without KLayout


def register(sub: Subparsers) -> None:
    check = sub.add_parser(
        "check-assembly",
        help="check an assembly of several layouts against an assembly deck",
        description="Assemble the parts an assembly file (YAML, or a 3Dblox .3dbx stack) "
        "names, each a GDS or "
        "OASIS layout, in package coordinates; check the assembly deck on the assembled "
        "package and each part's own deck on the part; write one marker database "
        "(docs/assembly.md).",
    )
    check.add_argument("assembly", metavar="ASSEMBLY.yaml|STACK.3dbx")
    check.add_argument(
        "--deck", metavar="DECK", help="the assembly deck (default: the one the file names)"
    )
    add_deck_root_option(check)
    check.add_argument(
        "-o",
        "--output",
        metavar="REPORT.lyrdb",
        help="marker database to write (default: ASSEMBLY name with .lyrdb)",
    )
    check.add_argument(
        "--write-assembled",
        metavar="FILE.gds|FILE.oas",
        help="also write the assembled package as one layout, to view the markers over",
    )
    check.add_argument(
        "--rule",
        action="append",
        metavar="ID",
        dest="rules",
        help="run only this rule of the assembly deck, or of the stack's own (3DBLOX.*) "
        "(repeatable)",
    )
    check.add_argument("--format", choices=("table", "json"), default="table")
    check.add_argument(
        "--netlist",
        metavar="FILE.v",
        help="a structural Verilog netlist of the package, compared with the nets across "
        "the assembly's connections (rule 3DBLOX.NETLIST); default: the netlist the file "
        "names (netlist:, or a 3Dblox Design's verilog_file)",
    )
    add_report_options(
        check,
        waivers_help="waiver file: the violations it names (by rule and box, or rule and "
        "net) are reported as waived and do not fail",
    )
    check.add_argument(
        "--strict", action="store_true", help="fail on violations of warning and info rules too"
    )
    check.add_argument(
        "--allow-unchecked",
        action="store_true",
        help="exit 0 even when rules are not checked because their layers are absent",
    )
    check.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    check.set_defaults(isolated=True)
    check.set_defaults(func=check_assembly_command)

    example = sub.add_parser(
        "example-assembly",
        help="write an example assembly: part layouts, bump maps, assembly file, deck",
        description="Write a generated example assembly into a folder; --broken plants "
        "a die turned by 90 degrees, a shifted HBM stack, a missing bump row and a net swap.",
    )
    example.add_argument("example", metavar="EXAMPLE", choices=EXAMPLES)
    example.add_argument("folder", metavar="FOLDER")
    example.add_argument("--broken", action="store_true", help="plant assembly errors")
    example.add_argument(
        "--3dblox",
        action="store_true",
        dest="threedblox",
        help="write the stack as 3Dblox (stack.3dbx, stack.3dbv, .bmap bump maps)",
    )
    example.set_defaults(func=write_example)


def check_assembly_command(args: argparse.Namespace) -> int:
    from adk.assembly import check_assembly, write_assembled
    from adk.cli.check_command import finish_run
    from adk.report.markers import default_report

    output = args.output or default_report(_stem(args.assembly))
    review_inputs = load_review_inputs(args, output)  # bad input fails before any layout
    run = check_assembly(
        args.assembly,
        args.deck,
        deck_roots=args.deck_roots,
        rules=args.rules,
        layout_path=args.write_assembled,
        netlist=args.netlist,
    )
    if args.write_assembled:
        write_assembled(run.assembled, args.write_assembled)
    layout = run.assembled.loaded(args.write_assembled)
    result, review = review_and_report(args, run.result, review_inputs, output, layout)
    written = (f"assembled layout: {args.write_assembled}",) if args.write_assembled else ()
    return finish_run(args, result, review, output, written)


def _stem(path: str) -> str:
    """The assembly file's name without its YAML suffix, for the default report's name."""
    name = os.path.basename(path)
    for suffix in (".yaml", ".yml", ".3dbx"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def write_example(args: argparse.Namespace) -> int:
    from adk.examples.assembly import (
        ASSEMBLY_FILE,
        DECK_FILE,
        write_3dblox_example,
        write_assembly_example,
    )

    if args.threedblox:
        written = write_3dblox_example(args.example, args.folder, args.broken)
        stack = os.path.join(args.folder, "stack.3dbx")
        deck = os.path.join(args.folder, DECK_FILE)
        print(f"wrote {len(written)} files to {args.folder}")
        print(f"check it: adk check-assembly {stack} --deck {deck}")
        return EXIT_CLEAN
    written = write_assembly_example(args.example, args.folder, args.broken)
    print(f"wrote {len(written)} files to {args.folder}")
    print(f"check it: adk check-assembly {os.path.join(args.folder, ASSEMBLY_FILE)}")
    return EXIT_CLEAN
