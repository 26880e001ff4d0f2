"""Training: deep supervision with ACT, optimizers, EMA, events, run directories, DDP."""
