"""trm_engine: the compute side of TRM Lab (puzzles, datasets, TRM/HRM models, training, evaluation,
recursion traces, experiments). Pure Python + torch + numpy + h5py; it never imports Qt or trm_lab."""

__version__ = "0.1.0"
