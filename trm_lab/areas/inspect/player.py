"""Playback in the Inspect area: a timer that steps the active strip's cursor at the playback bar's
speed, looping or stopping at the end (while a run is still streaming in, it waits for more states)."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer


class Player(QObject):
    """Plays the InspectPanel `panel` (its strips, playback bar and session)."""

    def __init__(self, panel):
        super().__init__(panel)
        self.panel = panel
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._on_timer_timeout)
        panel.playback.fps_changed.connect(lambda fps: self.timer.setInterval(int(1000 / fps)))

    def set_playing(self, on: bool) -> None:
        p = self.panel
        if p.playback.play_button.isChecked() != on:
            p.playback.play_button.setChecked(on)  # comes back here through play_toggled
            return
        if on:
            self.timer.start(int(1000 / p.playback.fps.value()))
            (p.active or p.strip).timeline.setFocus()
        else:
            self.timer.stop()

    def _on_timer_timeout(self) -> None:
        p = self.panel
        strip = p.active or p.strip
        count = strip.timeline.count()
        if count == 0:
            return self.set_playing(False)
        if strip.current >= count - 1:
            if p.playback.loop.isChecked():
                strip.set_current(0)
            elif not p.session.busy:
                self.set_playing(False)
            return
        strip.set_current(strip.current + 1)
