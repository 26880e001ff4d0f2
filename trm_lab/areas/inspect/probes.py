"""ProbeBar: step through a training run's probe traces checkpoint by checkpoint - the same puzzle's
recursion, recorded at every evaluation of the run (the engine's trace.probes) - with a slider over the
training steps, to see how the recursion itself changes as the model learns.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QToolButton, QWidget


class ProbeBar(QWidget):
    """See the module docstring. Emits the trace file to show."""

    trace_picked = Signal(object)  # Path
    closed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.probes: dict[int, list[tuple[int, Path]]] = {}
        self.run_label = QLabel("")
        self.probe_box = QComboBox()
        self.probe_box.setObjectName("probe_box")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("probe_slider")
        self.slider.setPageStep(1)
        self.slider.setToolTip("Training step of the checkpoint that recorded the trace (arrows / PageUp / PageDown)")
        self.step_label = QLabel("")
        self.step_label.setObjectName("probe_step")
        self.step_label.setMinimumWidth(170)
        close = QToolButton()
        close.setText("\u00d7")
        close.setToolTip("Close the probe traces")
        close.clicked.connect(self.closed)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 0, 6, 0)
        row.addWidget(self.run_label)
        row.addWidget(QLabel("probe puzzle"))
        row.addWidget(self.probe_box)
        row.addWidget(QLabel("training step"))
        row.addWidget(self.slider, 1)
        row.addWidget(self.step_label)
        row.addWidget(close)
        self.probe_box.currentIndexChanged.connect(self._on_probe_box_current_index_changed)
        self.slider.valueChanged.connect(self._on_slider_value_changed)

    def set_probes(self, run_name: str, probes: dict[int, list[tuple[int, Path]]]) -> None:
        """Show a run's probe traces; the last training step of the first probe is picked."""
        self.probes = probes
        self.run_label.setText(f"<b>{run_name}</b>")
        self.probe_box.blockSignals(True)
        self.probe_box.clear()
        for k in sorted(probes):
            self.probe_box.addItem(f"#{k + 1}", k)
        self.probe_box.blockSignals(False)
        steps = self.current_steps()
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(steps) - 1))
        self.slider.setValue(len(steps) - 1)
        self.slider.blockSignals(False)
        self._on_slider_value_changed(self.slider.value())

    def current_steps(self) -> list[tuple[int, Path]]:
        k = self.probe_box.currentData()
        return self.probes.get(k, []) if k is not None else []

    def set_step_index(self, index: int) -> None:
        self.slider.setValue(index)

    def _on_probe_box_current_index_changed(self, _index: int) -> None:
        steps = self.current_steps()
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(steps) - 1))
        self.slider.setValue(len(steps) - 1 if self.slider.value() >= len(steps) else self.slider.value())
        self.slider.blockSignals(False)
        self._on_slider_value_changed(self.slider.value())

    def _on_slider_value_changed(self, value: int) -> None:
        steps = self.current_steps()
        if not 0 <= value < len(steps):
            return
        step, path = steps[value]
        self.step_label.setText(f"step {step:,}  ({value + 1}/{len(steps)})")
        self.trace_picked.emit(path)
