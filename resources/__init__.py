"""Files shipped with TRM Lab: icons, example puzzles, demo models (installed as the package trm_resources)."""
