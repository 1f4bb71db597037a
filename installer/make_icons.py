"""Draws the app icon's PNG and Windows ICO from ``icons/shared-care-planner.svg``.

Run once after changing the SVG (``python installer/make_icons.py``); the outputs are
committed, so building the installer needs neither this script nor a display. Qt (QtSvg)
draws each size; the ICO holds PNG images of 16 to 256 pixels, which Windows Vista and
later read.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent / "icons"
SVG = ICONS / "shared-care-planner.svg"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
PNG_SIZE = 256


def draw_png(size: int) -> bytes:
    """The SVG drawn at ``size`` × ``size`` pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(SVG)).render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, b"PNG")
    buffer.close()
    return bytes(data.data())


def ico(images: dict[int, bytes]) -> bytes:
    """An ICO file of PNG images (ICONDIR, one ICONDIRENTRY per size, then the images)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = b"", b""
    for size, png in sorted(images.items()):
        side = 0 if size >= 256 else size  # 0 means 256 in an ICO directory
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + entries + blobs


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv[:1])  # noqa: F841 - QImage painting needs one
    (ICONS / "shared-care-planner.png").write_bytes(draw_png(PNG_SIZE))
    (ICONS / "shared-care-planner.ico").write_bytes(ico({s: draw_png(s) for s in ICO_SIZES}))
    print(f"wrote {ICONS / 'shared-care-planner.png'} and {ICONS / 'shared-care-planner.ico'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
