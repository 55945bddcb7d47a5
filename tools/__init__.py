"""Experiment statistics, cross-validation and cache packing: tools around the library, never imported by it."""
