"""The TRM / HRM models, their layers, heads, losses, presets and checkpoint import."""
