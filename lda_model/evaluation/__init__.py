"""Measurements: ACC/AUC and intervals, and the held-out evaluations behind `python -m lda_model.evaluate`."""
