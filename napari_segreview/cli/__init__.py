"""The ``segreview`` command line: one entry point, one module per subcommand.

Exit codes (SPEC): 0 success, 1 some cases failed, 2 bad usage or unreadable input (one sentence on stderr,
no traceback).
"""

from __future__ import annotations

import argparse
import codecs
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from .. import __version__
from . import demo, evaluate, export_onnx, predict, report, train
from .errors import UsageError

SUBCOMMANDS = (evaluate, report, predict, train, export_onnx, demo)


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


ESCAPE_FILE_NAME_BYTES = "segreview-escape-name-bytes"


def _escape_name_bytes(error: UnicodeError) -> tuple[str, int]:
    """An error handler that shows the bytes of a file name that are not UTF-8 (``os.fsdecode`` keeps byte 0xE9
    as the lone surrogate U+DCE9) as ``\\xe9``, as the reports do (``io.reports.printable_text``)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    shown = "".join(f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF else f"\\u{ord(c):04x}" for c in text)
    return shown, error.end


codecs.register_error(ESCAPE_FILE_NAME_BYTES, _escape_name_bytes)


@contextmanager
def _escaping_output() -> Iterator[None]:
    """Print file names that are not UTF-8 with their odd bytes as ``\\xe9`` on stdout and stderr, instead of
    failing with UnicodeEncodeError; each stream's own setting is restored afterwards."""
    restore = []
    for stream in (sys.stdout, sys.stderr):
        errors = getattr(stream, "errors", None)
        if hasattr(stream, "reconfigure") and errors is not None:
            stream.reconfigure(errors=ESCAPE_FILE_NAME_BYTES)
            restore.append((stream, errors))
    try:
        yield
    finally:
        for stream, errors in restore:
            stream.reconfigure(errors=errors)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    with _escaping_output():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
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
