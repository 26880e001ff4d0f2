"""RunList: every run directory under the runs folder (and any attached from elsewhere, and the runs of
the experiments launched from the app, marked "exp") with its state, step, best evaluation and device;
the start time and folder are in the row's tooltip. The columns fit the list's width (the name is
elided), so nothing hides behind a horizontal scroll bar. The check box of a row overlays that run on
the plots (compare); the selected row is the run the header and the controls act on. Rename, delete
(asking first) and open-folder act on the selected run.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QFont, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trm_engine.errors import RunError
from trm_engine.train.run_dir import RunDirectory, list_runs, read_json, write_json_atomic

from ... import settings

COLUMNS = ("Run", "State", "Step", "Best", "Device")
COLUMN_TIPS = ("The run's name (experiment runs: exp suite/variant/seed)", "", "Steps done / the run's length",
               "Best evaluation so far: exact accuracy", "Where it trains")
PATH_ROLE = Qt.ItemDataRole.UserRole
STATE_COLORS = {"running": "#2E9B4E", "paused": "#C98A00", "failed": "#D13B3B", "crashed": "#D13B3B",
                "damaged": "#D13B3B"}
EXPERIMENT_FOLDERS_KEY = "train/experiment_folders"
MAX_EXPERIMENT_FOLDERS = 10


def runs_root() -> Path:
    """The runs folder: the Preferences' choice, else the engine's default (TRM_LAB_RUNS or the
    platform's data folder, the same place `trm train` writes to)."""
    if settings.value("paths/runs", "", str) or not os.environ.get("TRM_LAB_RUNS"):
        return settings.locations().runs
    return Path(os.environ["TRM_LAB_RUNS"])


def new_run_dir(name: str, root: Path | None = None) -> Path:
    """A fresh folder name under the runs root: date-time and a slug of the name."""
    root = root or runs_root()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "run"
    base = root / f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}"
    path, n = base, 2
    while path.exists():
        path, n = base.with_name(f"{base.name}-{n}"), n + 1
    return path


def watch_experiment_folder(folder: Path) -> None:
    """List the runs of the experiments written under `folder` (FOLDER/suite/variant/seedN), marked as
    experiment runs. The Experiments area calls this for its default folder and each one it launches into."""
    folder = Path(folder).expanduser().resolve()
    known = [folder] + [f for f in experiment_folders() if f != folder]
    settings.set_value(EXPERIMENT_FOLDERS_KEY, [str(f) for f in known[:MAX_EXPERIMENT_FOLDERS]])


def experiment_folders() -> list[Path]:
    return [Path(f) for f in settings.value(EXPERIMENT_FOLDERS_KEY, [], list) or [] if f]


def is_run_path(path: Path) -> bool:
    path = Path(path)
    return path.is_dir() and ((path / "status.json").exists() or (path / "config.json").exists())


def scan_runs(root: Path, extra: list[Path], experiments: list[Path] = ()) -> list[dict]:
    """Summaries of every run under `root`, of the `extra` folders and of the experiment runs under the
    `experiments` folders (those rows carry "experiment": "suite/variant/seedN"); runs in a worker thread."""
    marks = {}  # an experiment's run stays marked when it is also attached (Open in Train Monitor)
    for folder in experiments:
        for config in sorted(Path(folder).glob("*/*/*/config.json")):
            marks[config.parent] = "/".join(config.parent.relative_to(folder).parts)
    rows, seen = [], set()
    for run in list_runs(root) + [RunDirectory(p) for p in extra] + [RunDirectory(p) for p in marks]:
        if run.path in seen or not is_run_path(run.path):
            continue
        seen.add(run.path)
        experiment = marks.get(run.path, "")
        row = run.row()  # a damaged run is listed as "damaged: <why>", the others as usual
        rows.append({**row, "experiment": experiment} if experiment else row)
    return rows


def short_count(n: int) -> str:
    """1,234 as it is; 3,000 as 3k, 1,500 as 1.5k, 50,000 as 50k (a run's length, to keep the column narrow)."""
    if n < 1000 or n % 100:
        return f"{n:,}"
    return f"{n / 1000:g}k" if n < 1_000_000 or n % 100_000 else f"{n / 1_000_000:g}M"


def row_name(row: dict) -> str:
    """The name a run is listed under: "exp suite/variant/seedN" for an experiment's run."""
    if row.get("experiment"):
        return f"exp {row['experiment']}"
    return row.get("name") or row["id"]


def rename_run(path: Path, name: str) -> None:
    """Set the name a run is listed under (status.json and config.json, as the engine writes it)."""
    run = RunDirectory(Path(path))
    body = read_json(run.config_path)
    if "config" in body:
        body["config"]["name"] = name
        write_json_atomic(run.config_path, body)
    status = run.status()
    if status:
        write_json_atomic(run.status_path, {**status, "name": name})


def delete_run(path: Path) -> None:
    path = Path(path)
    if not is_run_path(path):
        raise RunError(f"{path}: not a run directory; nothing deleted")
    shutil.rmtree(path)


def swatch(color: QColor | None) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(color or Qt.GlobalColor.transparent)
    return QIcon(pixmap)


class RunList(QWidget):
    run_selected = Signal(object)  # Path, or None
    run_checked = Signal(object, bool)  # Path, shown on the plots
    rename_clicked = Signal(object)
    delete_clicked = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setObjectName("run_list")
        self.tree.setHeaderLabels(list(COLUMNS))
        for col, tip in enumerate(COLUMN_TIPS):
            self.tree.headerItem().setToolTip(col, tip)
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(24)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the name gives way (elided)
        self.items: dict[Path, QTreeWidgetItem] = {}
        self._checked: dict[Path, bool] = {}  # itemChanged fires for any change: emit real check changes only
        self.tree.currentItemChanged.connect(self._on_tree_current_item_changed)
        self.tree.itemChanged.connect(self._on_tree_item_changed)
        buttons = QHBoxLayout()
        self.buttons = {}
        for key, text, tip in (("rename", "Rename\u2026", "Rename the selected run"),
                               ("delete", "Delete\u2026", "Delete the selected run's folder (asks first)"),
                               ("folder", "Open Folder", "Show the run's folder in the file manager")):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.clicked.connect(lambda _=False, k=key: self._on_button_clicked(k))
            buttons.addWidget(button)
            self.buttons[key] = button
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    def current_path(self) -> Path | None:
        item = self.tree.currentItem()
        return Path(item.data(0, PATH_ROLE)) if item is not None else None

    def checked_paths(self) -> list[Path]:
        return [p for p, item in self.items.items() if item.checkState(0) == Qt.CheckState.Checked]

    def set_rows(self, rows: list[dict]) -> None:
        """Show these run summaries, keeping check marks and the selection; rows that vanished go."""
        self.tree.blockSignals(True)
        wanted = {Path(r["path"]) for r in rows}
        for path in [p for p in self.items if p not in wanted]:
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(self.items.pop(path)))
        for row in rows:
            path = Path(row["path"])
            item = self.items.get(path)
            if item is None:
                item = self.items[path] = QTreeWidgetItem(self.tree)
                item.setData(0, PATH_ROLE, str(path))
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(0, Qt.CheckState.Unchecked)
            self._fill(item, row)
        self.tree.blockSignals(False)
        self._update_buttons()

    def _fill(self, item: QTreeWidgetItem, row: dict) -> None:
        best = row.get("best_eval")
        started = row.get("started")
        state = row.get("state", "")
        texts = (row_name(row), f"damaged: {row.get('message', '')}" if state == "damaged" else state,
                 f"{row.get('step', 0):,}/{short_count(row.get('total_steps', 0))}",
                 f"{best:.1%}" if isinstance(best, (int, float)) else "-", row.get("device", ""))
        for col, text in enumerate(texts):
            item.setText(col, text)
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(started)) if started else "not started"
        kind = f"experiment run ({row['experiment']})\n" if row.get("experiment") else ""
        item.setToolTip(0, f"{kind}{row_name(row)}\nstarted {when}\n{row['path']}\n{row.get('message', '')}".strip())
        font = item.font(0)
        font.setItalic(bool(row.get("experiment")))
        item.setFont(0, QFont(font))
        item.setForeground(1, QColor(STATE_COLORS[state]) if state in STATE_COLORS else item.foreground(2))

    def set_step(self, path: Path, step: int, total: int) -> None:
        """A live run's step, as its events arrive (its status file is written less often)."""
        item = self.items.get(Path(path))
        if item is not None:
            self.tree.blockSignals(True)
            item.setText(2, f"{step:,}/{short_count(total)}")
            self.tree.blockSignals(False)

    def set_color(self, path: Path, color: QColor | None) -> None:
        item = self.items.get(Path(path))
        if item is not None:
            self.tree.blockSignals(True)  # an icon is not a check-state change
            item.setIcon(0, swatch(color))
            self.tree.blockSignals(False)

    def set_checked(self, path: Path, on: bool) -> None:
        item = self.items.get(Path(path))
        if item is not None and (item.checkState(0) == Qt.CheckState.Checked) != on:
            item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def select(self, path: Path) -> None:
        item = self.items.get(Path(path))
        if item is not None:
            self.tree.setCurrentItem(item)

    def _on_tree_current_item_changed(self, current, _previous) -> None:
        self._update_buttons()
        self.run_selected.emit(Path(current.data(0, PATH_ROLE)) if current is not None else None)

    def _on_tree_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        path = Path(item.data(0, PATH_ROLE))
        checked = item.checkState(0) == Qt.CheckState.Checked
        if column == 0 and self._checked.get(path, False) != checked:
            self._checked[path] = checked
            self.run_checked.emit(path, checked)

    def _on_button_clicked(self, key: str) -> None:
        path = self.current_path()
        if path is None:
            return
        if key == "rename":
            self.rename_clicked.emit(path)
        elif key == "delete":
            self.delete_clicked.emit(path)
        else:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def _update_buttons(self) -> None:
        for button in self.buttons.values():
            button.setEnabled(self.tree.currentItem() is not None)
