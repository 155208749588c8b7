"""``segreview evaluate GT PRED``: metrics of one ground-truth / prediction pair, per volume or per slice."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..dataset import ReportLocked, options_file_in_the_way, report_lock, spacing_problem
from ..dataset.class_metrics import class_metrics
from ..dataset.class_table import find_class_table
from ..dataset.nnunet import labels_folder_of
from ..dataset.report import forget_options
from ..io import ImageReadError
from ..io.masks import MASK_SUFFIXES, SLICE_AXIS_NAMES, load_mask_pair
from ..io.reports import REPORT_SUFFIXES, format_table, printable_text, write_report
from ..metrics import CONVENTIONS, ROW_KEYS, summarize
from .errors import UsageError
from .label_progress import per_slice_rows, volume_rows

METRIC_COLUMNS = ("dice", "iou", "hd", "hd95", "assd", "nsd")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="Dice, IoU, HD, HD95, ASSD and NSD of a prediction against its ground truth",
        description=(
            "Compare a prediction with its ground truth, per label, over the whole volume or per slice. "
            f"Files: {', '.join(s for s in MASK_SUFFIXES if s not in ('.jpg', '.jpeg'))} (JPEG masks are refused: "
            "lossy). NIfTI spacing comes from the header (mm). Distances are in the "
            "unit of the spacing; a missed structure gives inf, never NaN."
        ),
    )
    parser.add_argument("gt", type=Path, metavar="GT", help="ground-truth label file, or a folder of them")
    parser.add_argument(
        "pred",
        type=Path,
        nargs="+",
        metavar="PRED",
        help="predicted label file, or a folder whose files pair with GT's by name; two folders (PRED_A PRED_B) "
        "compare two models: paired differences with a bootstrap 95%% interval",
    )
    parser.add_argument(
        "--spacing",
        type=float,
        nargs="+",
        metavar="S",
        help="voxel size per array axis, overriding the header; for NIfTI in the display order "
        "(inferior, posterior, left), which the output shows",
    )
    parser.add_argument("--labels", type=int, nargs="+", metavar="L", help="labels to evaluate (default: all present)")
    parser.add_argument(
        "--resample-prediction",
        action="store_true",
        help="NIfTI: resample a prediction on another voxel grid onto the ground truth's (nearest neighbour, "
        "through both affines); without it such a pair is refused with what differs",
    )
    parser.add_argument(
        "--convention", choices=CONVENTIONS, default="border", help="surface convention (default: border)"
    )
    parser.add_argument("--nsd-tolerance", type=float, default=1.0, metavar="T", help="NSD tolerance (default: 1.0)")
    parser.add_argument(
        "--percentile", type=float, default=95.0, metavar="P", help="robust HD percentile (default: 95)"
    )
    parser.add_argument(
        "--per-slice",
        metavar="AXIS",
        help="one row per slice along AXIS: 0, 1, 2 (array order) or, for NIfTI, axial, coronal, sagittal",
    )
    parser.add_argument("--out", type=Path, metavar="FILE", help="write the rows to FILE.csv or FILE.json")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    parser.add_argument(
        "--workers", type=int, metavar="N", help="folders: evaluate on a local dask.distributed cluster of N workers"
    )
    parser.add_argument(
        "--scheduler", metavar="ADDR", help="folders: evaluate on the existing dask.distributed cluster at ADDR"
    )
    parser.add_argument(
        "--resume", action="store_true", help="folders: keep the cases already in --out, evaluate the others"
    )
    from .evaluate_instances import add_instance_arguments  # here: that module imports this one

    add_instance_arguments(parser)
    parser.set_defaults(run=run)


def _slice_axis(text: str, anatomical: bool) -> int:
    """The array axis ``--per-slice`` names: 0, 1 or 2 (no negative axes: the numbers are the array order the
    output shows), or for a NIfTI pair an anatomical name."""
    if text.lower() in SLICE_AXIS_NAMES:
        if not anatomical:
            raise UsageError(f"--per-slice {text} needs NIfTI files (they carry the anatomy); give 0, 1 or 2.")
        return SLICE_AXIS_NAMES[text.lower()]
    if text in ("0", "1", "2"):
        return int(text)
    names = f" or {', '.join(SLICE_AXIS_NAMES)}" if anatomical else ""
    raise UsageError(f"--per-slice takes 0, 1 or 2 for a 3D image (array order){names}, not {text!r}.")


def check_spacing_option(spacing: list[float] | None) -> None:
    """--spacing: each value finite, positive (checked with the arrays) and where distances do not overflow."""
    problem = None if spacing is None else spacing_problem(spacing)
    if problem is not None:
        raise UsageError(f"--spacing {problem}.")


def check_report_target(out: Path, force: bool, replace_hint: str = "use --force to replace it") -> None:
    """Refuse (UsageError) to replace an existing report without --force; ``replace_hint`` says how to."""
    if out.exists() and not force:
        raise UsageError(f"{out} already exists; {replace_hint}.")


def _check_paths(args: argparse.Namespace) -> None:
    for path in (args.gt, args.pred):
        if path.is_dir():
            raise UsageError(f"{path} is a folder; give two files or two folders.")
        if not path.exists():
            raise UsageError(f"{path} does not exist.")
    if args.out is not None and args.out.suffix.lower() not in REPORT_SUFFIXES:
        raise UsageError(f"--out must end in .csv or .json, not {args.out.name}.")
    check_spacing_option(args.spacing)


def _check_outputs(args: argparse.Namespace) -> None:
    """With the report's lock held: nothing the run would replace exists, unless --force."""
    check_report_target(args.out, args.force)
    sidecar = options_file_in_the_way(args.out, None)
    if sidecar is not None and not args.force:
        raise UsageError(
            f"{sidecar} already exists (the options of a dataset report named {args.out.name}); use --force to "
            "replace it."
        )


def run(args: argparse.Namespace) -> int:
    from .evaluate_instances import run_instances, uses_instances

    if len(args.pred) > 2:
        raise UsageError(f"give one prediction, or two folders to compare two models; {len(args.pred)} were given.")
    if len(args.pred) == 2:
        if uses_instances(args):
            raise UsageError("--instances compares one prediction with the ground truth, not two models.")
        from .compare_models import run_comparison

        args.gt = labels_folder_of(args.gt)
        return run_comparison(args, *args.pred)
    args.pred = args.pred[0]  # one prediction: the rest of the command takes a path
    args.gt = labels_folder_of(args.gt)  # an nnU-Net dataset root means its labelsTr/
    if uses_instances(args):
        return run_instances(args)
    if args.gt.is_dir() and args.pred.is_dir():
        from .evaluate_folders import run_folders

        return run_folders(args)
    for option, given in (
        ("--workers", args.workers is not None),
        ("--scheduler", args.scheduler is not None),
        ("--resume", args.resume),
    ):
        if given:
            raise UsageError(f"{option} is for two folders (dataset mode), not for a pair of files.")
    _check_paths(args)
    if args.out is None:
        return _evaluate_pair(args)
    try:
        with report_lock(args.out):
            _check_outputs(args)
            return _evaluate_pair(args)
    except ReportLocked as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:  # the lock's folder cannot be made or written
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}.") from None


def _evaluate_pair(args: argparse.Namespace) -> int:
    try:
        pair = load_mask_pair(args.gt, args.pred, spacing=args.spacing, resample_prediction=args.resample_prediction)
        problem = spacing_problem(pair.spacing)
        if problem is not None:
            raise UsageError(f"the voxel spacing of {printable_text(args.gt.name)} {problem}.")
        options = {
            "spacing": pair.spacing,
            "labels": args.labels,
            "convention": args.convention,
            "nsd_tolerance": args.nsd_tolerance,
            "percentile": args.percentile,
        }
        classes = find_class_table(args.gt.parent)
        if args.per_slice is None and classes is not None:  # the dataset's names, regions and ignore label
            rows = class_metrics(pair.gt, pair.pred, classes, **options)
        elif args.per_slice is None:
            rows = volume_rows(pair.gt, pair.pred, **options)  # a bar on stderr for many labels
        else:
            if pair.gt.ndim != 3:
                raise UsageError(f"--per-slice needs 3D images; {printable_text(args.gt.name)} is {pair.gt.ndim}D.")
            axis = _slice_axis(args.per_slice, anatomical=pair.axis_names is not None)
            rows = per_slice_rows(pair.gt, pair.pred, axis, **options)
    except (ImageReadError, ValueError) as exc:
        raise UsageError(str(exc)) from None

    case = printable_text(args.gt.name)
    rows = [{"case": case, **row} for row in rows]
    summary = summarize([row for row in rows if row.get("label") is not None])  # region rows have no label
    leading = ("label",) if args.per_slice is None else ("slice", "label")
    if rows and "class" in rows[0]:
        leading = (*leading, "class")
    names = pair.axis_names or tuple(f"axis {axis}" for axis in range(len(pair.spacing)))
    spacing = ", ".join(f"{name} {value:g}" for name, value in zip(names, pair.spacing, strict=True))
    print(f"{case}  vs  {printable_text(args.pred.name)}   spacing ({spacing})   convention {args.convention}")
    print(format_table(rows, (*leading, *ROW_KEYS)))
    if args.per_slice is not None:
        print("\nper label, over slices where either mask has the label (inf = a slice missed or hallucinated):")
        summary_rows = [
            {
                "label": label,
                "slices": entry["rows"] - entry["both_empty"],
                "inf": entry["inf_rows"],
                **{f"mean {key}": entry[key]["mean"] for key in METRIC_COLUMNS},
            }  # fmt: skip
            for label, entry in summary.items()
            if entry["rows"] > entry["both_empty"]
        ]
        if summary_rows:
            print(format_table(summary_rows, tuple(summary_rows[0])))
    if args.out is not None:
        try:
            # a dataset report replaced by --force must not leave its options behind for a later --resume
            if args.force:
                forget_options(args.out)
            write_report(args.out, rows, summary)
        except OSError as exc:
            raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}.") from None
        print(f"\nwrote {args.out}")
    return 0
