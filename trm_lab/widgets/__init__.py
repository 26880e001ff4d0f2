"""Engine-agnostic widgets: numpy in, signals out. No trm_engine imports here."""
