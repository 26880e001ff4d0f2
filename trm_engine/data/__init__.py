"""Dataset files (HDF5), importers and exporters of the official formats, and the augmenting sampler."""
