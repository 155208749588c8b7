"""Dataset evaluation: pair two folders by case name, evaluate every case, summarize, write incrementally.

Pure Python/numpy (no Qt, no napari); dask.distributed is imported only when a client is given.
"""

from .evaluation import CaseFiles, MetricOptions, error_rows, evaluate_case, row_order
from .pairing import FolderPairing, case_name, pair_folders
from .report import (
    OptionMismatch,
    forget_options,
    option_mismatch,
    options_path,
    options_record,
    read_rows,
    recorded_options,
    resumable_rows,
    write_rows,
)
from .run import evaluate_dataset, evaluate_dataset_steps, iterate_cases
from .summary import WORST_CASES, dataset_summary, worst_cases

__all__ = [
    "WORST_CASES",
    "CaseFiles",
    "FolderPairing",
    "MetricOptions",
    "OptionMismatch",
    "case_name",
    "dataset_summary",
    "error_rows",
    "evaluate_case",
    "evaluate_dataset",
    "evaluate_dataset_steps",
    "forget_options",
    "iterate_cases",
    "option_mismatch",
    "options_path",
    "options_record",
    "pair_folders",
    "read_rows",
    "recorded_options",
    "resumable_rows",
    "row_order",
    "worst_cases",
    "write_rows",
]
