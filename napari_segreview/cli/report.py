"""``segreview report REPORT --out report.html``: a dataset report as one self-contained HTML page to share."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..io.reports import printable_text
from .errors import UsageError
from .progress_bar import TextProgressBar


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write a dataset report as one self-contained HTML page",
        description=(
            "Write the report of segreview evaluate GT_DIR PRED_DIR --out REPORT (JSON or CSV) as one HTML file "
            "that opens offline: per-class box plots with every value, the worst cases (with a thumbnail of their "
            "worst slice when --gt and --pred name the folders), the conventions, the empty-mask policy, the "
            "counts of left-out rows and the options used."
        ),
    )
    parser.add_argument("report", type=Path, metavar="REPORT", help="report of segreview evaluate (.json or .csv)")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE.html", help="HTML file to write")
    parser.add_argument("--force", action="store_true", help="replace FILE.html if it exists")
    parser.add_argument("--gt", type=Path, metavar="DIR", help="ground-truth folder (for the thumbnails)")
    parser.add_argument("--pred", type=Path, metavar="DIR", help="prediction folder (for the thumbnails)")
    parser.add_argument("--images", type=Path, metavar="DIR", help="image folder (thumbnails show the image)")
    parser.add_argument("--worst", type=int, default=10, metavar="N", help="how many worst cases to show (10)")
    parser.set_defaults(run=run)


def _check(args: argparse.Namespace) -> None:
    if not args.report.is_file():
        raise UsageError(f"{args.report} {'is a folder' if args.report.is_dir() else 'does not exist'}.")
    if args.out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"the output must end in .html, not {printable_text(args.out.name)}.")
    if args.out.exists() and not args.force:
        raise UsageError(f"{args.out} already exists; use --force to replace it.")
    if args.out.is_dir():
        raise UsageError(f"{args.out} is a folder.")
    if args.worst < 0:
        raise UsageError(f"--worst must be 0 or more, not {args.worst}.")
    for option in ("gt", "pred", "images"):
        folder = getattr(args, option)
        if folder is not None and not folder.is_dir():
            raise UsageError(f"--{option} {folder} is not a folder.")
    if (args.gt is None) != (args.pred is None):
        raise UsageError("give both --gt and --pred for the thumbnails, or neither.")
    parent = args.out.parent if str(args.out.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"cannot write {args.out}: the folder {parent} does not exist.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {args.out}: the folder {parent} is not writable.")


def run(args: argparse.Namespace) -> int:
    _check(args)
    from ..report import Folders, build_report_html, write_report_html

    folders = Folders(gt=args.gt, pred=args.pred, images=args.images)
    # reading the worst cases' volumes for their thumbnails takes a while on large files
    bar = TextProgressBar("thumbnails", unit="cases") if folders.for_thumbnails else None
    try:
        html = build_report_html(args.report, folders, worst=args.worst, progress=bar and bar.update)
    except ValueError as exc:
        raise UsageError(str(exc).rstrip(".") + ".") from None
    except OSError as exc:
        raise UsageError(f"cannot read {args.report}: {(exc.strerror or str(exc)).lower()}.") from None
    finally:
        if bar is not None:
            bar.close()
    try:
        write_report_html(html, args.out)
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {(exc.strerror or str(exc)).lower()}.") from None
    thumbnails = "" if folders.for_thumbnails else " (no thumbnails: give --gt and --pred)"
    print(f"wrote {args.out}{thumbnails}", file=sys.stderr)
    return 0
