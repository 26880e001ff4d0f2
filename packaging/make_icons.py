"""Render resources/icons/trm-lab.svg to PNGs in the usual desktop sizes (and a Windows .ico)."""

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    renderer = QSvgRenderer(str(ROOT / "resources" / "icons" / "trm-lab.svg"))
    out = ROOT / "packaging" / "icons"
    out.mkdir(exist_ok=True)
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        image.save(str(out / f"trm-lab-{size}.png"))
    from PIL import Image

    Image.open(out / "trm-lab-256.png").save(out / "trm-lab.ico", sizes=[(s, s) for s in (16, 32, 48, 256)])
    print(f"icons in {out}: {', '.join(str(s) for s in SIZES)} px and trm-lab.ico")
    return 0


if __name__ == "__main__":
    sys.exit(main())
