"""The main window's four areas, one package each: puzzles, train, inspect, experiments.

Each package's `__init__` is its public face: the `PANEL` spec the main window composes and the few
names another area may use. An area never imports another area's modules directly (tests/lab/
test_boundaries.py holds that); shared widgets live in trm_lab/widgets.
"""
