"""A plain-text progress bar for long subcommands (no dependency): redrawn in place on a terminal, a line per
tenth of the work when the stream is a file or a pipe (logs stay short). A detail after the bar (the label a
long case is at) is redrawn on a terminal and written to a log at most every ``DETAIL_LOG_SECONDS``."""

from __future__ import annotations

import sys
import time
from typing import TextIO

DETAIL_LOG_SECONDS = 10.0


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
        self.done, self.total = 0, None
        self.detail_text, self.last_detail_log = "", self.started
        self.drawn_width = 0

    def _line(self, done: int, total: int | None) -> str:
        if total is None:  # nothing finished yet, the total not known: the detail alone
            return f"{self.label}  {self.detail_text}".rstrip()
        elapsed = time.perf_counter() - self.started
        rate = f"{done / elapsed:.1f} {self.unit}/s" if elapsed > 0 and done else ""
        filled = int(self.width * done / total) if total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        return f"{self.label} [{bar}] {done}/{total} {self.unit}  {rate}  {self.detail_text}".rstrip()

    def _draw(self, now: float) -> None:
        line = self._line(self.done, self.total)
        # blanks over the end of a longer line drawn before
        self.stream.write("\r" + line + " " * max(0, self.drawn_width - len(line)))
        self.stream.flush()
        self.last_draw, self.drawn, self.drawn_width = now, True, len(line)

    def detail(self, text: str) -> None:
        """Show ``text`` after the bar (e.g. "case_07: label 40/104") until the next ``update``."""
        self.detail_text = text
        now = time.perf_counter()
        if self.interactive:
            if now - self.last_draw >= 0.1:
                self._draw(now)
        elif now - self.last_detail_log >= DETAIL_LOG_SECONDS:
            self.stream.write(f"{self.label}: {text}\n")
            self.stream.flush()
            self.last_detail_log = now

    def update(self, done: int, total: int) -> None:
        now = time.perf_counter()
        self.done, self.total, self.detail_text = done, total, ""
        if self.interactive:
            # at most ten redraws a second: a fast loop must not spend its time on the terminal
            if now - self.last_draw >= 0.1 or done >= total:
                self._draw(now)
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
            self.drawn, self.drawn_width = False, 0
