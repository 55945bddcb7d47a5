"""Training data: the prepared face cache, identity splits, label files, synthesized forgeries, the training dataset."""
