"""The run directory (DESIGN.md): the one folder a run writes and any process can follow.

    config.json    the fully resolved RunConfig, plus seed, versions, command
    status.json    state (running|paused|finished|failed|stopped), step, total, message, updated, pid, ...
    metrics.jsonl  one event per line, flushed after every line
    checkpoints/   step_NNNNNNN.pt, atomic
    traces/        probe traces recorded at evaluations
    run.lock       held (flock) by the live process writing the directory; holds pid@host and its start time

A directory held by another live process is refused. The lock is an flock on run.lock, which the kernel
drops when its process dies, so a dead run never blocks a resume, whatever process now has its pid.
When a run resumes from step a, metrics lines with a step after a are dropped (TensorBoard's orphan
purge), so curves never fold back on themselves.

Every reader validates what it reads: a damaged file raises RunError for that run only, and the run
list shows such a run as "damaged" with the reason beside the good ones.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import re
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ..errors import RunError
from ..puzzles.files import atomic_output, remove_stale_temporaries
from .events import Event, event_from_json
from .lock import LOCK_FILE, RunLock, parse_identity

STATES = ("running", "paused", "finished", "failed", "stopped")
STALE_AFTER_S = 600.0  # a lock from another host counts as live while its status is this fresh


def default_runs_root() -> Path:
    """Where runs go unless told otherwise: platformdirs' user data dir for TRM Lab, /runs."""
    override = os.environ.get("TRM_LAB_RUNS")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("trm-lab", "TRM Lab")) / "runs"


def write_json_atomic(path: Path, obj) -> None:
    with atomic_output(path, RunError) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True))


MAX_JSON_BYTES = 16 << 20  # config, status and result files are a few KB; refuse to read a huge one


def read_json(path: Path) -> dict:
    """A JSON object from `path` ({} when the file is missing); RunError for anything else."""
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise RunError(f"{path}: {path.stat().st_size} bytes, too large for a run file")
        body = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return {}
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise RunError(f"{path}: not valid JSON ({type(exc).__name__}: {str(exc)[:120]})") from None
    except OSError as exc:
        raise RunError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not isinstance(body, dict):
        raise RunError(f"{path}: expected a JSON object, got {type(body).__name__}")
    return body


# The fields of status.json a reader relies on, and the types they must have.
_STATUS_TYPES = {"state": str, "step": int, "total_steps": int, "message": str, "updated": float,
                 "started": float, "pid": int, "host": str, "device": str, "name": str, "preset": str,
                 "best_eval": float}


def check_status(body: dict, where: str) -> dict:
    """`body` if every known field of a status.json has its type (numbers finite, counts >= 0)."""
    for key, typ in _STATUS_TYPES.items():
        value = body.get(key)
        if value is None:
            continue
        if typ is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        elif typ is int:
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        else:
            ok = isinstance(value, str)
        if not ok:
            raise RunError(f"{where}: field '{key}' is {repr(value)[:40]}; expected "
                           f"{'a non-negative integer' if typ is int else 'a number' if typ is float else 'text'}")
    if body.get("state") is not None and body["state"] not in STATES:
        raise RunError(f"{where}: field 'state' is {repr(body['state'])[:40]}; expected one of {', '.join(STATES)}")
    return body


@dataclass
class RunDirectory:
    path: Path

    # --------------------------------------------------------------------------------------- layout
    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def status_path(self) -> Path:
        return self.path / "status.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def traces(self) -> Path:
        return self.path / "traces"

    @property
    def lock_path(self) -> Path:
        return self.path / LOCK_FILE

    @property
    def run_id(self) -> str:
        return self.path.name

    def exists(self) -> bool:
        return self.config_path.is_file()

    def unstarted(self) -> bool:
        """Whether the folder holds only what a run killed while creating it leaves (its lock, empty
        checkpoints/ and traces/), so a resume may start it from nothing."""
        try:
            entries = list(self.path.iterdir())
        except OSError:
            return False
        return all(p.name == LOCK_FILE or (p.name in ("checkpoints", "traces") and p.is_dir()
                                           and not any(p.iterdir())) for p in entries)

    # ---------------------------------------------------------------------------------------- write
    def create(self, config: dict) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self.checkpoints.mkdir(exist_ok=True)
        self.traces.mkdir(exist_ok=True)
        body = {"config": config, "versions": _versions(), "command": sys.argv, "created": time.time()}
        write_json_atomic(self.config_path, body)

    def acquire(self) -> None:
        """Take the lock, or raise RunError if another live process holds it; clear stale temp files."""
        self.path.mkdir(parents=True, exist_ok=True)
        lock = RunLock(self.lock_path)
        if not lock.try_acquire():
            raise RunError(f"{self.path}: in use by another live process ({lock.contents() or 'unknown'}); "
                           f"stop it first or choose another --run-dir")
        _, host, _ = parse_identity(lock.contents())
        if self._remote_holder_alive(host):  # taken on another machine of a shared disk
            holder = lock.contents()
            lock.release(unlink=False)
            raise RunError(f"{self.path}: in use by a process on {host} ({holder}); stop it first or "
                           f"choose another --run-dir")
        lock.stamp()
        self._lock = lock
        for place in (self.path, self.checkpoints, self.traces):
            remove_stale_temporaries(place)

    def holder_alive(self) -> bool:
        """Whether a live process holds this directory's lock (from another host: its status is fresh)."""
        lock = RunLock(self.lock_path)
        if lock.held_elsewhere():
            return True
        _, host, _ = parse_identity(lock.contents())
        return self._remote_holder_alive(host)

    def _remote_holder_alive(self, host: str) -> bool:
        if not host or host == socket.gethostname():
            return False
        status = self.status()
        return (time.time() - float(status.get("updated", 0)) < STALE_AFTER_S
                and status.get("state") in ("running", "paused"))

    def release(self) -> None:
        lock = getattr(self, "_lock", None)
        if lock is not None:
            lock.release()
            self._lock = None

    def write_status(self, state: str, step: int, total_steps: int, message: str = "", **extra) -> None:
        assert state in STATES, state
        old = self.status()
        body = {**old, **extra, "state": state, "step": int(step), "total_steps": int(total_steps),
                "message": message, "updated": time.time(), "pid": os.getpid(), "host": socket.gethostname()}
        body.setdefault("started", time.time())
        write_json_atomic(self.status_path, body)

    def append_event(self, event: Event) -> None:
        with open(self.metrics_path, "a") as fh:
            fh.write(json.dumps(event.to_json()) + "\n")
            fh.flush()

    def truncate_metrics_after(self, step: int) -> None:
        """Keep only the metric lines of steps up to `step` (all later work is redone by a resumed run;
        step -1 keeps nothing). Lines that are torn, not UTF-8 or not events are dropped too, so the
        next event starts on a line of its own."""
        if not self.metrics_path.exists():
            return
        try:
            data = self.metrics_path.read_bytes()
        except OSError as exc:
            raise RunError(f"{self.metrics_path}: cannot read ({exc.strerror or exc})") from None
        keep = []
        for line in data.split(b"\n"):
            event = _parse_event(line)
            if event is not None and event.step <= step:
                keep.append(line.decode("utf-8"))
        with atomic_output(self.metrics_path, RunError) as tmp:
            tmp.write_text("".join(line + "\n" for line in keep), encoding="utf-8")

    # ----------------------------------------------------------------------------------------- read
    def config(self) -> dict:
        body = read_json(self.config_path)
        if "config" not in body:
            raise RunError(f"{self.path}: no config.json; not a run directory")
        if not isinstance(body["config"], dict):
            raise RunError(f"{self.config_path}: field 'config' is not an object")
        return body["config"]

    def status(self) -> dict:
        """status.json ({} before the first write); RunError when it is damaged."""
        return check_status(read_json(self.status_path), str(self.status_path))

    def events(self, start_byte: int = 0) -> tuple[list[Event], int]:
        """Events from byte `start_byte` on, and the offset to continue from (only whole lines count)."""
        if not self.metrics_path.exists():
            return [], start_byte
        with open(self.metrics_path, "rb") as fh:
            fh.seek(start_byte)
            data = fh.read()
        end = data.rfind(b"\n") + 1  # an unfinished last line is read next time
        events = [ev for ev in map(_parse_event, data[:end].split(b"\n")) if ev is not None]
        return events, start_byte + end

    def checkpoint_files(self) -> list[Path]:
        return sorted(self.checkpoints.glob("step_*.pt"))

    def latest_checkpoint(self) -> Path | None:
        files = self.checkpoint_files()
        return files[-1] if files else None

    def summary(self) -> dict:
        """One row of `trm runs list`: id, state, step, best eval, device, started; RunError when a file
        it reads is damaged (`row()` turns that into a "damaged" row)."""
        config = self.config() if self.config_path.exists() else {}  # (a run being created may have neither)
        status = self.status()  # (a field may be null: read as absent)
        state = status.get("state") or "unknown"
        if state in ("running", "paused") and not self.holder_alive():
            state = "crashed"
        return {"id": self.run_id, "path": str(self.path), "state": state, "step": status.get("step") or 0,
                "total_steps": status.get("total_steps") or 0, "best_eval": status.get("best_eval"),
                "device": status.get("device") or "", "started": status.get("started"),
                "name": status.get("name") or _text(config.get("name")),
                "preset": status.get("preset") or _text(config.get("preset")),
                "message": status.get("message") or ""}

    def row(self) -> dict:
        """summary(), or for a damaged run a row in state "damaged" whose message says why."""
        try:
            return self.summary()
        except RunError as exc:
            return {"id": self.run_id, "path": str(self.path), "state": "damaged", "step": 0, "total_steps": 0,
                    "best_eval": None, "device": "", "started": None, "name": "", "preset": "",
                    "message": str(exc)}


def _text(value) -> str:
    """A config field shown in a run's row (a name, a preset): the string, or "" for anything else."""
    return value if isinstance(value, str) else ""


def _parse_event(line: bytes) -> Event | None:
    """One metrics.jsonl line as an event; None for a torn, non-UTF-8, non-object or unknown line."""
    try:
        obj = json.loads(line.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return None
    return event_from_json(obj) if isinstance(obj, dict) else None


def list_runs(root: str | os.PathLike | None = None) -> list[RunDirectory]:
    """Every run directory under root (default runs root), newest first."""
    root = Path(root) if root else default_runs_root()
    if not root.is_dir():
        return []
    runs = []
    for p in root.iterdir():
        with contextlib.suppress(OSError):  # a folder we may not read, or one deleted while listing
            if (p / "config.json").is_file():
                runs.append((p.joinpath("config.json").stat().st_mtime, RunDirectory(p)))
    return [run for _, run in sorted(runs, key=lambda t: t[0], reverse=True)]


def _versions() -> dict:
    import numpy
    import torch

    from .. import __version__

    return {"trm_lab": __version__, "torch": torch.__version__, "numpy": numpy.__version__,
            "python": platform.python_version()}


def read_best(directory: Path) -> tuple[Path | None, float]:
    """The checkpoint marked best and its exact accuracy; (None, -inf) when none is marked. RunError when
    best.json is damaged: not an object, or its file is not a checkpoint name of this folder. Plain JSON,
    no torch, so listing runs stays quick."""
    marker = directory / "best.json"
    body = read_json(marker)
    if not body:
        return None, float("-inf")
    name, exact = body.get("file"), body.get("exact_accuracy")
    if not isinstance(name, str) or not re.fullmatch(r"step_\d{7,}\.pt", name):
        raise RunError(f"{marker}: field 'file' is {str(name)[:60]!r}; expected a step_NNNNNNN.pt name")
    if isinstance(exact, bool) or not isinstance(exact, (int, float)) or not math.isfinite(exact):
        raise RunError(f"{marker}: field 'exact_accuracy' is {str(exact)[:40]!r}; expected a number")
    return directory / name, float(exact)


def write_best(directory: Path, path: Path, exact_accuracy: float, step: int) -> None:
    write_json_atomic(directory / "best.json", {"file": path.name, "exact_accuracy": exact_accuracy, "step": step})
