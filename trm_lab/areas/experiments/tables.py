"""The Experiments area's tables: RunsTable (every run of the plan: state, step, exact %, cells %, s/step,
filled in live), SummaryTable (each variant's mean ± std over seeds beside the paper's figure) and
VerdictsTable (each claim judged, from the exported report), laid out with the plan line and the progress
bar by ResultsView."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trm_engine.experiments.stats import NO_WORSE, NOT_REPRODUCED, REPRODUCED

from .rows import ExperimentRows, RunRow, metric_header, metric_tip

RUN_COLUMNS = ("Variant", "Seed", "State", "Step", "Exact %", "Cells %", "s/step", "Detail")
STATE_COLORS = {"done": "#2E9B4E", "training": "#1F6FD1", "resumable": "#C98A00", "failed": "#D13B3B",
                "conflict": "#D13B3B", "needs-data": "#D13B3B", "running": "#8C5AC8"}
VERDICT_COLORS = {REPRODUCED: "#2E9B4E", NO_WORSE: "#2E9B4E", NOT_REPRODUCED: "#D13B3B"}


def _percent(value: float | None) -> str:
    return "" if value is None or value != value else f"{value * 100:.1f}"


def _setup(table: QTableWidget, columns=()) -> None:
    if columns:
        table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)


class RunsTable(QTableWidget):
    """One row per run of the plan; the selected row is the run "Open in Train Monitor" shows."""

    run_selected = Signal(object)  # Path of the selected run directory, or None

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, len(RUN_COLUMNS), parent)
        _setup(self, RUN_COLUMNS)
        self.setObjectName("runs_table")
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.itemSelectionChanged.connect(self._on_item_selection_changed)
        self.run_dirs: list[Path] = []

    def set_rows(self, rows: ExperimentRows | None) -> None:
        selected = self.selected()
        runs = rows.rows if rows is not None else []
        self.run_dirs = [r.run_dir for r in runs]
        self.setRowCount(len(runs))
        for i, row in enumerate(runs):
            self.update_row(i, row)
        if selected in self.run_dirs:
            self.selectRow(self.run_dirs.index(selected))

    def update_row(self, index: int, row: RunRow) -> None:
        sps = "" if row.seconds_per_step is None or row.seconds_per_step != row.seconds_per_step \
            else f"{row.seconds_per_step:.3f}"
        step = f"{row.step}" + (f" / {row.total}" if 0 < row.total < 10**8 and row.state != "done" else "")
        texts = (row.variant, str(row.seed), row.state, step, _percent(row.exact), _percent(row.cells), sps, row.detail)
        for col, text in enumerate(texts):
            item = self.item(index, col)
            if item is None:
                item = QTableWidgetItem()
                if 1 <= col <= 6:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(index, col, item)
            if item.text() != text:
                item.setText(text)
        state = self.item(index, 2)
        color = STATE_COLORS.get(row.state)
        state.setForeground(QBrush(QColor(color)) if color else QBrush())
        self.item(index, 7).setToolTip(row.detail)
        for col in (4, 5):  # an evaluation during training, not yet the final measure
            item = self.item(index, col)
            font = item.font()
            font.setItalic(row.result is None)
            item.setFont(font)

    def text(self, row: int, column: str) -> str:
        item = self.item(row, RUN_COLUMNS.index(column))
        return item.text() if item is not None else ""

    def selected(self) -> Path | None:
        rows = self.selectionModel().selectedRows()
        return self.run_dirs[rows[0].row()] if rows and rows[0].row() < len(self.run_dirs) else None

    def _on_item_selection_changed(self) -> None:
        self.run_selected.emit(self.selected())


class SummaryTable(QTableWidget):
    """Variant, measured mean ± std over seeds of each metric, the paper's figure, runs measured."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 0, parent)
        _setup(self)
        self.setObjectName("summary_table")
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)

    def set_rows(self, rows: ExperimentRows | None) -> None:
        headers, cells = rows.summary() if rows is not None else ([], [])
        if [self.horizontalHeaderItem(i).text() if self.horizontalHeaderItem(i) else ""
                for i in range(self.columnCount())] != [metric_header(h) for h in headers]:
            self.setColumnCount(len(headers))
            for col, name in enumerate(headers):
                item = QTableWidgetItem(metric_header(name))
                item.setToolTip(metric_tip(name) or ("the paper's figure" if name == "paper" else ""))
                self.setHorizontalHeaderItem(col, item)
        self.setRowCount(len(cells))
        for r, row in enumerate(cells):
            for c, text in enumerate(row):
                item = self.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    if c:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    if headers[c] == "paper":
                        item.setForeground(QBrush(QColor("#8A8F98")))
                    self.setItem(r, c, item)
                item.setText(text)

    def text(self, row: int, column: int) -> str:
        item = self.item(row, column)
        return item.text() if item is not None else ""


class VerdictsTable(QTableWidget):
    """Each claim of the suite, what was measured, the paper's figures and the verdict (from the report)."""

    COLUMNS = ("Claim", "Verdict", "Measured (better vs worse)", "Paper")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, len(self.COLUMNS), parent)
        _setup(self, self.COLUMNS)
        self.setObjectName("verdicts_table")
        self.horizontalHeader().setStretchLastSection(False)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def set_verdicts(self, verdicts) -> None:
        self.setRowCount(len(verdicts))
        for r, v in enumerate(verdicts):
            cells = (f"{v.text} ({v.metric})", v.verdict, f"{v.better} vs {v.worse}", v.paper)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if c == 1:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                    if v.verdict in VERDICT_COLORS:
                        item.setForeground(QBrush(QColor(VERDICT_COLORS[v.verdict])))
                self.setItem(r, c, item)

    def verdict_texts(self) -> list[str]:
        return [self.item(r, 1).text() for r in range(self.rowCount())]


def _captioned(text: str, widget: QWidget) -> QWidget:
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    label = QLabel(f"<b>{text}</b>")
    label.setContentsMargins(0, 4, 0, 0)
    column.addWidget(label)
    column.addWidget(widget, 1)
    return box


class ResultsView(QWidget):
    """The plan line and progress bar over the runs table and the summary, and the verdicts below."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.runs_table = RunsTable()
        self.summary = SummaryTable()
        self.verdicts = VerdictsTable()
        self.plan_label = QLabel()
        self.plan_label.setObjectName("plan_label")
        self.plan_label.setWordWrap(True)
        self.plan_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(14)
        self.progress_label = QLabel()
        self.middle = QSplitter(Qt.Orientation.Horizontal)  # runs | summary
        self.middle.addWidget(self.runs_table)
        self.middle.addWidget(_captioned("Summary: mean \u00b1 std over seeds, beside the paper", self.summary))
        self.middle.setSizes([470, 530])
        self.bottom = QSplitter(Qt.Orientation.Vertical)  # runs and summary over the verdicts
        self.bottom.addWidget(self.middle)
        self.bottom.addWidget(_captioned("Verdicts (from the exported report)", self.verdicts))
        self.bottom.setSizes([200, 180])
        line = QHBoxLayout()
        line.addWidget(self.progress, 1)
        line.addWidget(self.progress_label, 2)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        caption = QLabel("<b>Plan and runs</b>")
        caption.setContentsMargins(0, 4, 0, 0)
        column.addWidget(caption)
        column.addWidget(self.plan_label)
        column.addLayout(line)
        column.addWidget(self.bottom, 1)
