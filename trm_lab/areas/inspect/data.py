"""TraceData: one recursion as the Inspect area shows it (no Qt here). It wraps the engine's Trace and
keeps its own list of records, appended as they stream in from the worker (the Tracer mutates its own
Trace in the worker thread, so the GUI never reads that one while a run is going), with numpy arrays
over the states built on demand, and the snapshots (a Tracer copy at the end of each supervision
step) that branches start from.

Branches form a tree: each knows its parent (the main trace or another branch), the step it forks at
and the chain of interventions from the main trace down to it, which its trace file carries (the
`branch_*` and `intervention_chain` keys of the file's meta, docs/trace_format.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from trm_engine.trace.render import canvas_shape

if TYPE_CHECKING:  # the tracer imports torch (~2 s): not while the window starts
    from trm_engine.trace.recorder import StateRecord
    from trm_engine.trace.tracer import HaltRecord, Trace


@dataclass
class StepDone:
    """What the run job yields after each supervision step (the state records stream separately)."""

    halt: HaltRecord
    snapshot: Any  # a Tracer copy at the end of this step (None for traces read from files)
    done: int  # supervision steps run by this job so far (the status bar's progress)
    total: int
    message: str = ""


@dataclass
class Intervention:
    """One edit before a branch continues: an input or y cell set to a token, or noise added to z."""

    what: str  # "input", "y" or "z"
    position: int = -1  # cell index (row * W + col) for input and y
    token: int = 0
    scale: float = 0.0  # z noise, in units of z's standard deviation
    seed: int = 0

    def describe(self, width: int) -> str:
        if self.what == "z":
            return f"z noise x{self.scale:g}"
        r, c = divmod(self.position, width)
        return f"{self.what} r{r + 1}c{c + 1}\u2192{self.token}"


@dataclass
class TraceData:
    """See the module docstring. `expected` is how many states the running job will have produced."""

    trace: Trace
    title: str
    records: list[StateRecord] = field(default_factory=list)
    halting: list[HaltRecord] = field(default_factory=list)
    snapshots: dict[int, Any] = field(default_factory=dict)  # supervision step -> Tracer copy
    expected: int = 0
    branch_step: int | None = None  # the supervision step this branch left its parent at
    interventions: list[Intervention] = field(default_factory=list)
    inputs: np.ndarray | None = None  # the input the model saw when an intervention edited it
    path: str = ""  # the file it was read from or saved to
    branch_id: int = 0  # 0: the main trace; k: branch k, numbered in the order they were made
    parent: TraceData | None = field(default=None, repr=False)  # the trace a branch continues
    chain: list[dict] = field(default_factory=list)  # {branch, parent, after_step, interventions}, main first
    from_file: bool = False  # read from a trace file: branches start from the states it stored, if any
    _arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _built: int = -1

    @classmethod
    def from_trace(cls, trace: Trace, title: str, path: str = "") -> TraceData:
        data = cls(trace, title, list(trace.states), list(trace.halting), path=path)
        data.expected = len(data.records)
        return data

    # ---- the branch tree ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return "main" if self.branch_id == 0 else f"branch {self.branch_id}"

    @property
    def depth(self) -> int:
        return len(self.chain)

    def label(self) -> str:
        """Where this trace comes from: "main", or "branch 2 of branch 1, after step 2"."""
        if self.branch_step is None:
            return "main"
        parent = self.chain[-1]["parent"] if self.chain else 0
        return f"{self.name} of {'main' if parent == 0 else f'branch {parent}'}, after step {self.branch_step}"

    def note(self) -> str:
        """The interventions, in words ("z noise x2, input r1c3->3")."""
        return ", ".join(iv.describe(self.shape[1]) for iv in self.interventions) or "no change"

    def fork_source(self, step: int) -> TraceData:
        """The trace whose state after supervision step `step` this one shows: itself, or (at or before
        the step a branch forks at, where its states are its parent's) the nearest ancestor that computed
        them. A branch made there continues that trace, and says so."""
        data = self
        while data.branch_step is not None and step <= data.branch_step and data.parent is not None:
            data = data.parent
        return data

    def make_branch(self, step: int, interventions: list[Intervention], branch_id: int, title: str) -> TraceData:
        """A new branch of this trace after step `step` (no states of its own yet: the job streams them)."""
        snapshot = self.snapshots[step]
        link = {"branch": branch_id, "parent": self.branch_id, "after_step": step,
                "interventions": [asdict(iv) for iv in interventions]}
        data = TraceData(snapshot.trace, title, list(snapshot.trace.states), list(snapshot.trace.halting),
                         branch_step=step, interventions=list(interventions), branch_id=branch_id, parent=self,
                         chain=[*self.chain, link])
        edited = [iv for iv in interventions if iv.what == "input"]
        if edited or self.inputs is not None:
            data.inputs = self.input_tokens().copy()
            for iv in edited:
                data.inputs[iv.position] = iv.token
        return data

    def branch_meta(self) -> dict:
        """What the trace file's meta says about this trace's place in the tree (empty for the main one)."""
        if self.branch_step is None:
            return {}
        return {"branch_id": self.branch_id, "branch_parent": self.chain[-1]["parent"] if self.chain else 0,
                "branch_of_step": self.branch_step, "branch_note": self.note(),
                "interventions": [asdict(iv) for iv in self.interventions], "intervention_chain": self.chain}

    @classmethod
    def from_traces(cls, traces: list[Trace], title: str, path: str = "") -> list[TraceData]:
        """A file's traces (the main one, then its branches) as a tree, parents linked by branch id."""
        out = [cls.from_trace(traces[0], title, path)]
        if "branch_of_step" in traces[0].meta:  # a branch exported alone: it stays one (its parent is not here)
            out[0]._place(traces[0].meta, 0)
        by_id = {0: out[0]}
        for trace in traces[1:]:
            meta = trace.meta
            data = cls.from_trace(trace, "", path)
            data._place(meta, len(out))
            data.parent = by_id.get(int(meta.get("branch_parent", 0)), out[0])
            if not np.array_equal(trace.inputs, traces[0].inputs):
                data.inputs = np.asarray(trace.inputs).copy()
            data.title = f"{data.label()}: {data.note()}"
            by_id[data.branch_id] = data
            out.append(data)
        for data in out:
            data.from_file = True
        return out

    def _place(self, meta: dict, default_id: int) -> None:
        """Where a trace read from a file sits in the tree, from its meta (checked by the reader)."""
        self.branch_id = int(meta.get("branch_id", default_id))
        self.branch_step = int(meta.get("branch_of_step", 0))
        self.chain = list(meta.get("intervention_chain", []))
        self.interventions = [Intervention(**iv) for iv in meta.get("interventions", [])]

    # ---- growth -----------------------------------------------------------------------------------
    def add(self, item: StateRecord | HaltRecord) -> None:
        from trm_engine.trace.tracer import HaltRecord  # loaded already: a trace is running
        if isinstance(item, HaltRecord):
            self.halting.append(item)
        else:
            self.records.append(item)

    def finish(self, trace: Trace) -> None:
        """The job's final Trace (projection fitted): its records replace the streamed ones."""
        self.trace = trace
        self.records = list(trace.states)
        self.halting = list(trace.halting)
        self.expected = len(self.records)
        self._built = -1

    def __len__(self) -> int:
        return len(self.records)

    # ---- shape and puzzle -------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return canvas_shape(int(self.trace.model_config["seq_len"]))

    @property
    def family(self) -> str:
        return self.trace.family

    def input_tokens(self) -> np.ndarray:
        return np.asarray(self.trace.inputs if self.inputs is None else self.inputs).reshape(-1)

    def label_tokens(self) -> np.ndarray | None:
        return None if self.trace.labels is None else np.asarray(self.trace.labels).reshape(-1)

    # ---- arrays over the states -------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        """Per-state columns: sup_step, cycle, is_y, changed, delta, accuracy, last_y, last_z."""
        n = len(self.records)
        if self._built != n:
            rs = self.records
            is_y = np.array([r.kind == "y" for r in rs], dtype=bool)
            idx = np.arange(n)
            last_y = np.maximum.accumulate(np.where(is_y, idx, -1)) if n else idx
            last_z = np.maximum.accumulate(np.where(~is_y, idx, -1)) if n else idx
            self._arrays = {
                "sup_step": np.array([r.sup_step for r in rs], dtype=np.int64),
                "cycle": np.array([r.cycle for r in rs], dtype=np.int64),
                "is_y": is_y,
                "changed": np.array([r.changed for r in rs], dtype=np.float64),
                "delta": np.array([r.delta for r in rs], dtype=np.float64),
                "accuracy": np.array([r.cell_accuracy for r in rs], dtype=np.float64),
                "last_y": last_y, "last_z": last_z,
            }
            self._built = n
        return self._arrays

    def latest(self, kind: str, index: int) -> int | None:
        """The latest state of `kind` ("y" or "z") at or before `index`, or None."""
        if not 0 <= index < len(self.records):
            return None
        i = int(self.arrays()["last_y" if kind == "y" else "last_z"][index])
        return i if i >= 0 else None

    def previous_same(self, index: int) -> int | None:
        """The state of the same kind before `index` (what 'changed' compares against)."""
        kind = self.records[index].kind
        return self.latest(kind, index - 1) if index > 0 else None

    def cell_range(self, name: str, kind: str) -> tuple[float, float]:
        """The smallest and largest value of a per-cell map ("cell_norm", "cell_delta") over the states of
        `kind` ("y" or "z"): one colour scale for all of them (y and z live at different scales)."""
        values = [getattr(r, name) for r in self.records if r.kind == kind and getattr(r, name) is not None]
        if not values:
            return 0.0, 1.0
        stacked = np.stack(values).astype(np.float32)
        return float(stacked.min()), float(stacked.max())

    def halt_step(self) -> int | None:
        """The first supervision step after which the model would halt (sigmoid(q_halt) > 0.5)."""
        return next((h.sup_step for h in self.halting if h.q_halt > 0), None)

    def series(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The plots' series, x = state index."""
        a = self.arrays()
        idx = np.arange(len(self.records))
        y, z = a["is_y"], ~a["is_y"]
        nan = np.full(len(idx), np.nan)
        halts = [h for h in self.halting if h.state_index >= 0]
        return {
            "p_halt": (np.array([h.state_index for h in halts], dtype=float), np.array([h.p_halt for h in halts])),
            "changed_y": (idx[y], a["changed"][y]), "changed_z": (idx[z], a["changed"][z]),
            "dy": (idx[y], a["delta"][y]), "dz": (idx[z], a["delta"][z]),
            "accuracy": (idx[y], np.where(np.isnan(a["accuracy"][y]), nan[y], a["accuracy"][y])),
        }

    def scalar_rows(self) -> list[dict[str, object]]:
        """One row per state for the CSV export (with the step's q_halt on its last state)."""
        halts = {h.state_index: h for h in self.halting}
        rows = []
        for r in self.records:
            h = halts.get(r.index)
            rows.append({
                "index": r.index, "name": r.name, "sup_step": r.sup_step, "cycle": r.cycle, "inner": r.inner,
                "kind": r.kind, "changed": r.changed, "norm": r.norm, "delta": r.delta,
                "cell_accuracy": r.cell_accuracy, "exact": int(r.exact),
                "q_halt": "" if h is None else h.q_halt, "p_halt": "" if h is None else h.p_halt,
                "q_continue": "" if h is None else h.q_continue,
            })
        return rows
