"""The ``segreview`` command line: one entry point, one module per subcommand.

Exit codes (SPEC): 0 success, 1 some cases failed, 2 bad usage or unreadable input (one sentence on stderr,
no traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from . import demo, evaluate, export_onnx, predict, train
from .errors import UsageError

SUBCOMMANDS = (evaluate, predict, train, export_onnx, demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="segreview",
        description="Review medical image segmentations: napari plugin, metrics and model tools.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in SUBCOMMANDS:
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except UsageError as exc:
        print(f"segreview {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"segreview {args.command}: interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
