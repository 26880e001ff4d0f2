"""Persistent preferences (QSettings, "TRM Lab" / "trm-lab") and the folders the app writes to.

Folders default to platformdirs' per-user locations and can be overridden in Preferences. Tests point
QSettings at a temporary folder (see tests/lab/conftest.py) so they never touch the user's settings.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import platformdirs
from PySide6.QtCore import QSettings

ORGANIZATION = "TRM Lab"
APPLICATION = "trm-lab"
MAX_RECENT = 10


def settings() -> QSettings:
    """The app's settings store (the default format: native, or INI when a test sets it)."""
    return QSettings(QSettings.defaultFormat(), QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


@dataclass(frozen=True)
class Locations:
    """Where the app keeps things. Every field can be overridden under the settings key paths/<name>."""

    data: Path  # the app's data root
    datasets: Path  # datasets built or imported from the GUI
    puzzles: Path  # puzzles the user saved (shown in the library)
    runs: Path  # training runs (the engine's run directories)
    cache: Path  # thumbnails and other throwaway files


def default_locations() -> Locations:
    data = platformdirs.user_data_path(APPLICATION, ORGANIZATION)
    cache = platformdirs.user_cache_path(APPLICATION, ORGANIZATION)
    return Locations(data=data, datasets=data / "datasets", puzzles=data / "puzzles", runs=data / "runs",
                     cache=cache)


def locations() -> Locations:
    """The folders in use: the defaults with the user's overrides applied."""
    store, defaults = settings(), default_locations()
    values = {}
    for f in fields(Locations):
        override = store.value(f"paths/{f.name}", "", type=str)
        values[f.name] = Path(override) if override else getattr(defaults, f.name)
    return Locations(**values)


def set_location(name: str, path: Path | None) -> None:
    """Override one folder (None or the default path: back to the default)."""
    if name not in {f.name for f in fields(Locations)}:
        raise ValueError(f"unknown location {name!r}")
    store = settings()
    if path is None or Path(path) == getattr(default_locations(), name):
        store.remove(f"paths/{name}")
    else:
        store.setValue(f"paths/{name}", str(path))


def value(key: str, default: object = None, type_: type | None = None) -> object:
    """One preference (e.g. "appearance/theme")."""
    store = settings()
    return store.value(key, default, type=type_) if type_ is not None else store.value(key, default)


def set_value(key: str, val: object) -> None:
    settings().setValue(key, val)


class RecentFiles:
    """The File > Open Recent list, newest first, stored under recent/files."""

    KEY = "recent/files"

    def paths(self) -> list[Path]:
        raw = settings().value(self.KEY, [], type=list) or []
        return [Path(p) for p in raw if p]

    def add(self, path: Path) -> None:
        path = Path(path).resolve()
        items = [path] + [p for p in self.paths() if p != path]
        settings().setValue(self.KEY, [str(p) for p in items[:MAX_RECENT]])

    def remove(self, path: Path) -> None:
        settings().setValue(self.KEY, [str(p) for p in self.paths() if p != Path(path)])

    def clear(self) -> None:
        settings().remove(self.KEY)
