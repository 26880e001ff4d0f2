"""Feature screens of the main window: puzzles, training monitor, recursion inspector, experiments."""
