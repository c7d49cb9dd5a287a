// FADMetrics: Metrics over statistics and classifier outputs: Fréchet distance, FAD-inf, per-song FAD, KL, IS, KID.
