"""Dataset evaluation: pair two folders by case name, evaluate every case, summarize, write incrementally.

Pure Python/numpy (no Qt, no napari); dask.distributed is imported only when a client is given.
"""

from .evaluation import SPACING_RANGE, CaseFiles, MetricOptions, error_rows, evaluate_case, row_order, spacing_problem
from .pairing import FolderPairing, case_name, pair_folders
from .report import (
    OptionMismatch,
    forget_options,
    option_mismatch,
    options_file_in_the_way,
    options_path,
    options_record,
    read_rows,
    recorded_options,
    resumable_rows,
    write_rows,
)
from .report_lock import ReportLocked, lock_path, report_lock
from .run import evaluate_dataset, evaluate_dataset_steps, iterate_cases
from .summary import WORST_CASES, dataset_summary, worst_cases

__all__ = [
    "SPACING_RANGE",
    "WORST_CASES",
    "CaseFiles",
    "FolderPairing",
    "MetricOptions",
    "OptionMismatch",
    "ReportLocked",
    "case_name",
    "dataset_summary",
    "error_rows",
    "evaluate_case",
    "evaluate_dataset",
    "evaluate_dataset_steps",
    "forget_options",
    "iterate_cases",
    "lock_path",
    "option_mismatch",
    "options_file_in_the_way",
    "options_path",
    "options_record",
    "pair_folders",
    "read_rows",
    "report_lock",
    "recorded_options",
    "resumable_rows",
    "row_order",
    "spacing_problem",
    "worst_cases",
    "write_rows",
]
