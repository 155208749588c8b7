"""One run at a time writes a report: a lock file ``<report>.lock`` beside it, for the whole run.

Checking that a report does not exist and then writing it races when two runs start together; the lock is
created atomically (exclusive creation, filelock's ``SoftFileLock``) before that check and removed when the run
ends, however it ends. It records the process id and host of its run, so a lock left by a run that died on this
machine (killed, power cut) is taken over; one from another machine cannot be proven dead, and is refused with
its holder named.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import SoftFileLock, Timeout

LOCK_SUFFIX = ".lock"


class ReportLocked(Exception):
    """Another run holds the report's lock; the message is one sentence for the user."""


def lock_path(report: str | os.PathLike) -> Path:
    report = Path(report)
    return report.with_name(report.name + LOCK_SUFFIX)


@contextmanager
def report_lock(report: str | os.PathLike) -> Iterator[Path]:
    """Hold the lock of ``report`` for the ``with`` block (its folder is created if missing); raises
    ReportLocked at once, without waiting, when another live run holds it."""
    path = lock_path(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = SoftFileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        holder = f"pid {lock.pid}" if lock.pid is not None else "a run that recorded no process id"
        raise ReportLocked(
            f"another segreview run is writing {Path(report).name} ({path.name} is held by {holder}); wait for it "
            f"to finish, or delete {path} if no such run is going."
        ) from None
    try:
        yield path
    finally:
        lock.release()
