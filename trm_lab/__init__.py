"""TRM Lab, the desktop app (PySide6). Imports trm_engine; the engine never imports this package."""
