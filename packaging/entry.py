"""Entry point of the bundled app (PyInstaller runs this file as __main__)."""

import multiprocessing
import sys

from trm_lab.app import main

if __name__ == "__main__":
    # The dataset reader probes a new file in a fork-server child (trm_engine/data/dataset_probe.py); in a
    # frozen app that child is this executable again, and freeze_support runs it as the child, not the app.
    multiprocessing.freeze_support()
    sys.exit(main())
