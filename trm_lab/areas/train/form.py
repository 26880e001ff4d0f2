"""ConfigForm: the editable fields of a RunConfig, built from the engine's config dataclasses.

Every field of ModelConfig / TrainConfig / DataConfig becomes an editor (check box, spin box, choice
or text) labelled with its name and, where the field's comment gives one, the paper's symbol
(`h_cycles: int = 3  # T` shows as "h_cycles  (T)"); the whole comment is the tooltip. The form hands
back `key=value` overrides, so the engine's own `apply_overrides` checks types and values.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import typing

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from trm_engine import config as engine_config
from trm_engine.config import DataConfig, ModelConfig, RunConfig, TrainConfig

SECTIONS = {"model": ("Model", ModelConfig), "train": ("Training", TrainConfig), "data": ("Data", DataConfig)}

# Fields the New Run dialog sets in its own rows, or that training takes from the dataset.
OWN_ROWS = {"train.steps", "train.epochs", "train.seed", "train.device", "train.threads", "data.path"}
FROM_DATASET = {"model.vocab_size", "model.seq_len", "model.num_puzzle_identifiers"}

CHOICES = {
    "model.arch": ("trm", "hrm"), "model.mixer": engine_config.MIXERS,
    "model.pos_encodings": engine_config.POS_ENCODINGS, "model.gradient": engine_config.GRADIENTS,
    "model.loss": engine_config.LOSSES, "model.dtype": ("auto", "float32", "bfloat16", "float16"),
    "train.optimizer": engine_config.OPTIMIZERS, "train.supervision": engine_config.SUPERVISIONS,
}

_FIELD_LINE = re.compile(r"^\s+(\w+)\s*:\s*[^=#]+=[^#]*#\s*(.+?)\s*$")
_SYMBOL = re.compile(r"^([A-Za-z](?:_[A-Za-z]+)?)(?=[:,]|$)")


@functools.cache
def field_notes(cls) -> dict[str, str]:
    """name -> the comment after the field in the engine's source ('' where there is none)."""
    notes = {}
    for line in inspect.getsource(cls).splitlines():
        match = _FIELD_LINE.match(line)
        if match:
            notes[match.group(1)] = match.group(2)
    return notes


def paper_symbol(note: str) -> str:
    """The symbol a field comment starts with ('T: cycles ...' -> 'T', 'D' -> 'D'), or ''."""
    match = _SYMBOL.match(note)
    return match.group(1) if match else ""


def field_label(section: str, name: str) -> str:
    symbol = paper_symbol(field_notes(SECTIONS[section][1]).get(name, ""))
    return f"{name}  ({symbol})" if symbol else name


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


class ConfigForm(QTabWidget):
    """One tab per config section; `overrides()` is the form as `section.key=value` strings."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.editors: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        for section, (title, cls) in SECTIONS.items():
            page = QWidget()
            form = QFormLayout(page)
            hints = typing.get_type_hints(cls)
            notes = field_notes(cls)
            for f in dataclasses.fields(cls):
                key = f"{section}.{f.name}"
                if key in OWN_ROWS or key in FROM_DATASET:
                    continue
                editor = self._editor(key, hints[f.name])
                editor.setObjectName(key)
                editor.setToolTip(notes.get(f.name, ""))
                label = QLabel(field_label(section, f.name))
                label.setToolTip(notes.get(f.name, ""))
                form.addRow(label, editor)
                self.editors[key], self.labels[key] = editor, label
            if section == "model":
                note = QLabel("V (vocabulary), sequence length and puzzle identifiers come from the dataset.")
                note.setWordWrap(True)
                form.addRow(note)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setWidget(page)
            holder = QWidget()
            QVBoxLayout(holder).addWidget(scroll)
            holder.layout().setContentsMargins(0, 0, 0, 0)
            self.addTab(holder, title)

    def _editor(self, key: str, typ) -> QWidget:
        if typ is bool:
            editor = QCheckBox()
            editor.toggled.connect(self.changed)
        elif key in CHOICES:
            editor = QComboBox()
            editor.addItems(list(CHOICES[key]))
            editor.currentIndexChanged.connect(self.changed)
        elif typ is int:
            editor = QSpinBox()
            editor.setRange(0, 2**31 - 1)
            editor.setGroupSeparatorShown(True)
            editor.valueChanged.connect(self.changed)
        else:
            editor = QLineEdit()
            editor.textChanged.connect(self.changed)
        return editor

    def set_config(self, cfg: RunConfig) -> None:
        """Show `cfg`'s values (without emitting `changed` for each field)."""
        data = cfg.to_dict()
        self.blockSignals(True)
        for key, editor in self.editors.items():
            section, name = key.split(".", 1)
            value = data[section][name]
            editor.blockSignals(True)
            if isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QComboBox):
                editor.setCurrentIndex(max(0, editor.findText(str(value))))
            elif isinstance(editor, QSpinBox):
                editor.setValue(int(value))
            else:
                editor.setText(_text(value))
            editor.blockSignals(False)
        self.blockSignals(False)
        self.changed.emit()

    def value_text(self, key: str) -> str:
        editor = self.editors[key]
        if isinstance(editor, QCheckBox):
            return "true" if editor.isChecked() else "false"
        if isinstance(editor, QComboBox):
            return editor.currentText()
        if isinstance(editor, QSpinBox):
            return str(editor.value())
        return editor.text().strip()

    def set_value(self, key: str, value) -> None:
        editor = self.editors[key]
        if isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(editor.findText(str(value)))
        elif isinstance(editor, QSpinBox):
            editor.setValue(int(value))
        else:
            editor.setText(_text(value))

    def overrides(self) -> list[str]:
        return [f"{key}={self.value_text(key)}" for key in self.editors]
