"""The Puzzles area: the puzzle library, one editor per family (Sudoku, maze, ARC), datasets opened
into the library, and the Build Dataset dialog.

Public to other areas: the dataset dialog (Train's New Run offers it), the example and puzzle-file
readers and an empty maze (Inspect's puzzle chooser).
"""

from .dataset_builder import BuildDatasetDialog
from .maze_editor import blank_maze
from .panel import PANEL
from .sources import PUZZLE_PATTERNS, examples_folder, read_puzzle_file, scan_folder

__all__ = ["PANEL", "PUZZLE_PATTERNS", "BuildDatasetDialog", "blank_maze", "examples_folder",
           "read_puzzle_file", "scan_folder"]
