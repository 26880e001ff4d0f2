"""Button texts draw with the app's fonts: a glyph the font lacks shows as a box (the Pause button's
U+23F8 did, with DejaVu Sans)."""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics

from trm_lab.areas.inspect.views import PlaybackBar


def test_play_pause_button_uses_icons_and_plain_text(qtbot):
    bar = PlaybackBar()
    qtbot.addWidget(bar)
    button = bar.play_button
    for on, text in ((False, "Play"), (True, "Pause"), (False, "Play")):
        button.setChecked(on)
        assert button.text() == text and not button.icon().isNull()
        metrics = QFontMetrics(button.font())
        assert all(metrics.inFontUcs4(ord(ch)) for ch in button.text())
