"""Stop / pause / resume requests for a running trainer, from any thread (a GUI, a signal handler).
Pause is honoured between optimizer steps. Stop writes a checkpoint first, and a single-process
streaming run also interrupts the step in flight (see Trainer)."""

from __future__ import annotations

import threading


class Control:
    """Thread-safe requests from a GUI or a signal handler."""

    def __init__(self):
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def request_stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused run must wake up to stop

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self, timeout: float = 0.2) -> None:
        self._running.wait(timeout)
