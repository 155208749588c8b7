"""A plain-text progress bar for long subcommands (no dependency): redrawn in place on a terminal, a line per
tenth of the work when the stream is a file or a pipe (logs stay short)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class TextProgressBar:
    """``update(done, total)`` as work advances, ``close()`` at the end (also on failure)."""

    def __init__(self, label: str, unit: str = "slices", stream: TextIO | None = None, width: int = 30) -> None:
        self.label, self.unit, self.width = label, unit, width
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.perf_counter()
        self.last_draw = 0.0
        self.last_tenth = 0
        self.drawn = False

    def _line(self, done: int, total: int) -> str:
        elapsed = time.perf_counter() - self.started
        rate = f"{done / elapsed:.1f} {self.unit}/s" if elapsed > 0 and done else ""
        filled = int(self.width * done / total) if total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        return f"{self.label} [{bar}] {done}/{total} {self.unit}  {rate}".rstrip()

    def update(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.interactive:
            # at most ten redraws a second: a fast loop must not spend its time on the terminal
            if now - self.last_draw >= 0.1 or done >= total:
                self.stream.write("\r" + self._line(done, total))
                self.stream.flush()
                self.last_draw, self.drawn = now, True
            return
        tenth = 10 * done // total if total else 10
        if tenth > self.last_tenth:
            self.stream.write(self._line(done, total) + "\n")
            self.stream.flush()
            self.last_tenth = tenth

    def close(self) -> None:
        if self.interactive and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
