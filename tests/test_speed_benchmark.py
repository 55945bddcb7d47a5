"""benchmarks/speed.py: the LDA overhead is read from paired rounds (figures only, no timed asserts)."""

import torch

from benchmarks.speed import paired_model_times


def test_paired_rounds_give_one_ratio_per_round_and_each_models_best(tiny_detector):
    cfg = tiny_detector.config
    base = type(tiny_detector)(cfg.replace(use_spatial=False, use_temporal=False)).eval()
    calls = {"a": 0, "b": 0}

    def counted(model, key):
        def run(clip):
            calls[key] += 1
            return model(clip)
        return run

    clip = torch.randn(2, cfg.clip_length, 3, cfg.backbone_size, cfg.backbone_size)
    ta, tb, ratios = paired_model_times(counted(tiny_detector, "a"), counted(base, "b"), clip, repeat=2, rounds=4)
    assert len(ratios) == 4 and all(r > 0 for r in ratios)
    assert calls == {"a": 1 + 4 * 2, "b": 1 + 4 * 2}  # one warm-up each, then `repeat` calls per round, alternating
    assert ta > 0 and tb > 0
