"""The Experiments area: the paper's claims as suites of runs: the suite list, the launch form and
plan, the runs and summary tables filled live, and the report with its verdicts.
"""

from .panel import PANEL

__all__ = ["PANEL"]
