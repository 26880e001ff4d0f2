"""Running a model on one puzzle and recording its recursion, with interventions and branches.

    tracer = Tracer(model, family, input_tokens, labels, level="inner")
    for item in tracer.run(16):          # each step's StateRecords, then its HaltRecord
        ...
    tracer.perturb_z(0.5); branch = tracer.branch(); branch.run(4)   # continue from an edited state
    trace = tracer.finish()              # Trace: all records, projection fitted, ready to save

Any number of supervision steps runs, more than the model was trained with included (test-time
depth scaling): the carry is never reset, whatever the halting head says.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from ..model.trm import Carry, RecursiveModel
from .recorder import StateRecord, StateRecorder, fit_projection

# The meta keys that place a branch in its tree (docs/trace_format.md): its id, its parent's id (0 = the
# main trace), the supervision step it forks after, its interventions in words and as records, and the
# chain of {branch, parent, after_step, interventions} from the main trace down to it.
BRANCH_KEYS = ("branch_id", "branch_parent", "branch_of_step", "branch_note", "interventions", "intervention_chain")
INTERVENTION_FIELDS = {"what": str, "position": int, "token": int, "scale": float, "seed": int}


@dataclass
class HaltRecord:
    """What the Q head said after one supervision step."""

    sup_step: int
    q_halt: float  # logit
    q_continue: float
    state_index: int  # index of the last state recorded in this step

    @property
    def p_halt(self) -> float:
        return float(1.0 / (1.0 + np.exp(-self.q_halt)))


@dataclass
class Trace:
    """One puzzle's recursion: the records in order and the halting curve."""

    family: str
    family_options: dict
    inputs: np.ndarray  # (seq_len,) uint8 tokens the model saw
    labels: np.ndarray | None  # (seq_len,) int64 with -100 for unlabelled cells, or None
    model_config: dict
    level: str
    states: list[StateRecord] = field(default_factory=list)
    halting: list[HaltRecord] = field(default_factory=list)
    meta: dict = field(default_factory=dict)  # checkpoint path/hash/step, puzzle source, branch info

    @property
    def sup_steps(self) -> int:
        return len(self.halting)

    def final_prediction(self) -> np.ndarray | None:
        ys = [s for s in self.states if s.kind == "y"]
        return ys[-1].tokens if ys else None

    def fit_projection(self) -> None:
        fit_projection(self.states)


class Tracer:
    def __init__(self, model: RecursiveModel, family: str, inputs: np.ndarray, labels: np.ndarray | None = None,
                 level: str = "inner", puzzle_identifier: int = 0, family_options: dict | None = None,
                 meta: dict | None = None):
        self.model = model.eval()
        device = model.y_init.device
        seq_len = model.cfg.seq_len
        inputs = np.asarray(inputs).reshape(-1)
        if inputs.size != seq_len:
            from ..errors import TraceError

            raise TraceError(f"the puzzle has {inputs.size} tokens but the model expects {seq_len}")
        self.batch = {
            "inputs": torch.as_tensor(inputs.astype(np.int64), device=device).view(1, -1),
            "labels": torch.as_tensor((labels if labels is not None else np.full(seq_len, -100)).astype(np.int64),
                                      device=device).view(1, -1),
            "puzzle_identifiers": torch.tensor([puzzle_identifier], dtype=torch.int32, device=device),
        }
        self.trace = Trace(family, dict(family_options or {}), inputs.astype(np.uint8),
                           None if labels is None else np.asarray(labels).astype(np.int64),
                           dict(vars(model.cfg)), level, meta={"puzzle_identifier": int(puzzle_identifier), **(meta or {})})
        self.carry: Carry | None = None
        self.recorder = StateRecorder(model, level, self.trace.labels)

    # ------------------------------------------------------------------------------------- running
    @torch.inference_mode()
    def run(self, steps: int, on_states=None, every_s: float = 0.0) -> Iterator[StateRecord | HaltRecord]:
        """Run `steps` more supervision steps, yielding each step's states and then its HaltRecord.

        `on_states(records)` (optional) is called from inside the step, for viewers that want states
        before their step ends: with each state as it is computed, or, with `every_s` > 0, with the
        states computed since the last call once `every_s` seconds have passed (decoded together:
        cheaper); and with the step's last states at its end, before its HaltRecord. Without it, each
        step's states are decoded together at its end.
        """
        m = self.model
        if self.carry is None:
            self.carry = m.initial_carry(self.batch)
        for _ in range(steps):
            sup = len(self.trace.halting) + 1
            fresh: list[StateRecord] = []
            sent = [time.monotonic()]

            def decoded(fresh=fresh, sent=sent) -> list[StateRecord]:
                records = self.recorder.take()
                fresh.extend(records)
                if on_states is not None and records:
                    on_states(records)
                sent[0] = time.monotonic()
                return records

            def record(kind, _sup, cycle, inner, state, sup=sup, sent=sent, decoded=decoded):
                self.recorder(kind, sup, cycle, inner, state)
                if on_states is not None and time.monotonic() - sent[0] >= every_s:
                    decoded()

            self.carry, out = m.step(self.carry, self.batch, recorder=record, max_steps=10**9)
            self.carry.halted = torch.zeros_like(self.carry.halted)  # never refill: keep recursing
            decoded()
            self.trace.states.extend(fresh)
            yield from fresh
            halt = HaltRecord(sup, float(out.q_halt[0]), float(out.q_continue[0]),
                              self.trace.states[-1].index if self.trace.states else -1)
            self.trace.halting.append(halt)
            yield halt

    @classmethod
    def resume(cls, model: RecursiveModel, trace: Trace, step: int) -> Tracer:
        """A Tracer at the end of supervision step `step` (0: before the first) of a recorded trace,
        rebuilt from the states it stored, to continue it differently (a branch of a trace read from a
        file). Only a level-"full" trace stores them, as float16: the continuation starts from the
        recorded states so rounded. TraceError says why a trace cannot be continued by `model`."""
        from ..errors import TraceError

        problem = resume_problem(model, trace, step)
        if problem:
            raise TraceError(f"this trace cannot be continued: {problem}")
        tracer = cls(model, trace.family, trace.inputs, trace.labels, trace.level,
                     int(trace.meta.get("puzzle_identifier", 0)), trace.family_options, dict(trace.meta))
        kept = [r for r in trace.states if r.sup_step <= step]
        P = model.cfg.prefix_len
        for r in kept:  # the projection of a continuation is fitted over all its states, these included
            if r.features is None and r.state is not None:
                r.features = np.asarray(r.state[P:], dtype=np.float16)
        tracer.trace.states = list(kept)
        tracer.trace.halting = list(trace.halting[:step])
        rec = tracer.recorder
        rec.index = len(kept)
        for r in kept:
            rec.previous[r.kind] = r
            rec.prev_state[r.kind] = torch.as_tensor(np.asarray(r.state[P:], dtype=np.float32))
        if step > 0:
            carry = tracer._ensure_carry()
            for kind in ("y", "z"):
                state = torch.as_tensor(np.asarray(rec.previous[kind].state, dtype=np.float32))
                setattr(carry, kind, state.to(carry.y.device, carry.y.dtype).unsqueeze(0).contiguous())
            carry.steps = torch.full_like(carry.steps, step)
        return tracer

    def finish(self) -> Trace:
        self.trace.fit_projection()
        return self.trace

    # ------------------------------------------------------------------------------ interventions
    def branch(self, note: str = "") -> Tracer:
        """An independent copy of this tracer (state, carry, records so far) to continue differently."""
        other = copy.copy(self)
        other.carry = None if self.carry is None else Carry(self.carry.y.clone(), self.carry.z.clone(),
                                                            self.carry.steps.clone(), self.carry.halted.clone(),
                                                            {k: v.clone() for k, v in self.carry.data.items()})
        other.batch = {k: v.clone() for k, v in self.batch.items()}
        other.trace = copy.copy(self.trace)
        other.trace.states = list(self.trace.states)
        other.trace.halting = list(self.trace.halting)
        other.trace.meta = {**self.trace.meta, "branch_of_step": len(self.trace.halting), "branch_note": note}
        other.recorder = copy.copy(self.recorder)
        other.recorder.previous = dict(self.recorder.previous)
        other.recorder.prev_state = dict(self.recorder.prev_state)
        other.recorder.pending = list(self.recorder.pending)
        return other

    def _ensure_carry(self) -> Carry:
        if self.carry is None:
            with torch.inference_mode():
                c = self.model.initial_carry(self.batch)
                dtype = self.model.compute_dtype
                L, D = self.model.cfg.full_seq_len, self.model.cfg.hidden_size
                c.y = self.model.y_init.to(dtype).expand(1, L, D).clone()
                c.z = self.model.z_init.to(dtype).expand(1, L, D).clone()
                c.data = {k: v.clone() for k, v in self.batch.items()}
                c.halted = torch.zeros_like(c.halted)
                self.carry = c
        return self.carry

    def edit_input(self, position: int, token: int) -> None:
        """Change one input token (a puzzle cell) for the steps that follow."""
        carry = self._ensure_carry()
        self.batch["inputs"][0, position] = token
        carry.data["inputs"][0, position] = token

    @torch.inference_mode()
    def edit_y(self, position: int, token: int) -> None:
        """Make y decode to `token` at one cell: put there the mean y of the cells that already predict
        it (or, when none does, lm_head's row for it at the typical norm)."""
        carry = self._ensure_carry()
        P = self.model.cfg.prefix_len
        y = carry.y[0, P:].float()
        pred = self.model.lm_head(y.to(self.model.compute_dtype)).argmax(-1)
        same = (pred == token).nonzero().flatten()
        same = same[same != position]
        if len(same):
            vec = y[same].mean(0)
        else:
            w = self.model.lm_head.weight[token].float()
            vec = w / w.norm() * y.norm(dim=-1).mean()
        carry.y[0, P + position] = vec.to(carry.y.dtype)

    @torch.inference_mode()
    def perturb_z(self, scale: float, seed: int = 0) -> None:
        """z += scale * std(z) * N(0, 1) over the puzzle positions."""
        carry = self._ensure_carry()
        g = torch.Generator(device="cpu").manual_seed(seed)
        noise = torch.randn(carry.z.shape, generator=g).to(carry.z.device, carry.z.dtype)
        carry.z = carry.z + scale * carry.z.float().std().to(carry.z.dtype) * noise


# Model settings that must agree for a model to continue a recorded trace's states.
RESUME_KEYS = ("seq_len", "vocab_size", "hidden_size", "h_cycles", "l_cycles", "puzzle_emb_len", "mixer")


def resume_problem(model: RecursiveModel | None, trace: Trace, step: int) -> str:
    """Why `model` (None: no model loaded) cannot continue `trace` after supervision step `step` ("" when
    it can)."""
    if trace.level != "full":
        return (f"it was recorded at level \"{trace.level}\", which does not keep the model's states: run the "
                "puzzle with its model to branch (or record at level \"full\")")
    if model is None:
        return "load the model that recorded it to branch from its states"
    if not 0 <= step <= len(trace.halting):
        return f"supervision step {step} is not in this trace (it has {len(trace.halting)})"
    cfg = vars(model.cfg)
    for key in RESUME_KEYS:
        if key in trace.model_config and trace.model_config[key] != cfg.get(key):
            return (f"the loaded model does not match the one that recorded this trace ({key} "
                    f"{cfg.get(key)!r} here, {trace.model_config[key]!r} in the trace): load that model to branch")
    if step > 0:
        kept = [r for r in trace.states if r.sup_step <= step]
        for kind in ("y", "z"):
            last = next((r for r in reversed(kept) if r.kind == kind), None)
            if last is None or last.state is None:
                return f"the trace has no stored {kind} state at the end of supervision step {step}"
    return ""
