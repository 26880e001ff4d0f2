"""Evaluation: exact / cell accuracy per supervision step, ARC voting and pass@k."""
