#!/usr/bin/env bash
# Build the one-folder desktop bundle into dist/trm-lab and self-test it. One command:
#     packaging/build.sh
# It installs the project with the bundle extra (PyInstaller) into the current Python; use a
# virtual environment with the CPU build of torch (pip install torch==<version> --index-url
# https://download.pytorch.org/whl/cpu) to keep the bundle near 1 GB instead of 3-5 GB.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q -e ".[bundle]"
python packaging/make_icons.py
python -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/trm-lab.spec
du -sh dist/trm-lab
QT_QPA_PLATFORM=offscreen dist/trm-lab/trm-lab --self-test
