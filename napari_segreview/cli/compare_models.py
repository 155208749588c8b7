"""``segreview evaluate GT_DIR PRED_A PRED_B``: two models on one dataset, per-case paired differences (B − A)
with a paired bootstrap 95% interval per metric and label.

Only cases with a ground truth and a prediction from both models are compared (the others are listed on
stderr); a case that fails for either model is left out and listed. ``--out`` writes the paired rows (CSV) or
rows and the per-label statistics (JSON).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..dataset import evaluate_dataset, pair_folders, report_lock
from ..dataset.model_comparison import BOOTSTRAP_RESAMPLES, compare_models
from ..dataset.report_lock import ReportLocked
from ..io.nifti import first_line
from ..io.reports import REPORT_SUFFIXES, format_table, write_report
from .errors import UsageError
from .evaluate import check_report_target, check_spacing_option
from .evaluate_folders import dask_client, metric_options
from .progress_bar import TextProgressBar

COMPARED_METRICS = ("dice", "hd95", "assd", "nsd", "iou", "hd")


def _check(args: argparse.Namespace, model_a: Path, model_b: Path) -> None:
    for folder in (args.gt, model_a, model_b):
        if not folder.is_dir():
            raise UsageError(f"comparing two models takes three folders (GT, A, B); {folder} is not a folder.")
    if model_a.resolve() == model_b.resolve():
        raise UsageError(f"PRED_A and PRED_B are the same folder ({model_a}); give two models' predictions.")
    for flag, given in (("--per-slice", args.per_slice is not None), ("--resume", args.resume)):
        if given:
            raise UsageError(f"{flag} is not available when comparing two models.")
    if args.workers is not None and args.scheduler is not None:
        raise UsageError("give --workers or --scheduler, not both.")
    check_spacing_option(args.spacing)
    if args.out is not None and args.out.suffix.lower() not in REPORT_SUFFIXES:
        raise UsageError(f"--out must end in .csv or .json, not {args.out.name}.")


def run_comparison(args: argparse.Namespace, model_a: Path, model_b: Path) -> int:
    _check(args, model_a, model_b)
    if args.out is None:
        return _run(args, model_a, model_b)
    try:
        with report_lock(args.out):
            check_report_target(args.out, args.force)
            return _run(args, model_a, model_b)
    except ReportLocked as exc:
        raise UsageError(str(exc)) from None


def _cases(args: argparse.Namespace, model_a: Path, model_b: Path):
    try:
        pair_a, pair_b = pair_folders(args.gt, model_a), pair_folders(args.gt, model_b)
    except (ValueError, OSError) as exc:
        raise UsageError(first_line(exc) + ".") from None
    both = {case.case for case in pair_a.cases} & {case.case for case in pair_b.cases}
    for name, pairing in (("A", pair_a), ("B", pair_b)):
        if pairing.gt_only:
            print(f"no prediction of model {name} for (skipped): {', '.join(pairing.gt_only)}", file=sys.stderr)
    if not both:
        raise UsageError(f"no case of {args.gt} has a prediction in both {model_a} and {model_b}.")
    return [c for c in pair_a.cases if c.case in both], [c for c in pair_b.cases if c.case in both]


def _run(args: argparse.Namespace, model_a: Path, model_b: Path) -> int:
    cases_a, cases_b = _cases(args, model_a, model_b)
    options = metric_options(args)
    rows = {}
    with dask_client(args.workers, args.scheduler) as client:
        for name, cases in (("A", cases_a), ("B", cases_b)):
            progress = TextProgressBar(f"model {name}", unit="cases")
            try:
                rows[name] = evaluate_dataset(
                    cases, options, client=client, on_case=lambda done, total, _, bar=progress: bar.update(done, total)
                )
            finally:
                progress.close()
    failed = sorted({row["case"] for name in rows for row in rows[name] if row["status"] == "error"})
    for name in rows:
        for row in rows[name]:
            if row["status"] == "error":
                print(f"failed (model {name}, left out): {row['message']}", file=sys.stderr)
    comparison = compare_models(rows["A"], rows["B"], resamples=BOOTSTRAP_RESAMPLES)
    table = [
        {
            "label": label,
            "metric": metric,
            "cases": stats["cases"],
            "mean A": stats["mean_a"],
            "mean B": stats["mean_b"],
            "B - A": stats["mean_diff"],
            "95% low": stats["ci_low"],
            "95% high": stats["ci_high"],
            "better": stats["better"],
        }
        for label, per_metric in comparison["labels"].items()
        for metric, stats in per_metric.items()
        if metric in COMPARED_METRICS
    ]
    print(f"A = {model_a}   B = {model_b}   {len(cases_a)} cases, {len(failed)} left out (failed)")
    print("paired differences B - A, 95% paired bootstrap interval over cases (inf values left out):")
    if table:
        print(format_table(table, tuple(table[0])))
    if args.out is not None:
        summary = {
            "model_a": str(model_a),
            "model_b": str(model_b),
            "failed_cases": failed,
            "resamples": BOOTSTRAP_RESAMPLES,
            "labels": comparison["labels"],
        }
        try:
            write_report(args.out, comparison["pairs"], summary)
        except OSError as exc:
            raise UsageError(f"cannot write {args.out}: {exc.strerror or exc}.") from None
        print(f"\nwrote {args.out}")
    return 1 if failed else 0
