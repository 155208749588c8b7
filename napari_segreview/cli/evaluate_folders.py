"""``segreview evaluate GT_DIR PRED_DIR``: the dataset mode, one row per case and label, in this process or on
dask.distributed (``--workers N`` a local cluster, ``--scheduler ADDR`` an existing one).

Unpaired files, progress and failed cases go to stderr; the summary to stdout. ``--out`` is rewritten
atomically after every case, so an interrupted run keeps each finished case and ``--resume`` continues it, with
the options it records (a report computed with other options, or recording none, is refused: exit code 2).
Exit code 1 when any case failed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..dataset import (
    CaseFiles,
    FolderPairing,
    MetricOptions,
    OptionMismatch,
    ReportLocked,
    dataset_summary,
    evaluate_dataset,
    option_mismatch,
    options_file_in_the_way,
    options_path,
    pair_folders,
    read_rows,
    report_lock,
    resumable_rows,
)
from ..dataset.class_table import ClassTable, find_class_table
from ..io.nifti import first_line
from ..io.reports import REPORT_SUFFIXES, format_table
from .errors import UsageError
from .evaluate import check_report_target, check_spacing_option
from .progress_bar import TextProgressBar

SUMMARY_METRICS = ("dice", "iou", "hd", "hd95", "assd", "nsd")
SCHEDULER_TIMEOUT_S = 10


def _check_options(args: argparse.Namespace) -> None:
    if args.workers is not None and args.scheduler is not None:
        raise UsageError("give --workers or --scheduler, not both.")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be 1 or more, not {args.workers}.")
    if args.per_slice is not None:
        raise UsageError("--per-slice is for a pair of files; folder mode gives one row per case and label.")
    if args.resume and args.force:
        raise UsageError("--resume continues the report and --force replaces it; give one of them.")
    if args.out is None:
        if args.resume:
            raise UsageError("--resume needs --out, the report to continue.")
        return
    if args.out.suffix.lower() not in REPORT_SUFFIXES:
        raise UsageError(f"--out must end in .csv or .json, not {args.out.name}.")


def _check_outputs(args: argparse.Namespace, options: MetricOptions) -> None:
    """With the report's lock held: nothing the run would replace exists, unless --force (or --resume)."""
    check_report_target(args.out, args.force or args.resume, "use --resume to continue it or --force to replace it")
    sidecar = options_file_in_the_way(args.out, options)
    if sidecar is not None and not args.force and not (args.resume and args.out.exists()):
        raise UsageError(
            f"{sidecar} already exists beside {args.out.name} and does not hold this run's options; use --force "
            "to replace it."
        )


# how the refusal to resume names each recorded option: its flag, and the words for "not given"
OPTION_FLAGS = {
    "labels": ("--labels", "all labels present (no --labels)"),
    "convention": ("--convention", None),
    "nsd_tolerance": ("--nsd-tolerance", None),
    "percentile": ("--percentile", None),
    "spacing": ("--spacing", "each file's header spacing (no --spacing)"),
}


def _option_words(option: str, value: Any) -> str:
    flag, absent = OPTION_FLAGS[option]
    if value is None:
        return absent or f"no {flag}"
    values = value if isinstance(value, list) else [value]
    return " ".join([flag, *(f"{v:g}" if isinstance(v, float) else str(v) for v in values)])


def _mismatch_sentence(report: Path, mismatch: OptionMismatch) -> str:
    start_over = "give the options it was made with, or start a new report (--force without --resume replaces it)"
    if mismatch.option is None:
        where = "" if report.suffix.lower() == ".json" else f" ({options_path(report).name} is missing)"
        return (
            f"cannot resume {report.name}: it does not record the options its rows were computed with{where}, so "
            f"new rows could be computed another way; {start_over}."
        )
    if mismatch.option not in OPTION_FLAGS:
        return (
            f"cannot resume {report.name}: it was computed with option {mismatch.option} = {mismatch.recorded!r}, "
            f"which this version of segreview does not know; {start_over}."
        )
    return (
        f"cannot resume {report.name}: it was computed with {_option_words(mismatch.option, mismatch.recorded)}, "
        f"not {_option_words(mismatch.option, mismatch.given)}; {start_over}."
    )


def _previous_rows(args: argparse.Namespace, options: MetricOptions) -> list[dict]:
    """The rows of the report to continue; refuses (UsageError) one computed with other or unknown options."""
    if not args.resume or not args.out.exists():
        return []
    try:
        mismatch = option_mismatch(args.out, options)
        rows = resumable_rows(read_rows(args.out))
    except (ValueError, OSError) as exc:
        raise UsageError(f"cannot resume: {first_line(exc)}.") from None
    if mismatch is not None:
        raise UsageError(_mismatch_sentence(args.out, mismatch))
    return rows


@contextmanager
def dask_client(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """None without ``workers`` and ``scheduler``; else a dask.distributed Client, closed (with its local
    cluster) on exit. dask is imported only here."""
    if workers is None and scheduler is None:
        yield None
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UsageError('--workers and --scheduler need dask.distributed: pip install "dask[distributed]".') from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(f"cannot reach the dask scheduler at {scheduler}: {first_line(exc)}.") from None
        with client:
            yield client
        return
    # one thread per worker process: the metrics release the GIL only in parts, processes scale; the HTTP
    # server (always started) on a free local port: 8787 may be taken by another cluster
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _cell(value) -> Any:
    return "-" if value is None else value


def print_summary(summary: dict) -> None:
    """Per label: counts, then mean/median/std/min of each metric; then the worst cases by Dice."""
    labels = summary["labels"]
    print(f"{summary['cases']} cases, {len(summary['failed_cases'])} failed")
    if labels:
        counts = [
            {
                "label": label,
                **({"class": entry.get("class", "")} if any("class" in e for e in labels.values()) else {}),
                "cases": entry["rows"] - entry["both_empty"],
                "both_empty": entry["both_empty"],
                "inf": entry["inf_rows"],
                "errors": entry["error_rows"],
            }
            for label, entry in labels.items()
        ]
        print(format_table(counts, tuple(counts[0])))
        statistics = [
            {"label": label, "metric": metric, **{k: _cell(entry[metric][k]) for k in ("mean", "median", "std", "min")}}
            for label, entry in labels.items()
            for metric in SUMMARY_METRICS
        ]
        print()
        print(format_table(statistics, tuple(statistics[0])))
    if summary.get("regions"):
        regions = [
            {"region": name, "cases": entry["rows"] - entry["both_empty"], "inf": entry["inf_rows"],
             **{f"mean {metric}": _cell(entry[metric]["mean"]) for metric in SUMMARY_METRICS}}
            for name, entry in summary["regions"].items()
        ]  # fmt: skip
        print()
        print(format_table(regions, tuple(regions[0])))
    if summary["worst_cases"]:
        print(f"\nworst {len(summary['worst_cases'])} cases by Dice (their worst label):")
        print(format_table(summary["worst_cases"], ("case", "label", "dice", "mean_dice")))


def dataset_classes(gt_folder: Path) -> ClassTable | None:
    """The class table of the dataset (dataset.json beside labelsTr/, or a BIDS dseg.tsv), said on stderr."""
    try:
        classes = find_class_table(gt_folder)
    except (ValueError, OSError) as exc:
        raise UsageError(first_line(exc).rstrip(".") + ".") from None
    if classes is not None:
        regions = f", regions {', '.join(classes.regions)}" if classes.regions else ""
        ignore = f", ignore label {classes.ignore}" if classes.ignore is not None else ""
        print(f"classes from {classes.source}: {len(classes.names)} named labels{regions}{ignore}", file=sys.stderr)
    return classes


def paired_folders(gt: Path, pred: Path) -> FolderPairing:
    """The cases of two folders; refuses (UsageError) a folder that cannot be paired or pairs with nothing."""
    try:
        pairing = pair_folders(gt, pred)
    except (ValueError, OSError) as exc:
        raise UsageError(first_line(exc) + ".") from None
    if not pairing.cases:
        raise UsageError(f"no file of {gt} pairs by name with a file of {pred}.")
    return pairing


def metric_options(args: argparse.Namespace) -> MetricOptions:
    """The options every case of a dataset run is evaluated with, from the command line and the dataset's class
    table (said on stderr)."""
    return MetricOptions(
        labels=None if args.labels is None else tuple(args.labels),
        convention=args.convention,
        nsd_tolerance=args.nsd_tolerance,
        percentile=args.percentile,
        spacing=None if args.spacing is None else tuple(args.spacing),
        resample_prediction=args.resample_prediction,
        classes=dataset_classes(args.gt),
    )


def _report_pairing(unpaired: list[str], folder_name: str) -> None:
    if unpaired:
        print(f"unpaired in {folder_name} (skipped): {', '.join(unpaired)}", file=sys.stderr)


def run_folders(args: argparse.Namespace) -> int:
    _check_options(args)
    check_spacing_option(args.spacing)
    if args.out is None:
        return _run(args)
    try:
        with report_lock(args.out):
            return _run(args)
    except ReportLocked as exc:
        raise UsageError(str(exc)) from None


def _run(args: argparse.Namespace) -> int:
    pairing = paired_folders(args.gt, args.pred)
    options = metric_options(args)
    if args.out is not None:
        _check_outputs(args, options)
    previous = _previous_rows(args, options)
    _report_pairing(pairing.gt_only, str(args.gt))
    _report_pairing(pairing.pred_only, str(args.pred))
    cases: list[CaseFiles] = pairing.cases
    if previous:
        kept = len({row["case"] for row in previous})
        print(f"resuming {args.out}: {kept} finished cases kept", file=sys.stderr)
    with dask_client(args.workers, args.scheduler) as client:
        progress = TextProgressBar("evaluate", unit="cases")  # after a cluster's start: the rate is the work's
        try:
            rows = evaluate_dataset(
                cases,
                options,
                out=args.out,
                previous_rows=previous,
                client=client,
                on_case=lambda done, total, _: progress.update(done, total),
                on_label=lambda case, done, total: progress.detail(f"{case}: label {done}/{total}"),
            )
        except OSError as exc:
            raise UsageError(f"cannot write {args.out}: {exc.strerror or first_line(exc)}.") from None
        finally:
            progress.close()
    summary = dataset_summary(rows)
    for failure in summary["failed_cases"]:
        print(f"failed: {failure['message']}", file=sys.stderr)
    print_summary(summary)
    if args.out is not None:
        print(f"\nwrote {args.out}")
    return 1 if summary["failed_cases"] else 0
