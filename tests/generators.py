"""Running the project's progress generators to their end in tests."""

from __future__ import annotations


def drain(steps):
    """Exhaust a generator; returns (every yielded value, its return value)."""
    progress = []
    while True:
        try:
            progress.append(next(steps))
        except StopIteration as finished:
            return progress, finished.value
