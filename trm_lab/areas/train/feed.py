"""Where a run's events come from, and how a run is driven.

    LocalRun     one device: the engine's Trainer in a worker thread (workers.Job); its events arrive as
                 queued signals; pause / resume / stop go to the trainer's Control (stop interrupts
                 the step in flight and writes the checkpoint of the last whole step)
    ProcessRun   several GPUs (or CPU processes): `torchrun ... -m trm_engine.cli train` in a QProcess
                 (workers.ProcessJob); the monitor follows its run directory; stop is SIGTERM, which
                 `trm train` turns into a checkpoint and a clean stop
    TailFeed     any run directory (a terminal's `trm train`, torchrun on another machine over a shared
                 disk, a finished run): tails metrics.jsonl by byte offset on a file watcher, with a
                 polling timer as the fallback for file systems that send no notifications

torch is imported lazily (in the worker, or once the panel preloaded it) so the app starts fast.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from trm_engine.config import RunConfig, load_preset
from trm_engine.errors import TrmError
from trm_engine.train.events import RunFailed, TrainMetrics
from trm_engine.train.run_dir import RunDirectory

from ...workers import Job, ProcessJob
from .history import RunHistory

DEVICES: list[str] = []  # this machine's devices, once a warm_up job has found them (it needs torch)
POLL_MS = 1000  # the polling fallback of TailFeed
COALESCE_MS = 100  # watcher notifications closer than this are read together


def default_threads() -> int:
    """torch threads for a run inside the app: every core but one, which the GUI keeps."""
    return max(1, (os.cpu_count() or 1) - 1)


def warm_up() -> list[str]:
    """Import what training needs (torch, and the compiler stack torch's optimizers load on first use)
    and list this machine's devices. Run early in a background job: these imports hold the GIL for
    long stretches, which would otherwise stall the window just as a run starts."""
    import torch

    from trm_engine.device import available_devices
    from trm_engine.train import trainer  # noqa: F401

    torch.optim.AdamW([torch.zeros(1, requires_grad=True)])
    return available_devices()


def training_events(cfg: RunConfig, run_dir: Path, resume: bool, control):
    """The trainer's event generator (called in the worker thread)."""
    from trm_engine.train.trainer import Trainer

    return Trainer(cfg, run_dir, resume=resume, control=control).run()


def measure_step(cfg: RunConfig, steps: int = 3):
    """Yield ("params", n) once the model is built, return seconds per optimizer step measured over a
    few real steps (no run directory, no evaluation). Uses the chosen dataset, or a small sample of the
    preset's family when there is none yet."""
    from trm_engine.config import apply_overrides
    from trm_engine.data.dataset import PuzzleDataset
    from trm_engine.train.bench import bench_dataset
    from trm_engine.train.events import RunStarted
    from trm_engine.train.trainer import Trainer

    dataset = (PuzzleDataset.open(cfg.data.path) if cfg.data.path
               else bench_dataset(cfg, max(64, cfg.train.global_batch_size), cfg.train.seed))
    quick = apply_overrides(cfg, [f"train.steps={steps}", "train.epochs=0", "train.log_interval=1",
                                  "train.eval_interval=0", "data.eval_split=", "train.probe_traces=0"])
    elapsed = []
    for event in Trainer(quick, None, dataset=dataset).run():
        if isinstance(event, RunStarted):
            yield ("params", event.params)
        elif isinstance(event, TrainMetrics):
            elapsed.append(event.elapsed)
        elif isinstance(event, RunFailed):
            raise TrmError(event.message)
    if not elapsed:
        raise TrmError("no training step was measured")
    # the first step pays for warm-up (allocation, lazy imports): time the ones after it
    return (elapsed[-1] - elapsed[0]) / (len(elapsed) - 1) if len(elapsed) > 1 else elapsed[-1]


def torchrun_command(cfg: RunConfig, run_dir: Path, processes: int, resume: bool = False) -> list[str]:
    """`python -m torch.distributed.run --standalone --nproc_per_node N -m trm_engine.cli train ...` for
    `cfg`: the preset plus a --set for every field that differs from it."""
    base = load_preset(cfg.preset).to_dict() if cfg.preset else RunConfig().to_dict()
    want = cfg.to_dict()
    sets = [f"name={want['name']}"] if want["name"] else []
    for section in ("model", "data", "train"):
        for key, value in want[section].items():
            if key != "path" and value != base[section][key]:
                text = str(value).lower() if isinstance(value, bool) else repr(value) if isinstance(value, float) \
                    else str(value)
                sets.append(f"{section}.{key}={text}")
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(processes),
               "-m", "trm_engine.cli", "train", "--preset", cfg.preset or "sudoku-mlp-lab",
               "--data", cfg.data.path, "--run-dir", str(run_dir), "--quiet"]
    command += [f"--set={item}" for item in sets]
    return command + (["--resume"] if resume else [])


class LocalRun(QObject):
    """A run trained in this process, on a worker thread."""

    event_received = Signal(object)  # each engine event, in order
    failed = Signal(str)  # the job failed outside the trainer's own reporting (e.g. at start-up)
    ended = Signal()

    can_pause = True

    def __init__(self, cfg: RunConfig, run_dir: Path, resume: bool = False, parent: QObject | None = None):
        super().__init__(parent)
        from trm_engine.train.trainer import Control

        self.cfg, self.run_dir, self.resume = cfg, Path(run_dir), resume
        self.control = Control()
        self.job = Job(training_events, cfg, self.run_dir, resume, self.control, name=f"Train {self.run_dir.name}",
                       stop_fn=self.control.request_stop)
        self.job.progressed.connect(self.event_received)
        self.job.failed.connect(self.failed)
        self.job.ended.connect(self.ended)

    @property
    def is_live(self) -> bool:
        return self.job.is_running

    def start(self) -> None:
        self.job.start()

    def pause(self) -> None:
        self.control.pause()

    def resume_training(self) -> None:
        self.control.resume()

    def stop(self) -> None:
        """Stop now: the step in flight is dropped, the last whole step is checkpointed (a paused run wakes to do it)."""
        self.job.cancel()  # = control.request_stop (the job's stop_fn)


class ProcessRun(QObject):
    """A run trained by a torchrun child process; its events come from tailing the run directory."""

    failed = Signal(str)  # exit code and the tail of its output
    ended = Signal()

    can_pause = False

    def __init__(self, cfg: RunConfig, run_dir: Path, processes: int, resume: bool = False,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.cfg, self.run_dir, self.processes = cfg, Path(run_dir), processes
        command = torchrun_command(cfg, self.run_dir, processes, resume)
        env = {"OMP_NUM_THREADS": str(cfg.train.threads or default_threads())}
        self.job = ProcessJob(command[0], command[1:], name=f"torchrun {self.run_dir.name}", env=env)
        self.job.failed.connect(self.failed)
        self.job.ended.connect(self.ended)

    @property
    def is_live(self) -> bool:
        return self.job.is_running

    def start(self) -> None:
        self.job.start()

    def stop(self) -> None:
        self.job.cancel()


class TailFeed(QObject):
    """Follows one run directory into a RunHistory: new metrics.jsonl lines and status changes."""

    updated = Signal()

    def __init__(self, path: Path, history: RunHistory, parent: QObject | None = None):
        super().__init__(parent)
        self.run = RunDirectory(Path(path))
        self.history = history
        self._offset, self._inode = 0, None
        self._loading: Job | None = None
        self.watcher = QFileSystemWatcher(self)
        self.watcher.fileChanged.connect(self._on_watcher_changed)
        self.watcher.directoryChanged.connect(self._on_watcher_changed)
        self._soon = QTimer(self, singleShot=True, interval=COALESCE_MS)
        self._soon.timeout.connect(self.poll)
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.timer.start()
        self.poll()

    def _on_watcher_changed(self, _path: str) -> None:
        if not self._soon.isActive():
            self._soon.start()

    def _watch(self) -> None:
        wanted = [str(p) for p in (self.run.path, self.run.metrics_path, self.run.status_path) if p.exists()]
        missing = [p for p in wanted if p not in self.watcher.files() + self.watcher.directories()]
        if missing:
            self.watcher.addPaths(missing)

    def poll(self) -> None:
        """Read what is new. The first read of a long file happens in a background job."""
        if self._loading is not None:
            return
        self._watch()
        try:
            stat = self.run.metrics_path.stat()
        except FileNotFoundError:
            stat = None
        if stat is not None and (stat.st_ino != self._inode or stat.st_size < self._offset):
            # a new file (a resumed run rewrote it without its orphaned steps): start over
            if self._inode is not None:
                self.history.clear()
            self._offset, self._inode = 0, stat.st_ino
        if stat is not None and stat.st_size > self._offset:
            if self._offset == 0 and stat.st_size > 256 * 1024:
                self._loading = Job(self.run.events, 0, name=f"Read {self.run.run_id}", background=True)
                self._loading.finished.connect(self._on_loading_finished)
                self._loading.failed.connect(self._on_loading_failed)
                self._loading.start()
                return
            events, self._offset = self.run.events(self._offset)
            self.history.extend(events)
        self._read_status()

    def _on_loading_finished(self, result) -> None:
        events, self._offset = result
        self._loading = None
        self.history.extend(events)
        self._read_status()

    def _on_loading_failed(self, text: str) -> None:
        self._loading = None
        self.history.fail(f"cannot read {self.run.metrics_path}: {text}")
        self.updated.emit()

    def _read_status(self) -> None:
        try:
            summary = self.run.summary()
        except TrmError as exc:  # a status.json caught half-written on a shared disk: next time
            summary = {"state": self.history.state, "message": str(exc)}
        self.history.apply_status(summary)
        self.updated.emit()

    def stop(self) -> None:
        self.timer.stop()
        self._soon.stop()
        self.watcher.removePaths(self.watcher.files() + self.watcher.directories())


def process_rss(pid: int | None = None) -> int | None:
    """Resident memory of a process on this machine (default: this one), from /proc; None if unknown."""
    try:
        with open(f"/proc/{pid or 'self'}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        if pid is None:
            import resource
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            return peak if sys.platform == "darwin" else peak * 1024  # the peak: the best there is
        return None


def run_process_rss(status: dict) -> int | None:
    """RSS of the process writing a run directory, when it runs on this machine."""
    pid = status.get("pid")
    if isinstance(pid, int) and status.get("host") == socket.gethostname():
        return process_rss(pid)
    return None


def cuda_memory(device: str) -> tuple[int, int] | None:
    """(allocated, peak) bytes on a CUDA device used by this process, or None."""
    if not device.startswith("cuda") or "torch" not in sys.modules:
        return None
    import torch

    if not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return None
    index = torch.device(device).index or 0
    return torch.cuda.memory_allocated(index), torch.cuda.max_memory_allocated(index)
