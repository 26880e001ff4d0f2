"""The trainer: deep supervision with ACT, as a generator of events (trm_spec.md 2.2-2.4, 4).

Streaming form (the official code): a carry of `global_batch_size` slots persists across optimizer
steps. Each optimizer step refills the halted slots with new puzzles, runs ONE supervision step on all
slots, and takes one optimizer step on the loss over all slots; a slot halts after N_sup steps, or
earlier when q_halt > 0 (q_halt > q_continue with the continue loss), with exploration.
Pseudocode form (the paper's listing): each batch runs up to N_sup supervision steps with an
optimizer step after each, until every puzzle in it has halted.

    trainer = Trainer(cfg, run_dir)
    for event in trainer.run():      # RunStarted, TrainMetrics, EvalResult, CheckpointSaved, ...
        ...
Pause takes effect between optimizer steps. Stop also interrupts a step (or an evaluation) in flight
in the single-process streaming form: the next block (forward or backward) raises, the step's partial work is
discarded and the state it touched (sampler position, exploration RNG, carry, gradients) is restored,
so the checkpoint that stop writes is exactly the one a stop between steps would have written.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

from ..config import RunConfig
from ..data.dataset import PuzzleDataset
from ..data.sampler import TrainSampler
from ..device import resolve_device, resolve_dtype
from ..errors import ConfigError, DataError, RunError, TrmError
from ..model.losses import act_loss
from ..model.trm import Carry, RecursiveModel, compile_networks
from . import checkpoints as ckpt
from .control import Control
from .distributed import DistContext, all_reduce_gradients, broadcast_model, init_from_env
from .ema import EMA
from .events import (
    CheckpointSaved,
    EvalResult,
    Event,
    RunFailed,
    RunFinished,
    RunPaused,
    RunResumed,
    RunStarted,
    RunStopped,
    TrainMetrics,
)
from .interrupt import InFlight
from .optim import AdamATan2, SparseSignSGD, lr_at
from .recipe import eval_every_steps, recipe_warnings
from .run_dir import RunDirectory
from .run_eval import RunEvaluator

METRIC_KEYS = ("count", "accuracy", "exact_accuracy", "q_halt_accuracy", "steps", "lm_loss", "q_halt_loss",
               "q_continue_loss", "loss")


def prepare_config(cfg: RunConfig, dataset: PuzzleDataset) -> RunConfig:
    """Take vocabulary, sequence length and identifier count from the dataset."""
    cfg = copy.deepcopy(cfg)
    from ..config import PRESETS

    family = PRESETS.get(cfg.preset, {}).get("family")
    if family and family != dataset.family:
        raise ConfigError(f"preset {cfg.preset} is for {family} puzzles, but {dataset.path} holds {dataset.family}")
    cfg.model.vocab_size = dataset.vocab_size
    cfg.model.seq_len = dataset.seq_len
    cfg.model.num_puzzle_identifiers = dataset.num_puzzle_identifiers
    cfg.validate()
    return cfg


class Trainer:
    def __init__(self, cfg: RunConfig, run_dir: str | Path | None, resume: bool = False,
                 control: Control | None = None, dataset: PuzzleDataset | None = None):
        self.requested = cfg
        self.run_dir = RunDirectory(Path(run_dir)) if run_dir else None
        self.resume = resume
        self.control = control or Control()
        self._dataset = dataset
        # step -> a `progress(done, total, fraction)` callable for that step's evaluation (rank 0 only)
        self.eval_progress: Callable[[int], Callable[[int, int, float], None]] | None = None

    # ------------------------------------------------------------------------------------- set-up
    def _setup(self) -> None:
        t = self.requested.train
        if t.threads:
            torch.set_num_threads(t.threads)
        self.device = resolve_device(t.device)
        self.ctx: DistContext = init_from_env(self.device.type)
        if self.ctx.enabled and self.device.type == "cuda":
            self.device = torch.device("cuda", self.ctx.local_rank)
            torch.cuda.set_device(self.device)
        if self._dataset is None:
            if not self.requested.data.path:
                raise DataError("no dataset: give --data FILE (build one with `trm data build`)")
            self._dataset = PuzzleDataset.open(self.requested.data.path)
        self.dataset = self._dataset
        self.cfg = cfg = prepare_config(self.requested, self.dataset)
        if cfg.data.path:  # the run folder names its dataset absolutely: eval and resume work from anywhere
            cfg.data.path = os.path.abspath(cfg.data.path)
        self.main = self.ctx.is_main

        torch.manual_seed(t.seed)  # same init on every rank, then rank 0's copy anyway
        self.model = RecursiveModel(cfg.model).to(self.device)
        self.dtype = resolve_dtype(cfg.model.dtype, self.device)
        self.model.set_compute_dtype(self.dtype)
        if self.ctx.enabled:
            broadcast_model(self.model)
        if t.compile:
            compile_networks(self.model)
        params = [p for p in self.model.parameters() if p.requires_grad]
        if t.optimizer == "adamw":
            self.optimizer = torch.optim.AdamW(params, lr=t.lr, betas=(t.beta1, t.beta2), weight_decay=t.weight_decay)
        else:
            self.optimizer = AdamATan2(params, lr=t.lr, betas=(t.beta1, t.beta2), weight_decay=t.weight_decay)
        self.sparse = (SparseSignSGD(self.model.embed.puzzle, t.puzzle_emb_lr, t.puzzle_emb_weight_decay,
                                     self.ctx.world_size) if self.model.embed.puzzle is not None else None)
        self.ema = EMA(self.model, t.ema_rate, warmup=t.ema_warmup) if t.ema else None
        self.sampler = TrainSampler(self.dataset, cfg.data.train_split, t.global_batch_size, t.seed,
                                    self.ctx.rank, self.ctx.world_size, augment=cfg.data.augment,
                                    sudoku_shuffles=cfg.data.sudoku_shuffles,
                                    fixed_translation=cfg.data.arc_translation == "fixed")
        self.eval_every = eval_every_steps(cfg, self.sampler.examples_per_epoch)
        self.warnings = recipe_warnings(cfg, self.dataset)
        self.local_batch = t.global_batch_size // self.ctx.world_size
        micro = t.micro_batch_size or self.local_batch
        if self.local_batch % micro:
            raise ConfigError(f"train.micro_batch_size {micro} must divide the per-rank batch {self.local_batch}")
        self.micro = micro
        self.explore_rng = torch.Generator().manual_seed(t.seed + 1)
        self.carries: list[Carry] | None = None
        # A stop may interrupt the work in flight only where nothing else must agree on it: one
        # process (ranks would disagree about the step), eager networks (a hook breaks a compiled
        # graph) and the streaming form (the pseudocode form takes optimizer steps inside a batch).
        self.in_flight = InFlight(self.control,
                                  not self.ctx.enabled and not t.compile and t.supervision == "streaming")
        self.in_flight.watch(self.model)
        self.step = 0
        if t.steps:
            self.total_steps = t.steps
        elif t.epochs:
            self.total_steps = max(1, int(t.epochs * self.sampler.examples_per_epoch / t.global_batch_size))
        else:
            raise ConfigError("give the run a length: train.steps or train.epochs (--steps / --epochs)")
        self.best_path, self.best_exact = None, float("-inf")
        self.has_eval = cfg.data.eval_split in self.dataset.splits
        self.evaluator = RunEvaluator(cfg, self.dataset, self.device, self.dtype, self.ctx, self.in_flight.watch)

    def _open_run_dir(self) -> bool:
        """Create or reopen the run directory; returns True when a checkpoint was loaded.

        Rank 0 decides (and alone touches the directory); the other ranks receive its decision and the
        checkpoint contents, so a refusal stops every rank and no rank needs the shared disk to resume.
        """
        decision: tuple = ("fresh", None)
        if self.main:
            try:
                decision = (("resume", ckpt.prepare_run_dir(self.run_dir, self.cfg, self.resume))
                            if self.run_dir is not None else ("fresh", None))
            except TrmError as exc:
                if not self.ctx.enabled:
                    raise
                decision = ("error", exc)
        if self.ctx.enabled:
            box = [decision]
            torch.distributed.broadcast_object_list(box, src=0)
            decision = box[0]
        if decision[0] == "error":
            raise decision[1]
        body = decision[1]
        if body is None:
            if self.main and self.resume and self.run_dir is not None:  # killed before its first checkpoint:
                self.run_dir.truncate_metrics_after(-1)  # it starts over, so its old lines go
            return False
        self._load(body)
        if self.main:
            try:
                self.best_path, self.best_exact = ckpt.read_best(self.run_dir.checkpoints)
            except RunError:  # a damaged marker: the next better evaluation writes a new one
                self.best_path, self.best_exact = None, float("-inf")
            self.run_dir.truncate_metrics_after(self.step)
            self.run_dir.create(self.cfg.to_dict())  # the config may now run longer
        return True

    # --------------------------------------------------------------------------------------- loop
    def run(self) -> Iterator[Event]:
        """Train, yielding events; every event is also appended to metrics.jsonl (rank 0)."""
        self.started = time.perf_counter()
        self.step_time = 0.0
        self.step_cpu = 0.0  # CPU seconds of this thread in optimizer steps (time.thread_time)
        try:
            self._setup()
            resumed = self._open_run_dir()
        except TrmError:
            if self.run_dir is not None and getattr(self, "main", True):
                self.run_dir.release()
            raise
        try:
            yield self._emit(RunStarted(step=self.step, total_steps=self.total_steps,
                                        run_dir=str(self.run_dir.path) if self.run_dir else "",
                                        device=str(self.device), params=self.model.num_parameters()["nonembedding"],
                                        resumed=resumed, world_size=self.ctx.world_size,
                                        warnings=tuple(self.warnings)), "running")
            yield from self._loop()
        except Exception as exc:  # the run failed: record why, never leave "running" behind
            message = f"{type(exc).__name__}: {exc}" if not isinstance(exc, TrmError) else str(exc)
            yield self._emit(RunFailed(step=self.step, message=message), "failed", message)
        finally:
            if self.run_dir is not None and self.main:
                self.run_dir.release()

    def _loop(self) -> Iterator[Event]:
        t = self.cfg.train
        window = {k: 0.0 for k in METRIC_KEYS}
        window_steps, window_slots, window_time = 0, 0, 0.0

        def next_multiple(every: int) -> int:
            return (self.step // every + 1) * every if every else self.total_steps

        next_log, next_eval, next_ckpt = (next_multiple(t.log_interval), next_multiple(self.eval_every),
                                          next_multiple(t.checkpoint_interval))
        while self.step < self.total_steps:
            if self.control.stop_requested:
                yield from self._stop()
                return
            if self.control.paused:
                yield self._emit(RunPaused(step=self.step), "paused")
                while self.control.paused and not self.control.stop_requested:
                    self.control.wait_while_paused()
                if self.control.stop_requested:
                    continue
                yield self._emit(RunResumed(step=self.step), "running")

            t0, c0 = time.perf_counter(), time.thread_time()
            done_step, interrupted = self._interruptible(
                self._streaming_step if t.supervision == "streaming" else self._pseudocode_step)
            if interrupted:  # stop: the checkpoint is that of the last whole step
                yield from self._stop()
                return
            sums, slots = done_step
            elapsed = time.perf_counter() - t0
            self.step_time += elapsed
            self.step_cpu += time.thread_time() - c0
            window_time += elapsed
            window_steps += 1
            window_slots += slots
            for k in METRIC_KEYS:
                window[k] += sums[k]
            if not math.isfinite(sums["loss"]):
                msg = (f"non-finite loss at step {self.step} (lm_loss={sums['lm_loss']}, "
                       f"q_halt_loss={sums['q_halt_loss']}){self._last_good()}")
                yield self._emit(RunFailed(step=self.step, message=msg), "failed", msg)
                return

            done = self.step >= self.total_steps
            if self.step >= next_log or done:
                yield self._emit(self._train_event(window, window_steps, window_slots, window_time), "running")
                window = {k: 0.0 for k in METRIC_KEYS}
                window_steps, window_slots, window_time = 0, 0, 0.0
                next_log = next_multiple(t.log_interval)
            exact = None
            if self.has_eval and (self.step >= next_eval or done):
                result, interrupted = self._interruptible(self._evaluate)
                if interrupted:
                    yield from self._stop()
                    return
                exact = result.exact_accuracy
                next_eval = next_multiple(self.eval_every)
                yield self._emit(result, "running")
            if self.run_dir is not None and (exact is not None or self.step >= next_ckpt or done):
                bad = ckpt.non_finite(self._weights_to_save())
                if bad:  # never write (or call good) a checkpoint the next step could not continue from
                    msg = f"non-finite weights after step {self.step} ({bad}); not saved{self._last_good()}"
                    yield self._emit(RunFailed(step=self.step, message=msg), "failed", msg)
                    return
                path = self._save(exact)
                next_ckpt = next_multiple(t.checkpoint_interval)
                yield self._emit(CheckpointSaved(step=self.step, path=str(path), best=path == self.best_path))
        yield self._emit(RunFinished(step=self.step, message=f"finished {self.step} steps"), "finished")

    def _last_good(self) -> str:
        return ckpt.last_good_note(self.run_dir.checkpoint_files() if self.run_dir else [])

    def _weights_to_save(self) -> dict[str, torch.Tensor]:
        return {**{f"raw_model.{k}": v for k, v in self.model.state_dict().items()},
                **{f"model.{k}": v for k, v in self.weights_for_eval().items()}}

    def _stop(self) -> Iterator[Event]:
        message = f"stopped at step {self.step}"
        if self.run_dir is not None and ckpt.non_finite(self._weights_to_save()):
            message += f"; the weights are not finite, so no checkpoint{self._last_good()}"
        elif self.run_dir is not None:
            path = self._save()
            yield self._emit(CheckpointSaved(step=self.step, path=str(path)))
            message += f"; checkpoint {path.name}"
        yield self._emit(RunStopped(step=self.step, message=message), "stopped", message)

    # ----------------------------------------------------------------------- stop inside a step
    def _interruptible(self, work):
        """Run `work()` so that a stop request interrupts it (interrupt.py); returns (result, interrupted)."""
        return self.in_flight.run(work, self._state_in_flight, self._restore_in_flight)

    def _state_in_flight(self) -> tuple:
        """What a step touches before its optimizer step (the model and optimizer change only there)."""
        return (self.sampler.state_dict(), self.explore_rng.get_state(),
                None if self.carries is None else list(self.carries))

    def _restore_in_flight(self, state: tuple) -> None:
        sampler, explore, carries = state
        self.sampler.load_state_dict(sampler)
        self.explore_rng.set_state(explore)
        self.carries = carries
        self.optimizer.zero_grad(set_to_none=True)
        if self.model.embed.puzzle is not None:
            self.model.embed.puzzle.touched.clear()

    # ------------------------------------------------------------------------------ one step each
    def _batch(self) -> dict[str, torch.Tensor]:
        return {k: torch.from_numpy(v).to(self.device, non_blocking=True) for k, v in self.sampler.next_batch().items()}

    def _explore(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Exploration draws for the GLOBAL batch from one generator, sliced to this rank."""
        G, m = self.cfg.train.global_batch_size, self.cfg.model
        mask = torch.rand(G, generator=self.explore_rng) < m.halt_exploration_prob
        mins = torch.randint(2, m.halt_max_steps + 1, (G,), generator=self.explore_rng, dtype=torch.int32)
        lo = self.ctx.rank * self.local_batch
        return mask[lo:lo + self.local_batch].to(self.device), mins[lo:lo + self.local_batch].to(self.device)

    def _set_lr(self) -> float:
        t = self.cfg.train
        lr = lr_at(self.step + 1, t.lr, t.lr_warmup_steps)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        if self.sparse is not None:
            self.sparse.lr = lr_at(self.step + 1, t.puzzle_emb_lr, t.lr_warmup_steps)
        return lr

    def _optimizer_step(self) -> None:
        if self.ctx.enabled:
            all_reduce_gradients(self.model)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.sparse is not None:
            self.sparse.step()
        if self.ema is not None:
            self.ema.update(self.model)
        self.step += 1

    def _streaming_step(self) -> tuple[dict[str, float], int]:
        self.lr = self._set_lr()
        self.model.train()
        batch = self._batch()
        explore_mask, explore_min = self._explore()
        n_chunks = self.local_batch // self.micro
        if self.carries is None:
            self.carries = [self.model.initial_carry({k: v[:self.micro] for k, v in batch.items()})
                            for _ in range(n_chunks)]
        G = self.cfg.train.global_batch_size
        sums = torch.zeros(len(METRIC_KEYS), dtype=torch.float64, device=self.device)
        for i in range(n_chunks):
            sl = slice(i * self.micro, (i + 1) * self.micro)
            chunk = {k: v[sl] for k, v in batch.items()}
            carry, out = self.model.step(self.carries[i], chunk, explore=(explore_mask[sl], explore_min[sl]))
            self.carries[i] = carry
            loss, metrics = act_loss(out, carry.data["labels"], carry.halted, carry.steps, self.cfg.model.loss)
            (loss / G).backward()
            metrics["loss"] = loss.detach()
            sums += torch.stack([metrics[k].to(torch.float64) for k in METRIC_KEYS])
        self._optimizer_step()
        return self._reduce(sums), G

    def _pseudocode_step(self) -> tuple[dict[str, float], int]:
        """One batch, up to N_sup supervision steps, an optimizer step after each (the paper's listing)."""
        batch = self._batch()
        G = self.cfg.train.global_batch_size
        carries = [self.model.initial_carry({k: v[i:i + self.micro] for k, v in batch.items()})
                   for i in range(0, self.local_batch, self.micro)]
        active = [torch.ones(self.micro, dtype=torch.bool, device=self.device) for _ in carries]
        sums = torch.zeros(len(METRIC_KEYS), dtype=torch.float64, device=self.device)
        slots = 0
        for _ in range(self.cfg.model.halt_max_steps):
            self.lr = self._set_lr()
            self.model.train()
            explore_mask, explore_min = self._explore()
            for i, carry in enumerate(carries):
                sl = slice(i * self.micro, (i + 1) * self.micro)
                chunk = {k: v[sl] for k, v in batch.items()}
                carry, out = self.model.step(carry, chunk, explore=(explore_mask[sl], explore_min[sl]))
                newly = carry.halted & active[i]  # count each puzzle once, when it halts
                loss, metrics = act_loss(out, carry.data["labels"], newly, carry.steps, self.cfg.model.loss,
                                         active=active[i])
                (loss / G).backward()
                metrics["loss"] = loss.detach()
                sums += torch.stack([metrics[k].to(torch.float64) for k in METRIC_KEYS])
                active[i] = active[i] & ~carry.halted
                carry.halted = torch.zeros_like(carry.halted)  # never refill: the same batch all along
                carries[i] = carry
                slots += self.micro
            self._optimizer_step()
            flag = torch.tensor([float(sum(int(a.any()) for a in active))], device=self.device)
            if self.ctx.enabled:
                torch.distributed.all_reduce(flag)
            if flag.item() == 0 or self.step >= self.total_steps:
                break
        return self._reduce(sums), slots * self.ctx.world_size

    def _reduce(self, sums: torch.Tensor) -> dict[str, float]:
        if self.ctx.enabled:
            torch.distributed.all_reduce(sums)
        return dict(zip(METRIC_KEYS, sums.tolist()))

    def _train_event(self, w: dict, steps: int, slots: int, seconds: float) -> TrainMetrics:
        count = max(w["count"], 1.0)
        per_loss = max(steps, 1) * self.cfg.train.global_batch_size
        return TrainMetrics(
            step=self.step, total_steps=self.total_steps, epoch=self.sampler.epoch, lr=self.lr,
            loss=w["loss"] / per_loss, lm_loss=w["lm_loss"] / per_loss, q_halt_loss=w["q_halt_loss"] / per_loss,
            q_continue_loss=w["q_continue_loss"] / per_loss, accuracy=w["accuracy"] / count,
            exact_accuracy=w["exact_accuracy"] / count, q_halt_accuracy=w["q_halt_accuracy"] / count,
            sup_steps=w["steps"] / count, halted=int(w["count"]),
            examples_per_s=slots / max(seconds, 1e-9), elapsed=self.step_time, cpu_elapsed=self.step_cpu)

    # ------------------------------------------------------------------------------- evaluation
    def weights_for_eval(self) -> dict[str, torch.Tensor]:
        return self.ema.state_dict_for(self.model) if self.ema is not None else self.model.state_dict()

    def _evaluate(self) -> EvalResult:
        progress = self.eval_progress(self.step) if self.eval_progress is not None and self.main else None
        return self.evaluator(self.weights_for_eval(), self.step, self.ema is not None, progress,
                              self.run_dir if self.main else None)

    # ------------------------------------------------------------------------------ checkpoints
    def _save(self, exact: float | None = None) -> Path:
        """Write a training checkpoint (rank 0 writes; every rank joins the carry gather)."""
        carry = ckpt.pack_carries(self.carries, self.ctx) if self.carries is not None else None
        path = ckpt.checkpoint_path(self.run_dir.checkpoints, self.step) if self.run_dir else None
        if self.main and path is not None:
            body = {
                "format": "trm-lab-checkpoint", "version": 1, "config": self.cfg.to_json(), "step": self.step,
                "model": {k: v.detach().cpu() for k, v in self.weights_for_eval().items()},
                "raw_model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
                "optimizer": self.optimizer.state_dict(),
                "ema_updates": self.ema.updates if self.ema is not None else 0,
                "sampler": self.sampler.state_dict(), "carry": carry,
                "explore_rng": self.explore_rng.get_state(), "torch_rng": torch.get_rng_state(),
                "world_size": self.ctx.world_size, "lr": getattr(self, "lr", 0.0),
            }
            ckpt.save_training_checkpoint(path, body)
            if exact is not None and self.cfg.train.keep_best and exact > self.best_exact:
                self.best_path, self.best_exact = path, exact
                ckpt.write_best(self.run_dir.checkpoints, path, exact, self.step)
                self.run_dir.write_status("running", self.step, self.total_steps, best_eval=exact)
            ckpt.prune(self.run_dir.checkpoints, self.cfg.train.keep_last, self.best_path)
        return path

    def _load(self, body: dict) -> None:
        self.model.load_state_dict(body["raw_model"])
        self.optimizer.load_state_dict(body["optimizer"])
        if self.ema is not None:
            self.ema.updates = int(body["ema_updates"])
            for k, v in body["model"].items():
                if k in self.ema.shadow:
                    self.ema.shadow[k].copy_(v)
        self.sampler.load_state_dict(body["sampler"])
        self.explore_rng.set_state(body["explore_rng"])
        torch.set_rng_state(body["torch_rng"])
        self.step = int(body["step"])
        self.lr = float(body.get("lr", 0.0))
        if body.get("carry") is not None:
            lo = self.ctx.rank * self.local_batch
            self.carries = ckpt.unpack_carries(body["carry"], lo, self.local_batch, self.micro, self.device,
                                                self.model.compute_dtype)

    # ---------------------------------------------------------------------------------- reporting
    def _emit(self, event: Event, state: str | None = None, message: str = "") -> Event:
        if self.run_dir is not None and getattr(self, "main", True) and self.run_dir.path.exists():
            self.run_dir.append_event(event)
            if state is not None:
                extra = {"device": str(getattr(self, "device", "")), "preset": self.cfg.preset,
                         "name": self.cfg.name} if hasattr(self, "cfg") else {}
                self.run_dir.write_status(state, self.step, getattr(self, "total_steps", 0), message, **extra)
        return event
