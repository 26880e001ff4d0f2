"""The Inspect area's choosers: the setup bar (model, puzzle, steps, level, Run / Stop) and the start page
a new user sees first, which offers "Inspect a demo model" before anything else.

Widgets only: they list what they are given and report the user's picks; the panel does the work.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .models import ModelChoice, accuracy_text

LEVELS = {"inner": "every update", "step": "per step", "full": "every update + tensors"}
FILE_ITEM = "file"  # the model box's "Checkpoint file..." entry


class SetupBar(QWidget):
    """Model, puzzle, steps, level, Run and Stop in one row."""

    model_picked = Signal(object)  # ModelChoice, or FILE_ITEM for "Checkpoint file..."
    puzzle_picked = Signal(object)  # the data of the picked puzzle item (see set_puzzles)
    run_clicked = Signal()
    stop_clicked = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model_box = QComboBox()
        self.model_box.setObjectName("model_box")
        # Boxes sized by a minimum number of characters, not their longest item (which the popup shows
        # whole), so choosing a model or a puzzle never widens the window: the row fits 1024 pixels.
        self.model_box.setMinimumContentsLength(14)
        self.model_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_box.setToolTip("The model to inspect: a demo model, a training run's best checkpoint, or a file")
        self.puzzle_box = QComboBox()
        self.puzzle_box.setObjectName("puzzle_box")
        self.puzzle_box.setMinimumContentsLength(12)
        self.puzzle_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.puzzle_box.setToolTip("The puzzle: an example, your puzzles, the Puzzles editor's, a dataset row, "
                                   "or a blank one to draw in the input view")
        self.steps = QSpinBox()
        self.steps.setRange(1, 512)
        self.steps.setValue(16)
        self.steps.setToolTip("Supervision steps to run (more than the model was trained with is allowed)")
        self.level = QComboBox()
        self.level.setMinimumContentsLength(9)
        self.level.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        for key, text in LEVELS.items():
            self.level.addItem(text, key)
        self.level.setToolTip("What to record: every y and z update, or only the last of each supervision step")
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("run_button")
        self.run_button.setDefault(True)
        self.run_button.setToolTip("Run the model on the puzzle and watch the states stream in (Ctrl+R)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.model_info = QLabel("")
        self.model_info.setObjectName("model_info")
        self.model_info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 0)
        for label, widget in (("Model", self.model_box), ("Puzzle", self.puzzle_box), ("Steps", self.steps),
                              ("Record", self.level)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addWidget(self.run_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.model_info, 1)
        self.model_box.activated.connect(self._on_model_box_activated)
        self.puzzle_box.activated.connect(self._on_puzzle_box_activated)
        self.run_button.clicked.connect(self.run_clicked)
        self.stop_button.clicked.connect(self.stop_clicked)

    # ---- models -----------------------------------------------------------------------------------
    def set_models(self, models: list[ModelChoice], current: ModelChoice | None = None) -> None:
        box = self.model_box
        box.blockSignals(True)
        box.clear()
        box.addItem("Choose a model\u2026", None)
        for m in models:
            prefix = {"demo": "Demo: ", "run": "Run: "}.get(m.kind, "")
            box.addItem(prefix + m.title, m)
            box.setItemData(box.count() - 1, str(m.checkpoint), Qt.ItemDataRole.ToolTipRole)
        box.addItem("Checkpoint file\u2026", FILE_ITEM)
        index = next((i for i in range(box.count()) if current is not None and box.itemData(i) == current), 0)
        box.setCurrentIndex(index)
        box.blockSignals(False)

    def select_model(self, choice: ModelChoice) -> None:
        """Show `choice` as the current model, adding it when it is not listed (a file)."""
        box = self.model_box
        index = next((i for i in range(box.count()) if box.itemData(i) == choice), -1)
        if index < 0:
            box.insertItem(box.count() - 1, choice.title, choice)
            index = box.count() - 2
        box.setCurrentIndex(index)

    def show_model(self, choice: ModelChoice, family: str, model) -> None:
        """What the loaded model is: family, size, T, n, N_sup (the checkpoint and description on hover)."""
        cfg = model.cfg
        params = sum(p.numel() for p in model.parameters())
        info = f"{family}, {params / 1e6:.2f}M parameters, T={cfg.h_cycles}, n={cfg.l_cycles}, N_sup={cfg.halt_max_steps}"
        self.model_info.setText(info)
        self.model_info.setToolTip(f"{choice.checkpoint}\n{info}\n{choice.description}".strip())

    def _on_model_box_activated(self, index: int) -> None:
        data = self.model_box.itemData(index)
        if data is not None:
            self.model_picked.emit(data)

    # ---- puzzles ----------------------------------------------------------------------------------
    def set_puzzles(self, items: list[tuple[str, object]]) -> None:
        """(text, data) per puzzle; data None makes a heading."""
        box = self.puzzle_box
        box.blockSignals(True)
        box.clear()
        for text, data in items:
            box.addItem(text, data)
            if data is None:
                item = box.model().item(box.count() - 1)
                item.setEnabled(False)
        box.setCurrentIndex(next((i for i, (_, d) in enumerate(items) if d is not None), -1))
        box.blockSignals(False)

    def _on_puzzle_box_activated(self, index: int) -> None:
        data = self.puzzle_box.itemData(index)
        if data is not None:
            self.puzzle_picked.emit(data)

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.model_box.setEnabled(not running)


class StartPage(QWidget):
    """What the empty Inspect area shows: the demo models first, then the other ways in."""

    demo_picked = Signal(object)  # ModelChoice
    checkpoint_clicked = Signal()
    trace_clicked = Signal()
    probes_clicked = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        title = QLabel("<h2>Watch a Tiny Recursive Model think</h2>"
                       "<p>Step through every update of the answer <i>y</i> and the latent <i>z</i>, intervene, "
                       "branch, and export the whole trajectory.</p>")
        title.setWordWrap(True)
        self.demo_button = QPushButton("Inspect a demo model")
        self.demo_button.setObjectName("demo_button")
        self.demo_button.setDefault(True)
        self.demo_button.setMinimumHeight(40)
        self.demo_button.setStyleSheet("font-size: 15px; font-weight: bold; padding: 6px 18px")
        self.demo_button.setToolTip("Load the selected demo model and run it on one of its example puzzles")
        self.demo_list = QListWidget()
        self.demo_list.setObjectName("demo_list")
        self.demo_list.setMaximumHeight(170)
        self.demo_list.setWordWrap(True)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        others = QHBoxLayout()
        for text, signal in (("Open a checkpoint\u2026", self.checkpoint_clicked),
                             ("Open a trace file\u2026", self.trace_clicked),
                             ("Open a run's probe traces\u2026", self.probes_clicked)):
            button = QToolButton()
            button.setText(text)
            button.clicked.connect(signal)
            others.addWidget(button)
        others.addStretch(1)
        column = QVBoxLayout()
        column.addWidget(title)
        column.addWidget(self.demo_button, 0, Qt.AlignmentFlag.AlignLeft)
        column.addWidget(self.demo_list)
        column.addWidget(self.note)
        column.addSpacing(12)
        column.addWidget(QLabel("Or:"))
        column.addLayout(others)
        column.addStretch(1)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(column, 4)
        outer.addStretch(1)
        self.demo_button.clicked.connect(self._on_demo_button_clicked)
        self.demo_list.itemActivated.connect(lambda _item: self._on_demo_button_clicked())

    def set_demos(self, demos: list[ModelChoice]) -> None:
        self.demo_list.clear()
        for m in demos:
            lines = [m.title]
            if m.description:
                lines.append(m.description)
            if m.accuracy:
                lines.append("measured: " + accuracy_text(m.accuracy))
            item = QListWidgetItem("\n".join(lines))
            item.setData(Qt.ItemDataRole.UserRole, m)
            item.setToolTip("\n".join(m.recipe) or str(m.checkpoint))
            self.demo_list.addItem(item)
        if demos:
            self.demo_list.setCurrentRow(0)
        self.demo_button.setEnabled(bool(demos))
        self.demo_list.setVisible(bool(demos))
        self.note.setText("" if demos else "No demo models are installed (resources/models is empty): open a "
                                           "checkpoint of your own, or train one in the Train area.")

    def _on_demo_button_clicked(self) -> None:
        item = self.demo_list.currentItem() or self.demo_list.item(0)
        if item is not None:
            self.demo_picked.emit(item.data(Qt.ItemDataRole.UserRole))
