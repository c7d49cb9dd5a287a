// FADStats: Embedding statistics in float64: streaming mean/covariance with exact merging, saved statistics files.
