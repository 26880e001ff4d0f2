"""The main window: a sidebar of areas (Puzzles, Train, Inspect, Experiments) over a stack of panels,
the menus, the status bar and the open-file dispatch. It only composes panels; each area lives in its
own package under trm_lab/areas and describes itself with a PanelSpec (see trm_lab/panel.py).

Each panel sits in a scroll area, so no panel's minimum size can push the window past the screen (at
QT_SCALE_FACTOR=2 a 1280x720 screen is smaller than the panels' minimum); the first window takes at
most FIRST_SIZE and at most SCREEN_SHARE of the screen, centred.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QUndoGroup, QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QScrollArea,
    QStackedWidget,
    QWidget,
)

from . import dialogs, settings
from .panel import AppContext, FileKind, Panel, PanelSpec
from .theme import THEMES, ThemeManager, icon
from .widgets.progress import ProgressIndicator
from .workers import Job, cancel_all, progress_of, running_jobs

# Modules that define an area as `PANEL = PanelSpec(...)`; a module that does not exist yet is skipped,
# so the sidebar shows only the areas that exist.
PANEL_MODULES = (
    "trm_lab.areas.puzzles",
    "trm_lab.areas.train",
    "trm_lab.areas.inspect",
    "trm_lab.areas.experiments",
)
FIRST_SIZE = QSize(1280, 820)  # the first window's size where the screen has room
SCREEN_SHARE = 0.92  # ... and its most of the screen's free area


def fit_to_screen(size: QSize, available: QRect) -> QRect:
    """`size`, shrunk to SCREEN_SHARE of `available` where it is larger, centred on it."""
    width = min(size.width(), int(available.width() * SCREEN_SHARE))
    height = min(size.height(), int(available.height() * SCREEN_SHARE))
    rect = QRect(0, 0, width, height)
    rect.moveCenter(available.center())
    return rect


def available_panels() -> list[PanelSpec]:
    specs = []
    for name in PANEL_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        specs.append(module.PANEL)
    return sorted(specs, key=lambda s: s.order)


class MainWindow(QMainWindow):
    """One window: sidebar + stacked panels; File / Edit / View / Help menus; status bar."""

    area_changed = Signal(str)

    def __init__(self, theme: ThemeManager, specs: list[PanelSpec] | None = None):
        super().__init__()
        self.setWindowTitle("TRM Lab")
        self.setWindowIcon(icon("trm-lab"))
        self.context = AppContext(self, theme)
        self.specs = available_panels() if specs is None else specs
        self.panels: dict[str, Panel] = {}
        self.holders: dict[str, QScrollArea] = {}  # each panel's scroll area in the stack
        self.undo_group = QUndoGroup(self)
        self._panel_actions: dict[str, list[QAction]] = {}

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setIconSize(QSize(28, 28))
        self.sidebar.setFixedWidth(124)
        self.stack = QStackedWidget()
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self.progress = ProgressIndicator()
        self.statusBar().addPermanentWidget(self.progress)
        self.progress.cancel_clicked.connect(self._on_progress_cancel_clicked)
        self._tracked: Job | None = None
        self._tracked_label = ""

        for spec in self.specs:
            self._add_panel(spec)
        self._build_menus()
        self.sidebar.currentRowChanged.connect(self._on_sidebar_current_row_changed)
        if self.specs:
            self.sidebar.setCurrentRow(0)
            self._on_sidebar_current_row_changed(0)
        self._restore()

    # ---- panels -----------------------------------------------------------------------------------
    def _add_panel(self, spec: PanelSpec) -> None:
        panel = spec.create(self.context)
        panel.setObjectName(f"panel_{spec.key}")
        self.panels[spec.key] = panel
        holder = self.holders[spec.key] = QScrollArea()
        holder.setObjectName(f"holder_{spec.key}")
        holder.setFrameShape(QScrollArea.Shape.NoFrame)
        holder.setWidgetResizable(True)
        holder.setWidget(panel)
        self.stack.addWidget(holder)
        QListWidgetItem(icon(spec.icon), spec.title, self.sidebar).setData(Qt.ItemDataRole.UserRole, spec.key)
        panel.status_posted.connect(self.context.show_status)
        panel.undo_stack_changed.connect(self._on_panel_undo_stack_changed)
        stack = panel.undo_stack()
        if stack is not None:
            self.undo_group.addStack(stack)

    def area_keys(self) -> list[str]:
        return [spec.key for spec in self.specs]

    def current_area(self) -> str | None:
        row = self.sidebar.currentRow()
        return self.specs[row].key if 0 <= row < len(self.specs) else None

    def show_area(self, key: str) -> Panel:
        self.sidebar.setCurrentRow(self.area_keys().index(key))
        return self.panels[key]

    def _on_sidebar_current_row_changed(self, row: int) -> None:
        if not 0 <= row < len(self.specs):
            return
        key = self.specs[row].key
        self.stack.setCurrentWidget(self.holders[key])
        for panel_key, actions in self._panel_actions.items():
            for action in actions:
                action.setVisible(panel_key == key)
        self._on_panel_undo_stack_changed(self.panels[key].undo_stack())
        self.area_changed.emit(key)

    def _on_panel_undo_stack_changed(self, stack: QUndoStack | None) -> None:
        if stack is not None and stack not in self.undo_group.stacks():
            self.undo_group.addStack(stack)
        current = self.panels.get(self.current_area() or "")
        if current is not None and (self.sender() in (None, current) or stack is current.undo_stack()):
            self.undo_group.setActiveStack(current.undo_stack())

    # ---- files ------------------------------------------------------------------------------------
    def file_kinds(self) -> list[FileKind]:
        return [kind for spec in self.specs for kind in spec.file_kinds]

    def kind_for(self, path: Path) -> FileKind | None:
        scored = [(kind.match(path), kind) for kind in self.file_kinds()]
        scored = [item for item in scored if item[0] > 0]
        return max(scored, key=lambda item: item[0])[1] if scored else None

    def open_path(self, path: Path) -> bool:
        """Open any registered kind of file in its panel; tells the user why when it cannot."""
        path = Path(path)
        kind = self.kind_for(path)
        if kind is None:
            dialogs.show_error(self, "Cannot open file",
                               f"{path.name}: not a file TRM Lab knows (expected "
                               + ", ".join(p for k in self.file_kinds() for p in k.patterns) + ")")
            return False
        if not path.exists():
            dialogs.show_error(self, "Cannot open file", f"{path}: no such file")
            self.context.recent.remove(path)
            self.refresh_recent_menu()
            return False
        panel = self.show_area(kind.panel)
        if not panel.open_path(path, kind.name):
            return False
        self.context.add_recent(path)
        self.context.file_opened.emit(path)
        return True

    def _on_open_triggered(self) -> None:
        kinds = self.file_kinds()
        patterns = " ".join(p for k in kinds for p in k.patterns)
        filters = ";;".join([f"All supported ({patterns})"] + [k.dialog_filter() for k in kinds]
                            + ["All files (*)"])
        path = dialogs.ask_open_path(self, "Open", filters, settings.locations().puzzles)
        if path is not None:
            self.open_path(path)

    def refresh_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        paths = self.context.recent.paths()
        for i, path in enumerate(paths):
            action = menu.addAction(f"&{(i + 1) % 10} {path.name}")
            action.setToolTip(str(path))
            action.setData(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if paths:
            menu.addSeparator()
        clear = menu.addAction("Clear Recent")
        clear.setEnabled(bool(paths))
        clear.triggered.connect(self._on_clear_recent_triggered)

    def _on_clear_recent_triggered(self) -> None:
        self.context.recent.clear()
        self.refresh_recent_menu()

    # ---- menus ------------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.menus: dict[str, QMenu] = {name: bar.addMenu(f"&{name}") for name in ("File", "Edit", "View", "Help")}
        file_menu = self.menus["File"]
        self.open_action = file_menu.addAction("&Open\u2026", QKeySequence.StandardKey.Open, self._on_open_triggered)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.refresh_recent_menu()
        file_menu.addSeparator()
        self._file_anchor = file_menu.addSeparator()
        self.preferences_action = file_menu.addAction("&Preferences\u2026", QKeySequence.StandardKey.Preferences,
                                                      self._on_preferences_triggered)
        if self.preferences_action.shortcut().isEmpty():
            self.preferences_action.setShortcut(QKeySequence("Ctrl+,"))
        self.preferences_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit", QKeySequence.StandardKey.Quit, self.close)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)

        edit = self.menus["Edit"]
        self.undo_action = self.undo_group.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_group.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        edit.addSeparator()

        view = self.menus["View"]
        for i, spec in enumerate(self.specs):
            action = view.addAction(spec.title, lambda k=spec.key: self.show_area(k))
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
        view.addSeparator()
        theme_menu = view.addMenu("&Theme")
        self.theme_actions: dict[str, QAction] = {}
        for name in THEMES:
            action = theme_menu.addAction(name.capitalize() if name != "system" else "Follow system")
            action.setCheckable(True)
            action.setChecked(name == self.context.theme.theme)
            action.triggered.connect(lambda _=False, n=name: self.set_theme(n))
            self.theme_actions[name] = action
        full = view.addAction("&Full Screen", self._on_full_screen_triggered)
        full.setShortcut(QKeySequence.StandardKey.FullScreen)
        view.addSeparator()

        help_menu = self.menus["Help"]
        help_menu.addAction("&Keyboard Shortcuts", QKeySequence.StandardKey.HelpContents, self._on_shortcuts_triggered)
        help_menu.addAction("&About TRM Lab", self._on_about_triggered).setMenuRole(QAction.MenuRole.AboutRole)

        for key, panel in self.panels.items():
            actions = []
            for menu_name, items in panel.menu_actions().items():
                menu = self.menus[menu_name]
                before = self._file_anchor if menu_name == "File" else None
                for item in items:
                    action = item if item is not None else QAction(self)
                    if item is None:
                        action.setSeparator(True)
                    menu.insertAction(before, action) if before else menu.addAction(action)
                    actions.append(action)
            self._panel_actions[key] = actions

    def set_theme(self, name: str) -> None:
        self.context.theme.set_theme(name)
        settings.set_value("appearance/theme", name)
        for key, action in self.theme_actions.items():
            action.setChecked(key == name)

    def _on_full_screen_triggered(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def _on_preferences_triggered(self) -> None:
        from .preferences import PreferencesDialog
        dialog = PreferencesDialog(self.context.theme.theme, self)
        dialog.theme_picked.connect(self.set_theme)
        dialog.exec()

    def _on_shortcuts_triggered(self) -> None:
        rows = []
        for menu in self.menus.values():
            for action in menu.actions():
                if action.isVisible() and not action.shortcut().isEmpty():
                    text = action.text().replace("&", "").replace("\u2026", "")
                    rows.append(f"<tr><td>{text}</td><td><b>{action.shortcut().toString()}</b></td></tr>")
        dialogs.show_info(self, "Keyboard shortcuts", "<table>" + "".join(rows) + "</table>"
                          "<p>Grids: arrows move, digits enter (Sudoku) or pick colours (ARC); D/S/F paint, "
                          "select, fill; C/V copy, paste; Delete clears.</p>")

    def _on_about_triggered(self) -> None:
        from . import __doc__ as about
        dialogs.show_info(self, "About TRM Lab",
                          f"<b>TRM Lab</b><p>{about}</p><p>Tiny Recursive Models: Jolicoeur-Martineau, "
                          "<i>Less is More: Recursive Reasoning with Tiny Networks</i>, 2025.</p>")

    # ---- jobs -------------------------------------------------------------------------------------
    def track_job(self, job: Job, label: str, total: int = 0) -> None:
        """Show `job` in the status bar until it ends (the latest tracked job wins the indicator): 0 of
        `total` when the total is known (no busy animation: it repaints the bar many times a second in
        the GUI thread, on a small CPU a share of the job's own core), else busy."""
        self._tracked, self._tracked_label = job, label
        if total > 0:
            self.progress.set_progress(0, total, f"{label}: 0/{total}")
        else:
            self.progress.set_busy(label)
        job.progressed.connect(self._on_tracked_job_progressed)  # bound slots: dropped with the window
        job.ended.connect(self._on_tracked_job_ended)

    def _on_tracked_job_progressed(self, event: object) -> None:
        progress = progress_of(event)
        if self.sender() is self._tracked and progress is not None:
            done, total, text = progress
            self.progress.set_progress(done, total, f"{self._tracked_label}: {text or f'{done}/{total}'}")

    def _on_tracked_job_ended(self) -> None:
        if self.sender() is self._tracked:
            self._tracked = None
            self.progress.clear()

    def _on_progress_cancel_clicked(self) -> None:
        if self._tracked is not None:
            self._tracked.cancel()
            self.progress.set_cancelling()

    # ---- persistence and closing ------------------------------------------------------------------
    def _restore(self) -> None:
        store = settings.settings()
        geometry = store.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        screen = self.screen().availableGeometry()
        if geometry is None or self.width() > screen.width() or self.height() > screen.height():
            self.setGeometry(fit_to_screen(FIRST_SIZE if geometry is None else self.size(), screen))
        state = store.value("window/state")
        if state is not None:
            self.restoreState(state)
        for key, panel in self.panels.items():
            store.beginGroup(f"panels/{key}")
            panel.restore_state(store)
            store.endGroup()
        area = store.value("window/area", "", type=str)
        if area in self.panels:
            self.show_area(area)

    def save_settings(self) -> None:
        store = settings.settings()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState())
        store.setValue("window/area", self.current_area() or "")
        for key, panel in self.panels.items():
            store.beginGroup(f"panels/{key}")
            panel.save_state(store)
            store.endGroup()
        store.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not all(panel.can_close() for panel in self.panels.values()):
            event.ignore()
            return
        if running_jobs() and not dialogs.ask_yes_no(
                self, "Jobs running", "Background jobs are still running. Stop them and quit?"):
            event.ignore()
            return
        cancel_all()
        self.save_settings()
        event.accept()
