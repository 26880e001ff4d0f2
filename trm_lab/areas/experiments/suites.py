"""The suites of the paper's claims, as the Experiments area lists them: SuiteList (one row per suite)
and SuiteDetails (the claim, each variant with the paper's figures, what each scale trains)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trm_engine.experiments.suites import METRICS, SCALES, Suite, Variant, list_suites, load_suite_file

from .rows import metric_header

NAME_ROLE = Qt.ItemDataRole.UserRole
VARIANT_COLUMNS = ("Variant", "What it is", "Paper", "Lab preset", "Paper preset")


def paper_text(variant: Variant) -> str:
    """The paper's figures for a variant: '87.4% exact', 'NFP 1'; '–' where the paper has none."""
    parts = []
    for name, value in variant.paper.items():
        label = metric_header(name).replace(" %", "")
        if value is None:
            parts.append(f"{label} \u2013")
        elif METRICS[name].percent:
            parts.append(f"{value:g}% {label}")
        else:
            parts.append(f"{label} {value:g}")
    return ", ".join(parts) or "\u2013"


def default_length(specs) -> str:
    """A suite's default run length at one scale, in words: equal CPU time, or equal optimizer steps."""
    cpu = {s.cpu_minutes for s in specs}
    if len(cpu) == 1 and 0 not in cpu:
        return f"{cpu.pop():g} CPU-minutes"
    steps = {s.steps for s in specs}
    return f"{steps.pop()} steps" if len(steps) == 1 and 0 not in steps else "the preset's length"


def scale_text(suite: Suite, scale: str) -> str:
    """What one scale trains: presets, datasets and the default length of a run."""
    specs = [suite.spec(v, scale) for v in suite.variants]
    presets = ", ".join(dict.fromkeys(s.preset for s in specs if s.preset))
    data = []
    for name in dict.fromkeys(s.data for s in specs if s.data):
        spec = suite.datasets.get(name)
        data.append(f"{name} (official dataset)" if spec is not None and spec.official else name)
    length = default_length(specs)
    return f"<b>{scale}</b>: {presets} on {', '.join(data)}; {length}{'' if 'preset' in length else ' per run'}"


class SuiteList(QWidget):
    """Every suite: its name and title; the suites of a user's suite file are marked."""

    suite_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setObjectName("suite_list")
        self.list.setWordWrap(True)
        self.list.setSpacing(2)
        self.list.currentItemChanged.connect(self._on_list_current_item_changed)
        self.suites: dict[str, Suite] = {}
        self.from_file: set[str] = set()  # the suites a suite file added or replaced
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 0, 4)
        title = QLabel("<b>Suites</b>: the paper's claims")
        layout.addWidget(title)
        layout.addWidget(self.list, 1)

    def load(self, suite_file: str = "") -> None:
        """The built-in suites, plus those of a suite file (ConfigError when it cannot be read)."""
        from_file = set(load_suite_file(suite_file)) if suite_file else set()
        self.set_suites(list_suites(suite_file or None), from_file)

    def set_suites(self, suites: list[Suite], from_file: set[str] = frozenset()) -> None:
        current = self.current()
        self.from_file = set(from_file)
        self.list.blockSignals(True)
        self.list.clear()
        self.suites = {s.name: s for s in suites}
        for s in suites:
            marker = " \u2022 suite file" if s.name in from_file else ""
            item = QListWidgetItem(f"{s.name}{marker}\n{s.title}")
            item.setData(NAME_ROLE, s.name)
            item.setToolTip(f"{s.claim}\n({s.ref})")
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.select(current if current in self.suites else (suites[0].name if suites else ""))

    def current(self) -> str:
        item = self.list.currentItem()
        return item.data(NAME_ROLE) if item is not None else ""

    def select(self, name: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(NAME_ROLE) == name:
                if self.list.currentRow() != i:
                    self.list.setCurrentRow(i)
                else:
                    self.suite_selected.emit(name)
                return

    def _on_list_current_item_changed(self, item, _previous) -> None:
        if item is not None:
            self.suite_selected.emit(item.data(NAME_ROLE))


class SuiteDetails(QWidget):
    """One suite: title, the paper's claim, the variants with the paper's numbers, the scales."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel()
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.claim = QLabel()
        self.claim.setWordWrap(True)
        self.claim.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.variants = QTableWidget(0, len(VARIANT_COLUMNS))
        self.variants.setObjectName("suite_variants")
        self.variants.setHorizontalHeaderLabels(VARIANT_COLUMNS)
        self.variants.verticalHeader().hide()
        self.variants.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.variants.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.variants.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.claims = QLabel()
        self.claims.setWordWrap(True)
        self.scales = QLabel()
        self.scales.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.title, self.claim):
            layout.addWidget(widget)
        layout.addWidget(self.variants, 1)
        layout.addWidget(self.claims)
        layout.addWidget(self.scales)

    def show_suite(self, suite: Suite | None) -> None:
        if suite is None:
            for label in (self.title, self.claim, self.claims, self.scales):
                label.clear()
            self.variants.setRowCount(0)
            return
        self.title.setText(suite.title)
        self.claim.setText(f"<b>The paper's claim</b> ({suite.ref}): {suite.claim}")
        self.variants.setRowCount(len(suite.variants))
        for row, v in enumerate(suite.variants):
            what = v.label + (f" ({v.note})" if v.note else "")
            cells = (v.name, what, paper_text(v), suite.spec(v, "lab").preset, suite.spec(v, "paper").preset)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 2:
                    item.setToolTip("the paper's figure (arXiv 2510.04871)")
                self.variants.setItem(row, col, item)
        self.claims.setText("<b>Judged</b>: " + "; ".join(
            f"{c.better} beats {c.worse} on {METRICS[c.metric].label}" for c in suite.claims))
        self.scales.setText("<b>Scales</b>: " + " &nbsp;|&nbsp; ".join(scale_text(suite, s) for s in SCALES))

    def variant_paper(self, row: int) -> str:
        item = self.variants.item(row, 2)
        return item.text() if item is not None else ""
