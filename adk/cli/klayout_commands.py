"""``adk klayout install|uninstall|lyp`` and ``adk export-klayout``: adk for KLayout users."""

from __future__ import annotations

import argparse
from pathlib import Path

from adk.cli.common import EXIT_CLEAN, ArgumentParser, Subparsers, write_atomically
from adk.cli.deck_commands import add_deck_root_option


def register(sub: Subparsers) -> None:
    klayout = sub.add_parser(
        "klayout",
        help="install the ADK menu into KLayout; write layer-properties files",
        description="Install or remove adk as a KLayout package (a Salt "
        "grain with the ADK menu) in a KLayout home folder, or write a deck's layers as a "
        "KLayout layer-properties file.",
    )
    actions = klayout.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    install = actions.add_parser("install", help="install the ADK menu and the adk package")
    install.add_argument(
        "--dir",
        metavar="KLAYOUT_HOME",
        type=Path,
        help="KLayout's home folder (default: $KLAYOUT_HOME or ~/.klayout)",
    )
    install.add_argument(
        "--klayout",
        metavar="EXE",
        help="the KLayout application whose Python to check (default: klayout "
        "on PATH; skipped when there is none)",
    )
    install.set_defaults(func=install_grain)
    uninstall = actions.add_parser("uninstall", help="remove what install added")
    uninstall.add_argument(
        "--dir",
        metavar="KLAYOUT_HOME",
        type=Path,
        help="KLayout's home folder (default: $KLAYOUT_HOME or ~/.klayout)",
    )
    uninstall.set_defaults(func=uninstall_grain)
    lyp = actions.add_parser(
        "lyp",
        help="write a deck's layers as a KLayout layer-properties file",
        description="Write a .lyp file that names each drawn layer of the deck (name and "
        "description) and gives it a colour and stipple; derived layers get none. Load it "
        "with File > Load Layer Properties or 'klayout -l FILE.lyp'.",
    )
    lyp.add_argument("deck", metavar="DECK", help="a deck file or a shipped deck's name")
    lyp.add_argument("--layer-map", metavar="MAP", help="YAML file of layer/datatype numbers")
    lyp.add_argument("-o", "--output", required=True, metavar="FILE.lyp")
    add_deck_root_option(lyp)
    lyp.set_defaults(func=write_lyp)

    export = sub.add_parser(
        "export-klayout",
        help="translate a deck into a KLayout DRC script",
        description="Write the rules KLayout's DRC language can express as "
        "a .lydrc script; the others are listed in a comment at its top.",
    )
    export.add_argument("deck", metavar="DECK")
    export.add_argument("--layer-map", metavar="MAP", help="YAML file of layer/datatype numbers")
    export.add_argument("-o", "--output", required=True, metavar="DECK.lydrc")
    add_deck_root_option(export)
    export.set_defaults(func=export_lydrc)


def install_grain(args: argparse.Namespace) -> int:
    from adk.klayout.install import default_home, find_klayout, install

    installed = install(args.dir or default_home(), find_klayout(args.klayout))
    if installed.probe:
        probe = installed.probe
        print(
            f"{probe.klayout}, Python {probe.python}: "
            + ", ".join(f"{name} {version}" for name, version in probe.modules.items())
        )
    for warning in installed.warnings:
        print(f"adk: warning: {warning}")
    print(
        f"installed {len(installed.files)} files in {installed.grain}; restart KLayout for "
        "the ADK menu"
    )
    return EXIT_CLEAN


def uninstall_grain(args: argparse.Namespace) -> int:
    from adk.klayout.install import default_home, uninstall

    home = args.dir or default_home()
    removed = uninstall(home)
    print(f"removed {len(removed)} files and folders from {home}")
    return EXIT_CLEAN


def write_lyp(args: argparse.Namespace) -> int:
    from adk.api import load_deck
    from adk.klayout.layers import layer_styles, lyp_text

    deck = load_deck(args.deck, args.layer_map, deck_roots=args.deck_roots)
    write_atomically(args.output, lyp_text(deck))
    print(f"wrote {args.output}: {len(layer_styles(deck))} layers of {deck.name}")
    return EXIT_CLEAN


def export_lydrc(args: argparse.Namespace) -> int:
    from adk.api import load_deck
    from adk.export.lydrc import export_deck

    deck = load_deck(args.deck, args.layer_map, deck_roots=args.deck_roots)
    exported = export_deck(deck)
    write_atomically(args.output, exported.text)
    print(
        f"wrote {args.output}: {len(exported.rules)} of {len(deck.rules)} rules"
        + (f"; not exported: {', '.join(exported.skipped)}" if exported.skipped else "")
    )
    return EXIT_CLEAN
