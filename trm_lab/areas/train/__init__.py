"""The Train area: the run list, the New Run dialog, runs in a worker thread or a torchrun process, and
the live monitor (curves, header, log) of any run directory.

Public to other areas: the devices a run can use, the default thread count, the device warm-up and
the test for a run directory (the Experiments area launches and lists runs too), and the folders of
experiment runs to list (marked as such) beside the others.
"""

from .feed import DEVICES, default_threads, warm_up
from .panel import PANEL
from .runs import is_run_path, watch_experiment_folder

__all__ = ["DEVICES", "PANEL", "default_threads", "is_run_path", "warm_up", "watch_experiment_folder"]
