"""Puzzle families: one module per family (grid <-> tokens, validation, solver, generator, augmentation)."""
