"""Puzzles for the Inspect area: the library's examples and saved puzzles that fit the loaded model, the
Puzzles editor's current puzzle, a dataset row, or a blank one to draw. Each becomes a PuzzleSource.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trm_engine.config import ModelConfig
from trm_engine.errors import PuzzleError
from trm_engine.puzzles import ArcTask

from ... import settings
from ..puzzles import examples_folder, read_puzzle_file, scan_folder
from .session import PuzzleSource

OTHER = (("From the Puzzles editor", ("editor",)), ("Puzzle file\u2026", ("open",)),
         ("Dataset row\u2026", ("dataset",)), ("Blank: draw it in the input view", ("blank",)))


def side_of(cfg: ModelConfig) -> int:
    return int(round(cfg.seq_len ** 0.5))


def fits(family: str, shape: tuple[int, int], cfg: ModelConfig) -> bool:
    side = side_of(cfg)
    if family == "sudoku":
        return tuple(shape) == (side, side)
    return max(shape) <= side


def puzzle_items(family: str, cfg: ModelConfig) -> list[tuple[str, object]]:
    """(text, data) rows for the setup bar's puzzle box: headings have data None."""
    items: list[tuple[str, object]] = []
    for heading, folder, split in (("Examples", examples_folder(), "example"),
                                   ("My puzzles", settings.locations().puzzles, "saved")):
        entries = [e for e in scan_folder(folder, split, heading) if e.family == family and fits(family, e.shape, cfg)]
        if entries:
            items.append((f"\u2014 {heading} \u2014", None))
            items.extend((f"{e.name}  ({e.shape[0]}x{e.shape[1]})", ("file", e.path)) for e in entries)
    items.append(("\u2014 Other \u2014", None))
    items.extend(item for item in OTHER if family != "arc" or item[1] != ("blank",))
    return items


def source_from_file(path: Path, family: str) -> PuzzleSource:
    """A puzzle file as a PuzzleSource (an ARC task: its first test pair); PuzzleError if it does not suit."""
    got, puzzle = read_puzzle_file(Path(path))
    if got != family:
        raise PuzzleError(f"{Path(path).name} is a {got} puzzle; the model is for {family}")
    if isinstance(puzzle, ArcTask):
        return arc_source(puzzle, Path(path).stem)
    return PuzzleSource(Path(path).stem, grid=np.asarray(puzzle))


def arc_source(task: ArcTask, name: str) -> PuzzleSource:
    if not task.test:
        raise PuzzleError(f"{name}: the task has no test pair")
    pair = task.test[0]
    return PuzzleSource(f"{name} (test 1)", grid=np.asarray(pair.input),
                        solution=None if pair.output is None else np.asarray(pair.output))


def source_from_editor(puzzles_panel, family: str) -> PuzzleSource:
    """The Puzzles area's current puzzle of `family` (its givens, its maze, its task's first test)."""
    if puzzles_panel is None:
        raise PuzzleError("there is no Puzzles area to take a puzzle from")
    editor = puzzles_panel.editors[family]
    name = editor.path.stem if editor.path else f"the {family} editor's puzzle"
    if family == "sudoku":
        return PuzzleSource(name, grid=np.asarray(editor.givens))
    if family == "maze":
        return PuzzleSource(name, grid=np.asarray(editor.doc.grid("maze")))
    return arc_source(editor.task(), name)


def source_from_dataset(dataset, index: int, split: str = "test") -> PuzzleSource:
    """Row `index` (from 0) of a dataset split, tokens as stored, with its puzzle identifier."""
    s = dataset.split(split)
    if not 0 <= index < s.num_examples:
        raise PuzzleError(f"{split} has examples 1..{s.num_examples}; there is no example {index + 1}")
    pid = int(s.puzzle_identifiers[np.searchsorted(s.puzzle_indices, index, side="right") - 1])
    name = f"{Path(dataset.path).stem if dataset.path else 'dataset'} {split} #{index + 1}"
    return PuzzleSource(name, inputs=np.asarray(s.inputs[index]), labels=np.asarray(s.labels[index]),
                        puzzle_identifier=pid)


def blank_grid(family: str, cfg: ModelConfig) -> np.ndarray:
    side = side_of(cfg)
    if family == "maze":
        from ..puzzles import blank_maze
        return blank_maze(side, side)
    return np.zeros((side, side), dtype=np.int64)
