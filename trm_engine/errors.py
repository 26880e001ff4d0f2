"""The engine's typed errors: every failure a user can cause is one of these, with a message that names
the file, the field and the value. The CLI prints the message and exits 2; the app shows it."""

from __future__ import annotations


class TrmError(Exception):
    """Base of every error the engine raises on purpose."""


class ConfigError(TrmError):
    """A config, preset or `--set key=value` that does not fit the dataclasses."""


class PuzzleError(TrmError):
    """A puzzle that cannot be parsed or is not valid for its family."""


class DataError(TrmError):
    """A dataset file, folder or import source that is missing, malformed or foreign."""


class CheckpointError(TrmError):
    """A checkpoint that cannot be read or does not fit the model."""


class RunError(TrmError):
    """A run directory that is in use, missing or inconsistent, or a run that failed."""


class TraceError(TrmError):
    """A trace file that is truncated, foreign or of an unknown version."""


class DeviceError(TrmError):
    """A device that was asked for but is not available."""
