"""Writing output files atomically, and reading a puzzle given as a file path or as text.

Every file the engine writes goes through `atomic_output`: the data lands in a temporary file in the
same directory (same file system, so the final os.replace is atomic) and is renamed over the target
only once complete. On any error the temporary file is removed, so a failed write never leaves a
half-written output behind and never clobbers the previous version.

A process killed mid-write cannot remove its temporary file, so the name says whose it is
(`.<name>.<pid>@<host tag>.<random>.tmp`) and the next write into that directory removes the ones whose
process is gone (`remove_stale_temporaries`; a run directory also does so when it is opened).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import PuzzleError, TrmError


@contextlib.contextmanager
def atomic_output(path: str | Path, error: type[TrmError] = TrmError) -> Iterator[Path]:
    """Yield a temporary path next to `path`; on success rename it onto `path`, on failure delete it."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise error(f"{path}: directory {directory} does not exist")
    remove_stale_temporaries(directory)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=".tmp", dir=directory)
    except OSError as exc:
        raise error(f"{path}: cannot write here ({exc.strerror or exc})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs get the usual mode
        os.replace(tmp_path, path)
    except OSError as exc:
        raise error(f"{path}: write failed ({exc.strerror or exc})") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_directory(path: str | Path, error: type[TrmError] = TrmError) -> Iterator[Path]:
    """Like atomic_output for a whole directory, which must not exist yet (or be empty)."""
    path = Path(path)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise error(f"{path}: already exists and is not an empty directory")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise error(f"{path}: directory {parent} does not exist")
    remove_stale_temporaries(parent)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(path), suffix=".tmp", dir=parent))
    except OSError as exc:
        raise error(f"{path}: cannot write here ({exc.strerror or exc})") from None
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        if path.exists():
            path.rmdir()
        os.replace(tmp, path)
    except OSError as exc:
        raise error(f"{path}: write failed ({exc.strerror or exc})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _host_tag() -> str:
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]


def _temp_prefix(path: Path) -> str:
    return f".{path.name}.{os.getpid()}@{_host_tag()}."


_TEMP = re.compile(r"^\..+\.(\d+)@([0-9a-f]{8})\.[^.]+\.tmp$")


def remove_stale_temporaries(directory: str | Path) -> list[Path]:
    """Remove the temporary files (and folders) that atomic writes of dead processes on this host left
    in `directory`; returns what was removed. Others' and live processes' temporaries stay."""
    directory = Path(directory)
    removed = []
    try:
        entries = list(directory.iterdir())
    except OSError:
        return removed
    tag = _host_tag()
    for entry in entries:
        m = _TEMP.match(entry.name)
        if m is None or m.group(2) != tag or _pid_running(int(m.group(1))):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
            removed.append(entry)
    return removed


def _pid_running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


def atomic_write_text(path: str | Path, text: str, error: type[TrmError] = TrmError) -> None:
    with atomic_output(path, error) as tmp:
        tmp.write_text(text, encoding="utf-8")


def text_or_file(value: str) -> tuple[str, str]:
    """Interpret a command-line argument as a file if one exists there, else as the puzzle text itself.
    Returns (text, source name for messages)."""
    from .base import read_text

    if "\n" not in value and len(value) < 4096:
        with contextlib.suppress(OSError, ValueError):
            if Path(value).is_file():
                return read_text(value), value
            if Path(value).is_dir():
                raise PuzzleError(f"{value}: a folder, not a puzzle file")
        if looks_like_path(value):
            raise PuzzleError(f"{value}: no such file")
    return value, "<argument>"


def looks_like_path(value: str) -> bool:
    """A one-line argument that names a file rather than holding a puzzle: it has a folder separator or
    ends in a file extension (`puzzle.sudoku`, `task.json`). Sudoku and maze texts are digits, dots and
    the maze marks; ARC tasks are JSON objects."""
    text = value.strip()
    if not text or text.startswith(("{", "[")):
        return False
    if "/" in text or "\\" in text:
        return True
    stem, dot, ext = text.rpartition(".")
    return bool(dot and stem and ext[:1].isalpha() and ext.isalnum())
