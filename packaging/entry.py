"""Entry point of the bundled app (PyInstaller runs this file as __main__)."""

import sys

from trm_lab.app import main

if __name__ == "__main__":
    sys.exit(main())
