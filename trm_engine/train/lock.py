"""The run directory's lock (run.lock): proof that a live TRM Lab process is writing the directory.

A pid alone proves nothing: after a crash the pid is soon reused by some other process, which used to
make a dead run look "running" and refuse its resume. The writer holds an exclusive `flock` on run.lock
for as long as it runs; the kernel drops it when the process dies, however it dies. Anyone can test
the lock without taking it. The file's text (`pid@host start=<ticks>`) only names the holder for
messages and for the cross-host check in run_dir.py (a lock taken on another machine of a shared disk
may not be visible here).

Where flock does not exist (Windows), a holder counts as live when its pid runs and, where /proc tells
it, started at the recorded time.
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

LOCK_FILE = "run.lock"


def process_start(pid: int) -> str:
    """The start time of process `pid` in clock ticks since boot (Linux /proc), "" where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat[stat.rfind(")") + 2:].split()  # the command name may hold spaces and parentheses
    return fields[19] if len(fields) > 19 else ""


def identity(pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    return f"{pid}@{socket.gethostname()} start={process_start(pid)}"


def parse_identity(text: str) -> tuple[int | None, str, str]:
    """(pid, host, start) from a lock's text; pid None when it does not name one."""
    who, _, rest = text.strip().partition(" ")
    pid_s, _, host = who.partition("@")
    start = rest.partition("start=")[2].strip()
    return (int(pid_s) if pid_s.isdigit() else None), host, start


def pid_matches(pid: int | None, start: str) -> bool:
    """Whether process `pid` runs and (where both are known) started at `start`."""
    if pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        pass
    now = process_start(pid)
    return not (start and now and start != now)


class RunLock:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None

    def contents(self) -> str:
        try:
            return self.path.read_bytes()[:200].decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def held_elsewhere(self) -> bool:
        """Whether another process (or another open of this file in this one) holds the lock now."""
        if fcntl is None:
            pid, host, start = parse_identity(self.contents())
            return host == socket.gethostname() and pid != os.getpid() and pid_matches(pid, start)
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:  # a file system without locks: fall back to the pid and its start time
            pid, host, start = parse_identity(self.contents())
            return host == socket.gethostname() and pid_matches(pid, start)
        finally:
            os.close(fd)
        return False

    def try_acquire(self) -> bool:
        """Hold the lock (True), or False when a live process holds it."""
        if fcntl is None:
            if self.held_elsewhere():
                return False
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            return True
        for _ in range(5):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            except OSError:  # no locks on this file system: the pid check must do
                os.close(fd)
                pid, host, start = parse_identity(self.contents())
                if host == socket.gethostname() and pid != os.getpid() and pid_matches(pid, start):
                    return False
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
                return True
            try:  # the holder may have released (and unlinked) it between our open and flock
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
                return True
            os.close(fd)
        return False

    def stamp(self) -> None:
        """Write who holds the lock (for messages and other hosts)."""
        assert self._fd is not None
        data = identity().encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def release(self, unlink: bool = True) -> None:
        if self._fd is None:
            return
        if unlink:
            with contextlib.suppress(OSError):
                if os.fstat(self._fd).st_ino == os.stat(self.path).st_ino:
                    self.path.unlink()
        os.close(self._fd)  # closing drops the flock
        self._fd = None
