"""Recursion traces: the recorder, the Trace, and the trace file."""
