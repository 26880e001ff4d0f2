"""A bounded first read of a dataset file's headers and strings, in a child process.

Why: the text attributes of a dataset (format, family, metadata, ...) and its task and identifier
names are HDF5 variable-length strings, kept in "global heap" collections elsewhere in the file. A
damaged heap or reference makes the HDF5 library itself misbehave inside a single C call that Python
cannot interrupt: a corrupted object header in a collection made it loop for good (`trm data info`
spun for more than 300 s on a 40 KB file), and a corrupted string length made it allocate 3.5 GB
and read for 21 s before failing. So the first time a process opens a file (per path, inode, size
and modification time) the file is read once in a child with a time and memory limit; a child
that fails, dies or runs out of time is a DataError naming the file. Files this process wrote itself
(`mark_good`) skip the probe. The child comes from a fork server that has h5py loaded, so a probe
costs tens of milliseconds (about a second for the first one of a process).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import types
from pathlib import Path

from ..errors import DataError

TIME_LIMIT_S = 20.0  # reading a few KB of attributes takes milliseconds; names of 1M puzzles ~ a second
MEMORY_LIMIT = 2 << 30  # address space of the child (h5py and numpy map a few hundred MB)

_good: set[tuple] = set()
_context = None
_start_lock = threading.Lock()


def _key(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (str(Path(path).resolve()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def mark_good(path: str | os.PathLike) -> None:
    """Skip the probe for this version of the file (it was just written by this process)."""
    key = _key(Path(path))
    if key is not None:
        _good.add(key)


def probe(path: str | os.PathLike, read) -> None:
    """Run `read(h5py_file, path)` (the dataset module's own reader, a module-level function so that it
    reaches the child by name) in a child process with a time and memory limit; DataError when that
    fails. Cheap for a file already probed (or written) by this process."""
    path = Path(path)
    key = _key(path)
    if key is None or key in _good:
        return
    if multiprocessing.current_process().daemon:  # daemons may not start children: read unguarded
        return
    ctx = _get_context()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(str(path), read, send), daemon=True, name="trm-dataset-probe")
    # multiprocessing re-runs the parent's __main__ in each child (a script without a main guard would run
    # again, and the app's main module would import Qt); the probe needs nothing of it, so the child is
    # started while __main__ is a blank module.
    with _start_lock:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            child.start()
        finally:
            if main is not None:
                sys.modules["__main__"] = main
    send.close()
    try:
        if not receive.poll(TIME_LIMIT_S):
            raise DataError(f"{path}: reading its headers did not finish in {TIME_LIMIT_S:.0f} s "
                            f"(a damaged HDF5 heap); refusing the file")
        try:
            answer = receive.recv()
        except EOFError:
            child.join(5)
            raise DataError(f"{path}: reading its headers killed the reader (exit code "
                            f"{child.exitcode}); a damaged HDF5 file") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        receive.close()
    kind, message = answer
    if kind == "refused":  # the reader's own DataError, as the parent would have raised it
        raise DataError(message)
    if kind != "ok":
        raise DataError(f"{path}: not a readable TRM Lab dataset (truncated or foreign file?): {message}")
    _good.add(key)


def _get_context():
    global _context
    if _context is None:
        if sys.platform != "win32" and "forkserver" in multiprocessing.get_all_start_methods():
            _context = multiprocessing.get_context("forkserver")
            _context.set_forkserver_preload(["trm_engine.data.dataset"])
        else:
            _context = multiprocessing.get_context("spawn")
    return _context


def _child(path: str, read, send) -> None:
    """In the child: limit memory, then read the file as `PuzzleDataset.open` does (large arrays are
    only mapped, so this reads the headers, attributes, names and small index arrays)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):  # no limits on this platform
        pass
    try:
        import h5py

        with h5py.File(path, "r") as f:
            read(f, Path(path))  # the parent's own reads, arrays only mapped, not validated
        send.send(("ok", ""))
    except DataError as exc:
        send.send(("refused", str(exc)))
    except BaseException as exc:  # any failure is the answer; the parent turns it into a DataError
        send.send(("failed", f"{type(exc).__name__}: {str(exc)[:200]}"))
    finally:
        send.close()
