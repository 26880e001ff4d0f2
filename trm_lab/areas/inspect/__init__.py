"""The Inspect area: a trained model's recursion on one puzzle, state by state: model and puzzle
choosers, the trace strip and timeline, plots, interventions and branches, and the exports.
"""

from .panel import PANEL

__all__ = ["PANEL"]
