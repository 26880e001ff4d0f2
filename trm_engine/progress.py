"""Progress of long work on stderr: what is being done, n of N, the time spent and an estimate of the rest.

    progress = Progress("eval runs/s9", unit="puzzles")
    progress(0, 400)                     # a first line at once: the work has started
    progress(128, 400)                   # ... then at most one line per interval
    progress(200, 400, fraction=0.55)    # the estimate may use a finer measure than n of N
    progress(400, 400)                   # the last line always

On a terminal the line is redrawn in place a few times a second. Elsewhere (a log file, a pipe, a test's
captured stderr) a new line is written at most every `interval` seconds (10 by default), besides the
first and the last, so a long run leaves a readable log, not a wall of redraws. With `delay`, work that
is over within that many seconds writes nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

TTY_INTERVAL = 0.25
LOG_INTERVAL = 10.0


def clock_text(seconds: float) -> str:
    """H:MM:SS."""
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """A callable `(done, total, fraction=None, note="")` that writes rate-limited progress lines."""

    def __init__(self, what: str, unit: str = "", quiet: bool = False, stream: TextIO | None = None,
                 interval: float | None = None, delay: float = 0.0, clock: Callable[[], float] = time.monotonic):
        self.what, self.unit, self.quiet = what, unit, quiet
        self.stream = stream if stream is not None else sys.stderr
        try:
            self.tty = bool(self.stream.isatty())
        except (AttributeError, ValueError):  # a closed or odd stream
            self.tty = False
        self.interval = interval if interval is not None else (TTY_INTERVAL if self.tty else LOG_INTERVAL)
        self.delay = delay  # work that ends within `delay` seconds prints nothing (a quick evaluation in training)
        self.clock = clock
        self.start = clock()
        self.last: float | None = None  # when a line was last written
        self.width = 0  # of the line on a terminal, to blank what a shorter line leaves
        self.finished = False

    def __call__(self, done: float, total: float, fraction: float | None = None, note: str = "") -> None:
        if self.quiet or self.finished:
            return
        now = self.clock()
        final = total > 0 and done >= total
        if now - self.start < self.delay:
            return
        if self.last is not None and not final and now - self.last < self.interval:
            return
        self.last = now
        self.finished = final
        line = self.line(done, total, now - self.start, fraction, note)
        if self.tty:
            self.stream.write("\r" + line.ljust(self.width) + ("\n" if final else ""))
            self.width = 0 if final else len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def line(self, done: float, total: float, elapsed: float, fraction: float | None, note: str) -> str:
        if fraction is None:
            fraction = done / total if total > 0 else 0.0
        fraction = min(max(fraction, 0.0), 1.0)
        unit = f" {self.unit}" if self.unit else ""
        text = f"{self.what}: {_number(done)}/{_number(total)}{unit} ({100 * fraction:.0f}%)"
        if note:
            text += f", {note}"
        text += f"  {clock_text(elapsed)} elapsed"
        if 0 < fraction < 1 and elapsed > 0:
            text += f", ETA {clock_text(elapsed / fraction * (1 - fraction))}"
        return text

    def close(self) -> None:
        """End a redrawn line that never reached its total (the work stopped early)."""
        if self.tty and self.width and not self.finished:
            self.stream.write("\n")
            self.stream.flush()
        self.finished = True


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
