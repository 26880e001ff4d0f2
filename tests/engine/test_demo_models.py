"""The demo models shipped in resources/models: each is described (recipe, accuracy), small, loads, and
solves the bundled example puzzles it is meant to show."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from trm_engine.config import preset_family
from trm_engine.model.checkpoint import load_model
from trm_engine.trace.puzzle_input import prepare_text
from trm_engine.trace.tracer import Tracer

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "resources" / "models"
EXAMPLES = ROOT / "resources" / "examples"
# (model, example puzzles it solves exactly within its supervision steps)
SOLVES = {"sudoku4": ("sudoku/4x4-1.txt", "sudoku/4x4-2.txt"), "sudoku9": ("sudoku/easy-1.txt", "sudoku/easy-2.txt"),
          "sudoku9-lab": ("sudoku/easy-1.txt",), "maze9": ("maze/unique-9x9.txt",)}


def demo_folders():
    return sorted(p for p in MODELS.iterdir() if (p / "model.json").is_file())


def test_the_first_day_models_are_shipped():
    names = [p.name for p in demo_folders()]
    assert {"sudoku4", "sudoku9", "maze9"} <= set(names)
    assert sum((p / "model.pt").stat().st_size for p in demo_folders()) < 8_000_000  # a few MB in all


@pytest.mark.parametrize("folder", demo_folders(), ids=lambda p: p.name)
def test_a_demo_model_is_described_and_solves_its_examples(folder):
    info = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    assert info["name"] == folder.name and info["title"] and info["description"]
    assert all(line.startswith("trm ") for line in info["recipe"]) and any(" train " in f" {r} " for r in info["recipe"])
    assert 0.0 < info["accuracy"]["exact_accuracy"] <= 1.0 and info["accuracy"]["split"]
    model, cfg, _ = load_model(folder / "model.pt")
    assert cfg.preset == info["preset"] and preset_family(cfg.preset) == info["family"]
    for example in SOLVES.get(folder.name, ()):
        puzzle = prepare_text(info["family"], str(EXAMPLES / example), cfg.model)
        tracer = Tracer(model, info["family"], puzzle.inputs, puzzle.labels, "step",
                        family_options=puzzle.family_options)
        list(tracer.run(cfg.model.halt_max_steps))
        trace = tracer.finish()
        assert np.array_equal(trace.final_prediction(), trace.labels), f"{folder.name} does not solve {example}"
