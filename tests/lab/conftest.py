"""Lab tests: Qt offscreen (set before Qt loads, or a display-less run aborts), settings and folders in a
temporary directory, and every modal dialog replaced by a recorder so no test can block."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections import deque  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from trm_lab import dialogs, settings  # noqa: E402


class DialogRecorder:
    """Stands in for trm_lab.dialogs: records messages, answers questions from queues."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.infos: list[tuple[str, str]] = []
        self.open_paths: deque[Path | None] = deque()
        self.save_paths: deque[Path | None] = deque()
        self.unsaved: deque[str] = deque()
        self.yes_no: deque[bool] = deque()
        self.texts: deque[str | None] = deque()
        self.choices: deque[int | None] = deque()
        self.asked: list[str] = []

    def _next(self, queue: deque, what: str):
        self.asked.append(what)
        if not queue:
            raise AssertionError(f"unexpected dialog: {what}")
        return queue.popleft()

    def _choose(self, items: list[str]) -> int | None:
        self.choice_items = list(items)
        return self._next(self.choices, "choice")

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: self.errors.append((title, text)))
        monkeypatch.setattr(dialogs, "show_info", lambda parent, title, text: self.infos.append((title, text)))
        monkeypatch.setattr(dialogs, "ask_open_path", lambda *a, **k: self._next(self.open_paths, "open"))
        monkeypatch.setattr(dialogs, "ask_save_path", lambda *a, **k: self._next(self.save_paths, "save"))
        monkeypatch.setattr(dialogs, "ask_directory", lambda *a, **k: self._next(self.open_paths, "directory"))
        monkeypatch.setattr(dialogs, "ask_unsaved", lambda *a, **k: self._next(self.unsaved, "unsaved"))
        monkeypatch.setattr(dialogs, "ask_yes_no", lambda *a, **k: self._next(self.yes_no, "yes/no"))
        monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: self._next(self.texts, "text"))
        monkeypatch.setattr(dialogs, "ask_choice", lambda parent, title, label, items: self._choose(items))


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """QSettings in an INI file under tmp_path, and the app's folders under tmp_path too."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    root = tmp_path / "appdata"
    monkeypatch.setattr(settings, "default_locations", lambda: settings.Locations(
        data=root, datasets=root / "datasets", puzzles=root / "puzzles", runs=root / "runs",
        cache=tmp_path / "cache"))
    yield tmp_path


@pytest.fixture(autouse=True)
def dialog_recorder(monkeypatch) -> DialogRecorder:
    recorder = DialogRecorder()
    recorder.install(monkeypatch)
    return recorder


@pytest.fixture
def theme(qapp):
    from trm_lab.theme import ThemeManager
    manager = ThemeManager(qapp, "light")
    yield manager
    manager.set_theme("light")
    manager.deleteLater()
