"""The paper's claims as runnable experiment suites, with the paper's numbers beside the measured ones.

The API a GUI (or a script) uses, importable from here:

    suites = list_suites()                                   # Suite: variants, paper figures, claims
    plan = plan_experiment("halting", "lab", seeds=3, budget=parse_budget("300"), out=folder)
    for run in plan.runs: run.state                          # pending | done | resumable | running | ...
    control = Control()                                      # request_stop() / pause() / resume()
    for event in run_experiment(plan, control): ...          # events.py; RunProgress wraps trainer events
    report = write_report(read_suite_results(plan.suite_dir), plan.suite_dir)

Names load lazily, so `import trm_engine.experiments` (and the CLI) does not import torch.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "suites": ("Suite", "Variant", "Claim", "Metric", "METRICS", "SCALES", "DatasetSpec", "list_suites", "get_suite",
               "load_suite_file", "suites_document", "with_recipe_overrides"),
    "plan": ("Budget", "parse_budget", "plan_experiment", "ExperimentPlan", "PlannedRun", "refresh", "default_out"),
    "runner": ("run_experiment", "run_one", "RunControl", "evaluate_final"),
    "events": ("ExperimentEvent", "ExperimentStarted", "DatasetBuilding", "RunSkipped", "RunBegan", "RunProgress",
               "RunMeasured", "RunNotMeasured", "ExperimentFinished", "ExperimentStopped"),
    "results": ("read_suite_results", "SuiteResults", "RunResult", "find_suite_dirs"),
    "report": ("write_report", "write_reports", "claim_verdicts", "ClaimVerdict"),
    "estimate": ("estimate", "Estimate"),
    "stats": ("Summary", "summarize", "summary_text", "verdict", "REPRODUCED", "NOT_REPRODUCED", "OVERLAP"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE) + ["Control"]


def __getattr__(name: str):
    if name == "Control":  # the trainer's control object drives experiments too
        from ..train.control import Control

        return Control
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
