"""A dataset report as one self-contained HTML page to share: per-class box plots with every value, the worst
cases with a thumbnail of their worst slice, the conventions, the empty-mask policy and the options used.

Pure Python (numpy, scipy, Pillow): no Qt, no napari; the page needs no network and no script library.
"""

from .build import build_report_html, write_report_html
from .cases import Folders, WorstCase, worst_case_entries
from .statistics import BoxStatistics, ClassStatistics, box_statistics, class_statistics
from .thumbnails import thumbnail_png, worst_slice

__all__ = [
    "BoxStatistics",
    "ClassStatistics",
    "Folders",
    "WorstCase",
    "box_statistics",
    "build_report_html",
    "class_statistics",
    "thumbnail_png",
    "worst_case_entries",
    "worst_slice",
    "write_report_html",
]
