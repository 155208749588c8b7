"""Silencing the libraries that report, while a file is read, the problems they work around.

nibabel, pydicom and tifffile log to their own loggers (with handlers of their own, or Python's last-resort one
on stderr), and they and numpy warn, when a header is odd but readable or before they raise for a damaged file.
The user needs a readable volume or our one sentence, not those lines. Our own warnings (an oblique affine, a
lossy mask) still reach the caller, under the caller's warning filters.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator

from .errors import LossyMaskWarning, ObliqueAffineWarning

READER_LOGGERS = ("nibabel.global", "pydicom", "tifffile")
OUR_WARNINGS = (ObliqueAffineWarning, LossyMaskWarning)


@contextlib.contextmanager
def quiet_library_logs(names: tuple[str, ...] = READER_LOGGERS) -> Iterator[None]:
    """Within the block the named loggers emit nothing; their levels are restored afterwards."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextlib.contextmanager
def quiet_reading() -> Iterator[None]:
    """Within the block library logs and warnings are dropped; our warnings are issued again once it ends
    (not when it raises: the error says what matters)."""
    with quiet_library_logs(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        if issubclass(warning.category, OUR_WARNINGS):
            # 1 this generator, 2 contextlib, 3 the reader, 4 the reader's caller
            warnings.warn(warning.message, stacklevel=4)
