"""Shipping a checkpoint: model cards with measured numbers, `python -m lda_model.release`, Hub upload."""
