"""``segreview evaluate GT PRED --instances``: which objects (lesions, nuclei) were found, missed or invented.

A pair of files gives one row per GT instance and per unmatched prediction, then the detection summary; two
folders give one row per case with its detection columns, then their summary over the cases. Instances are the
connected components of each mask (or of each ``--labels`` class), or with ``--as-given`` each value of an
instance map (as stardist and cellpose write them).
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np

from ..dataset import ReportLocked, report_lock, spacing_problem
from ..instances import MODES, instances_as_given, instances_from_semantic, match_instances
from ..io import ImageReadError
from ..io.masks import load_mask_pair
from ..io.reports import REPORT_SUFFIXES, format_table, printable_text, write_report
from .errors import UsageError
from .evaluate import check_report_target, check_spacing_option
from .evaluate_folders import paired_folders

INSTANCE_COLUMNS = ("kind", "id", "status", "voxels", "volume", "iou", "dice", "hd95", "assd", "matched")
DETECTION_COLUMNS = (
    "tp",
    "fp",
    "fn",
    "precision",
    "recall",
    "f1",
    "mean_matched_iou",
    "sq",
    "rq",
    "pq",
    "lesion_dice",
    "lesion_hd95",
)
# dataset summary: counts are summed over the cases, ratios recomputed from the sums (pooled) and also averaged
COUNT_COLUMNS = ("tp", "fp", "fn", "n_gt", "n_pred")


def add_instance_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``--instances`` options of ``segreview evaluate``."""
    group = parser.add_argument_group("instances (lesion- and object-wise detection)")
    group.add_argument(
        "--instances", action="store_true", help="match GT and predicted objects: found, missed, false positives"
    )
    group.add_argument(
        "--iou-threshold", type=float, default=0.5, metavar="T", help="a pair matches at IoU >= T (default: 0.5)"
    )
    group.add_argument(
        "--matching",
        default="optimal",
        metavar="MODE",
        help="optimal (one-to-one, stardist's rule; default), greedy (best pairs first) or brats (BraTS 2023 "
        "lesion rule: GT lesions within 3 voxels merged, every touching component merged into the match)",
    )
    group.add_argument(
        "--connectivity",
        type=int,
        metavar="C",
        help="components: 1 faces, 2 +edges, 3 +corners (default: 1; brats: 3, the reference's 26)",
    )
    group.add_argument(
        "--min-size", type=int, default=0, metavar="N", help="components of fewer than N voxels are ignored"
    )
    group.add_argument(
        "--as-given", action="store_true", help="each value of the masks is one object (stardist/cellpose maps)"
    )
    group.add_argument(
        "--brats-dilation",
        type=int,
        default=3,
        metavar="D",
        help="brats: dilation in voxels that merges lesions and components (default: 3; BraTS-MET and -MEN: 1)",
    )
    group.add_argument(
        "--brats-min-volume",
        type=float,
        default=0.0,
        metavar="V",
        help="brats: lesions of at most V (spacing units, mm^3 for NIfTI) are left out (default: 0; BraTS-GLI: 50)",
    )
    group.add_argument(
        "--hd95-penalty",
        type=float,
        default=374.0,
        metavar="D",
        help="lesion-wise HD95 of a missed or false-positive lesion (default: 374, BraTS)",
    )


INSTANCE_ONLY = {
    "--iou-threshold": ("iou_threshold", 0.5),
    "--matching": ("matching", "optimal"),
    "--connectivity": ("connectivity", None),
    "--min-size": ("min_size", 0),
    "--as-given": ("as_given", False),
    "--hd95-penalty": ("hd95_penalty", 374.0),
    "--brats-dilation": ("brats_dilation", 3),
    "--brats-min-volume": ("brats_min_volume", 0.0),
}


def uses_instances(args: argparse.Namespace) -> bool:
    """--instances, or one of its options (which then gets its refusal from :func:`run_instances`)."""
    given = [getattr(args, name, default) != default for name, default in INSTANCE_ONLY.values()]
    return bool(getattr(args, "instances", False) or any(given))


def _check_instance_options(args: argparse.Namespace) -> None:
    if not args.instances:
        for flag, (name, default) in INSTANCE_ONLY.items():
            if getattr(args, name) != default:
                raise UsageError(f"{flag} is an option of --instances; add --instances or leave it out.")
    if isinstance(args.pred, list):  # evaluate's PRED may take two folders (model comparison)
        if len(args.pred) != 1:
            raise UsageError(f"--instances compares one prediction with its ground truth, not {len(args.pred)}.")
        args.pred = args.pred[0]
    if args.matching not in MODES:
        raise UsageError(f"--matching takes {', '.join(MODES)}, not {args.matching!r}.")
    if not math.isfinite(args.iou_threshold) or not 0 < args.iou_threshold <= 1:
        raise UsageError(f"--iou-threshold must be above 0 and at most 1, not {args.iou_threshold:g}.")
    if args.connectivity is not None and args.connectivity not in (1, 2, 3):
        raise UsageError(f"--connectivity takes 1, 2 or 3, not {args.connectivity}.")
    if args.min_size < 0:
        raise UsageError(f"--min-size must be 0 or more voxels, not {args.min_size}.")
    if not math.isfinite(args.hd95_penalty) or args.hd95_penalty < 0:
        raise UsageError(f"--hd95-penalty must be a finite distance, 0 or more, not {args.hd95_penalty:g}.")
    if args.brats_dilation < 0:
        raise UsageError(f"--brats-dilation must be 0 or more voxels, not {args.brats_dilation}.")
    if not math.isfinite(args.brats_min_volume) or args.brats_min_volume < 0:
        raise UsageError(f"--brats-min-volume must be a finite volume, 0 or more, not {args.brats_min_volume:g}.")
    if args.matching != "brats" and (args.brats_dilation != 3 or args.brats_min_volume != 0):
        raise UsageError("--brats-dilation and --brats-min-volume are options of --matching brats.")
    if args.as_given and (args.connectivity is not None or args.min_size or args.labels):
        raise UsageError(
            "--as-given takes each value as one object; --connectivity, --min-size and --labels are "
            "for connected components."
        )
    for flag, given in (
        ("--per-slice", args.per_slice is not None),
        ("--workers", args.workers is not None),
        ("--scheduler", args.scheduler is not None),
        ("--resume", args.resume),
        ("--resample-prediction", getattr(args, "resample_prediction", False)),
    ):
        if given:
            raise UsageError(f"{flag} does not work with --instances.")
    if args.out is not None and args.out.suffix.lower() not in REPORT_SUFFIXES:
        raise UsageError(f"--out must end in .csv or .json, not {args.out.name}.")
    check_spacing_option(args.spacing)


def _matchings(args: argparse.Namespace, gt: np.ndarray, pred: np.ndarray, spacing) -> list[tuple[object, object]]:
    """[(label or "", InstanceMatching)] of one pair: one per ``--labels`` class, or one for all foreground."""
    options = {
        "spacing": spacing,
        "threshold": args.iou_threshold,
        "mode": args.matching,
        "hd95_penalty": args.hd95_penalty,
        "percentile": args.percentile,
        "brats_dilation": args.brats_dilation,
        "brats_min_volume": args.brats_min_volume,
    }
    if args.convention != "border" or args.matching != "brats":
        options["convention"] = args.convention
    if args.as_given:
        return [("", match_instances(instances_as_given(gt), instances_as_given(pred), **options))]
    connectivity = args.connectivity or (gt.ndim if args.matching == "brats" else 1)
    if connectivity > gt.ndim:
        raise UsageError(f"--connectivity {connectivity} needs a 3D image; this one is {gt.ndim}D.")
    labels = args.labels or [None]
    found = []
    for label in labels:
        components = [instances_from_semantic(m, label, connectivity, args.min_size) for m in (gt, pred)]
        found.append(("" if label is None else label, match_instances(*components, **options)))
    return found


def _load(args: argparse.Namespace, gt_path, pred_path):
    pair = load_mask_pair(gt_path, pred_path, spacing=args.spacing)
    problem = spacing_problem(pair.spacing)
    if problem is not None:
        raise UsageError(f"the voxel spacing of {printable_text(gt_path.name)} {problem}.")
    return pair


def _rows(case: str, label, matching) -> list[dict]:
    leading = {"case": case} if label == "" else {"case": case, "label": label}
    return [{**leading, **row} for row in matching.rows()]


def _summary_table(summaries: list[tuple[object, dict]]) -> str:
    rows = [
        {"label": label if label != "" else "all", **{k: s[k] for k in DETECTION_COLUMNS}} for label, s in summaries
    ]
    return format_table(rows, ("label", *DETECTION_COLUMNS))


def _write(args: argparse.Namespace, rows: list[dict], summary: dict) -> None:
    try:
        write_report(args.out, rows, summary)
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}.") from None
    print(f"\nwrote {args.out}")


def _evaluate_pair(args: argparse.Namespace) -> int:
    for path in (args.gt, args.pred):
        if path.is_dir():
            raise UsageError(f"{path} is a folder; give two files or two folders.")
        if not path.exists():
            raise UsageError(f"{path} does not exist.")
    try:
        pair = _load(args, args.gt, args.pred)
        matchings = _matchings(args, pair.gt, pair.pred, pair.spacing)
    except (ImageReadError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    case = printable_text(args.gt.name)
    rows = [row for label, matching in matchings for row in _rows(case, label, matching)]
    print(
        f"{case}  vs  {printable_text(args.pred.name)}   matching {args.matching}"
        + ("" if args.matching == "brats" else f" at IoU >= {args.iou_threshold:g}")
    )
    leading = ("label",) if args.labels else ()
    if rows:
        print(format_table(rows, (*leading, *INSTANCE_COLUMNS)))
    else:
        print("no instance in either mask")
    print()
    print(_summary_table([(label, m.summary) for label, m in matchings]))
    if args.out is not None:
        summary = {str(label) if label != "" else "all": m.summary for label, m in matchings}
        _write(args, rows, summary)
    return 0


def _dataset_summary(case_rows: list[dict]) -> dict[str, dict]:
    """Per label: counts summed over the ok cases, pooled precision/recall/F1 from those sums, and the mean of
    every detection column over the cases."""
    by_label: dict[str, list[dict]] = {}
    for row in case_rows:
        if row["status"] == "ok":
            by_label.setdefault(str(row.get("label", "all")), []).append(row)
    summary = {}
    for label, rows in by_label.items():
        totals = {key: int(sum(row[key] for row in rows)) for key in COUNT_COLUMNS}
        tp, fp, fn = totals["tp"], totals["fp"], totals["fn"]
        nothing = tp + fp + fn == 0
        summary[label] = {
            "cases": len(rows),
            **totals,
            "pooled_precision": tp / (tp + fp) if tp + fp else float(nothing),
            "pooled_recall": tp / (tp + fn) if tp + fn else float(nothing),
            "pooled_f1": 2 * tp / (2 * tp + fp + fn) if not nothing else 1.0,
            **{f"mean_{key}": float(np.mean([row[key] for row in rows])) for key in DETECTION_COLUMNS[3:]},
        }
    return summary


def _evaluate_folders(args: argparse.Namespace) -> int:
    pairing = paired_folders(args.gt, args.pred)
    for unpaired, folder in ((pairing.gt_only, args.gt), (pairing.pred_only, args.pred)):
        if unpaired:
            print(f"unpaired in {folder} (skipped): {', '.join(unpaired)}", file=sys.stderr)
    case_rows, failed = [], 0
    for number, files in enumerate(pairing.cases, start=1):
        print(f"evaluate {number}/{len(pairing.cases)} {files.case}", file=sys.stderr)
        try:
            pair = _load(args, files.gt, files.pred)
            matchings = _matchings(args, pair.gt, pair.pred, pair.spacing)
        except (ImageReadError, ValueError, UsageError) as exc:
            failed += 1
            print(f"failed: {files.case}: {exc}", file=sys.stderr)
            case_rows.append({"case": files.case, "status": "error", "message": str(exc)})
            continue
        for label, matching in matchings:
            leading = {} if label == "" else {"label": label}
            row = {k: matching.summary[k] for k in ("n_gt", "n_pred", *DETECTION_COLUMNS)}
            case_rows.append({"case": files.case, **leading, "status": "ok", "message": "", **row})
    ok_rows = [row for row in case_rows if row["status"] == "ok"]
    leading = ("label",) if args.labels else ()
    print(f"{len(pairing.cases)} cases, {failed} failed   matching {args.matching}")
    if ok_rows:
        print(format_table(ok_rows, ("case", *leading, "n_gt", "n_pred", *DETECTION_COLUMNS)))
    summary = _dataset_summary(case_rows)
    if summary:
        print()
        table = [{"label": label, **entry} for label, entry in summary.items()]
        print(format_table(table, tuple(table[0])))
    if args.out is not None:
        columns = ("case", *leading, "status", "message", "n_gt", "n_pred", *DETECTION_COLUMNS)
        _write(args, [{k: row.get(k, "") for k in columns} for row in case_rows], summary)
    return 1 if failed else 0


def run_instances(args: argparse.Namespace) -> int:
    """``segreview evaluate --instances``: a pair of files or two folders."""
    _check_instance_options(args)
    folders = args.gt.is_dir() and args.pred.is_dir()
    evaluate = _evaluate_folders if folders else _evaluate_pair
    if args.out is None:
        return evaluate(args)
    try:
        with report_lock(args.out):
            check_report_target(args.out, args.force)
            return evaluate(args)
    except ReportLocked as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}.") from None
