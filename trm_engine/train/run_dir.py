"""The run directory (DESIGN.md): the one folder a run writes and any process can follow.

    config.json    the fully resolved RunConfig, plus seed, versions, command
    status.json    state (running|paused|finished|failed|stopped), step, total, message, updated, pid, ...
    metrics.jsonl  one event per line, flushed after every line
    checkpoints/   step_NNNNNNN.pt, atomic
    traces/        probe traces recorded at evaluations
    run.lock       pid@host of the live process writing the directory

A directory held by another live process is refused. When a run resumes from step a, metrics lines
with a step after a are dropped (TensorBoard's orphan purge), so curves never fold back on themselves.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ..errors import RunError
from ..puzzles.files import atomic_output
from .events import Event, event_from_json

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


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunError(f"{path}: not valid JSON ({exc})") from exc


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
        return self.path / "run.lock"

    @property
    def run_id(self) -> str:
        return self.path.name

    def exists(self) -> bool:
        return self.config_path.is_file()

    # ---------------------------------------------------------------------------------------- write
    def create(self, config: dict) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self.checkpoints.mkdir(exist_ok=True)
        self.traces.mkdir(exist_ok=True)
        body = {"config": config, "versions": _versions(), "command": sys.argv, "created": time.time()}
        write_json_atomic(self.config_path, body)

    def acquire(self) -> None:
        """Take the lock, or raise RunError if another live process holds it."""
        me = f"{os.getpid()}@{socket.gethostname()}"
        self.path.mkdir(parents=True, exist_ok=True)
        if self.lock_path.exists():
            holder = self.lock_path.read_text().strip()
            pid_s, _, host = holder.partition("@")
            if holder != me and self._holder_alive(pid_s, host):
                raise RunError(f"{self.path}: in use by another live process ({holder}); stop it first or "
                               f"choose another --run-dir")
        self.lock_path.write_text(me)

    def _holder_alive(self, pid_s: str, host: str) -> bool:
        if host == socket.gethostname():
            return pid_s.isdigit() and _pid_alive(int(pid_s))
        updated = self.status().get("updated", 0)
        return time.time() - float(updated) < STALE_AFTER_S and self.status().get("state") in ("running", "paused")

    def release(self) -> None:
        try:
            if self.lock_path.read_text().strip() == f"{os.getpid()}@{socket.gethostname()}":
                self.lock_path.unlink()
        except FileNotFoundError:
            pass

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
        """Drop metric lines of steps after `step` (they came from work a resumed run will redo)."""
        if not self.metrics_path.exists():
            return
        keep = []
        for line in self.metrics_path.read_text().splitlines():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a crash
            if int(obj.get("step", 0)) <= step:
                keep.append(line)
        with atomic_output(self.metrics_path, RunError) as tmp:
            tmp.write_text("".join(line + "\n" for line in keep))

    # ----------------------------------------------------------------------------------------- read
    def config(self) -> dict:
        body = read_json(self.config_path)
        if "config" not in body:
            raise RunError(f"{self.path}: no config.json; not a run directory")
        return body["config"]

    def status(self) -> dict:
        return read_json(self.status_path)

    def events(self, start_byte: int = 0) -> tuple[list[Event], int]:
        """Events from byte `start_byte` on, and the offset to continue from (only whole lines count)."""
        if not self.metrics_path.exists():
            return [], start_byte
        with open(self.metrics_path, "rb") as fh:
            fh.seek(start_byte)
            data = fh.read()
        end = data.rfind(b"\n") + 1  # an unfinished last line is read next time
        events = []
        for line in data[:end].splitlines():
            try:
                ev = event_from_json(json.loads(line))
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if ev is not None:
                events.append(ev)
        return events, start_byte + end

    def checkpoint_files(self) -> list[Path]:
        return sorted(self.checkpoints.glob("step_*.pt"))

    def latest_checkpoint(self) -> Path | None:
        files = self.checkpoint_files()
        return files[-1] if files else None

    def summary(self) -> dict:
        """One row of `trm runs list`: id, state, step, best eval, device, started."""
        status = self.status()
        state = status.get("state", "unknown")
        if state in ("running", "paused") and self.lock_path.exists():
            pid_s, _, host = self.lock_path.read_text().strip().partition("@")
            if not self._holder_alive(pid_s, host):
                state = "crashed"
        elif state in ("running", "paused"):
            state = "crashed"
        return {"id": self.run_id, "path": str(self.path), "state": state, "step": status.get("step", 0),
                "total_steps": status.get("total_steps", 0), "best_eval": status.get("best_eval"),
                "device": status.get("device", ""), "started": status.get("started"),
                "name": status.get("name", ""), "preset": status.get("preset", ""), "message": status.get("message", "")}


def list_runs(root: str | os.PathLike | None = None) -> list[RunDirectory]:
    """Every run directory under root (default runs root), newest first."""
    root = Path(root) if root else default_runs_root()
    if not root.is_dir():
        return []
    runs = [RunDirectory(p) for p in root.iterdir() if (p / "config.json").is_file()]
    return sorted(runs, key=lambda r: r.config_path.stat().st_mtime, reverse=True)


def _versions() -> dict:
    import numpy
    import torch

    from .. import __version__

    return {"trm_lab": __version__, "torch": torch.__version__, "numpy": numpy.__version__,
            "python": platform.python_version()}


def read_best(directory: Path) -> tuple[Path | None, float]:
    """The best checkpoint named by `directory/best.json` and its exact accuracy (None, -inf without
    one). Plain JSON, no torch, so listing runs stays quick."""
    marker = directory / "best.json"
    if not marker.exists():
        return None, float("-inf")
    try:
        body = json.loads(marker.read_text())
        return directory / body["file"], float(body["exact_accuracy"])
    except (json.JSONDecodeError, KeyError, ValueError):
        return None, float("-inf")


def write_best(directory: Path, path: Path, exact_accuracy: float, step: int) -> None:
    (directory / "best.json").write_text(json.dumps({"file": path.name, "exact_accuracy": exact_accuracy,
                                                     "step": step}))
