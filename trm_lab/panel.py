"""What a feature screen ("area") of the main window is: a Panel widget, described by a PanelSpec that
its module exposes as `PANEL`, plus the FileKinds it opens. The main window only composes these.

A new area is one package under trm_lab/areas whose `__init__` exposes `PANEL`, e.g. train/panel.py
ending with

    PANEL = PanelSpec(key="train", title="Train", order=20, create=TrainPanel, icon="train",
                      file_kinds=(FileKind("run", "Training runs", ("status.json",), "train",
                                           accepts=is_run_dir),))

and its package name in main_window.PANEL_MODULES (the four areas are listed there already).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QWidget

from .settings import RecentFiles

if TYPE_CHECKING:
    from PySide6.QtWidgets import QStatusBar

    from .theme import ThemeManager
    from .workers import Job


@dataclass(frozen=True)
class FileKind:
    """A kind of file the app opens (`trm-lab FILE`, File > Open, Open Recent) and the panel for it."""

    name: str  # "puzzle", "dataset", "run", "trace"
    description: str  # for the file dialog filter: "Puzzles"
    patterns: tuple[str, ...]  # glob patterns on the file name, e.g. ("*.trace.h5",)
    panel: str  # key of the panel that opens it
    accepts: Callable[[Path], bool] | None = None  # a finer test (a run is a folder with status.json)

    def match(self, path: Path) -> int:
        """How specifically this kind matches `path`: 0 for no match, else the longest pattern's length
        (so "*.trace.h5" wins over "*.h5")."""
        name = Path(path).name.lower()
        hits = [len(p) for p in self.patterns if fnmatch.fnmatch(name, p.lower())]
        if self.patterns and not hits:
            return 0
        if self.accepts is not None and not self.accepts(Path(path)):
            return 0
        return max(hits, default=1)

    def dialog_filter(self) -> str:
        return f"{self.description} ({' '.join(self.patterns)})"


@dataclass(frozen=True)
class PanelSpec:
    """One area of the main window: sidebar entry, factory and the file kinds it opens."""

    key: str
    title: str
    order: int  # sidebar position: puzzles 10, train 20, inspect 30, experiments 40
    create: Callable[[AppContext], Panel]
    icon: str = ""  # name of an SVG in resources/icons (without .svg)
    file_kinds: tuple[FileKind, ...] = ()


def make_action(parent: QObject, text: str, slot: Callable[[], object], keys=None, tip: str = "") -> QAction:
    """A menu/toolbar action calling `slot()`, with an optional shortcut; its tooltip and status tip are
    `tip`, or the text without its mnemonic and ellipsis."""
    action = QAction(text, parent)
    action.triggered.connect(lambda _=False: slot())
    if keys:
        action.setShortcut(QKeySequence(keys))
    action.setToolTip(tip or text.replace("&", "").replace("\u2026", ""))
    action.setStatusTip(action.toolTip())
    return action


class Panel(QWidget):
    """Base of the main window's areas. Subclasses override what they need."""

    status_posted = Signal(str)  # a short message for the status bar
    undo_stack_changed = Signal(object)  # the panel's active QUndoStack (or None) changed

    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context

    def undo_stack(self) -> QUndoStack | None:
        """The stack Edit > Undo / Redo act on while this panel is shown."""
        return None

    def menu_actions(self) -> dict[str, list[QAction | None]]:
        """Actions to show in the menus ("File", "Edit", "View") while this panel is current;
        None is a separator."""
        return {}

    def open_path(self, path: Path, kind: str) -> bool:
        """Open a file of one of this panel's kinds; False (after telling the user why) on failure."""
        return False

    def can_close(self) -> bool:
        """Ask about unsaved work before the window closes; False keeps the window open."""
        return True

    def save_state(self, store: QSettings) -> None:
        """Persist splitter positions and view options (the store's group is the panel's key)."""

    def restore_state(self, store: QSettings) -> None:
        pass


class AppWindow(Protocol):
    """What AppContext needs of the main window (main_window.MainWindow is one); a protocol so that
    this module does not import the window that imports it."""

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt's name
    def track_job(self, job: Job, label: str, total: int = 0) -> None: ...
    def open_path(self, path: Path) -> bool: ...
    def refresh_recent_menu(self) -> None: ...


class AppContext(QObject):
    """What panels may use of the application: theme, recent files, status bar, jobs, opening files."""

    file_opened = Signal(Path)

    def __init__(self, window: AppWindow, theme: ThemeManager):
        super().__init__(window)
        self._window = window
        self.theme = theme
        self.recent = RecentFiles()

    def show_status(self, text: str, msecs: int = 5000) -> None:
        self._window.statusBar().showMessage(text, msecs)

    def track_job(self, job: Job, label: str, total: int = 0) -> None:
        """Show `job` in the status bar (progress, cancel) until it ends; `total`, when known, shows
        0 of it from the start instead of the busy animation."""
        self._window.track_job(job, label, total)

    def open_path(self, path: Path) -> bool:
        return self._window.open_path(path)

    def add_recent(self, path: Path) -> None:
        self.recent.add(path)
        self._window.refresh_recent_menu()
