"""Evaluate a checkpoint: detection ACC/AUC, held-out synthesized forgeries, localization (a thin CLI over
`lda_model.evaluation`).

    python -m lda_model.evaluate --weights SRC --labels TSV [--split test] [--videos DIR] [--json] [--roc roc.png]
    python -m lda_model.evaluate synthetic --data cache/real_faces [--split test] [--weights SRC] [--json] [--device auto]
    python -m lda_model.evaluate localization --videos DIR [--manifest TSV --split test] [--data CACHE] [--weights SRC] [--json]

- Detection (default): every clip under DIR listed in TSV (`file` relative to the TSV's folder,
  `label` REAL/FAKE, optional `group`, `identity`, `split`; `--groups a,b` keeps those groups,
  `--split test` the test clips of a dataset's label file, `python -m lda_model.data.labels`). Frame level: every
  analysis point of the main track is a sample with its clip's label; video level: the clip's
  score (mean of its main track). Prints ACC (threshold 0.5) and AUC for both; writes the
  video-level ROC curve as a PNG with `--roc`; `video_auc_ci95` is the video AUC's 95 % interval
  when the clips are resampled with replacement (a handful of clips pins an AUC down only loosely).
  `fakes_by_group` scores each group's fakes against every real clip of the run (AUC, mean fake
  score, `detected` = share at or above 0.5): which kind of fake the detector catches.
- synthetic: the identity-disjoint split of a `prepare` cache; each item is scored as a real
  "video" (mean over its segments) and as a fake one (every segment forged by
  `forgery.forge_clip` with a seed fixed per item), so the AUC is over held-out identities.
  `--seeds K` forges each item K times (seeds SEED..SEED+K-1) against its one real score: the
  pooled video AUC is then the mean of the per-seed AUCs (`video_auc_by_seed`), a steadier
  number for comparing checkpoints on a small split. `--device cuda|auto` runs the model on a GPU
  (the paper preset needs one; forging stays on the CPU). `video_auc_ci95` is the 95 % interval of
  the video AUC when the split's identities are resampled with replacement (the luck of which people
  were held out); `videos` lists every video score (item, identity, seed, label), which
  `python -m tools.compare A.json B.json` pairs to ask whether one checkpoint beats another.
  `segment` is the same over every segment on its own (a clip item holds many segments, a photo
  one): more samples, but segments of one clip are not independent. `segment_by_pixel_change`
  splits the fake segments into terciles of mean |fake - real| and gives each tercile's segment
  AUC against all real segments: do misses come from fakes that barely change the pixels?
  `video_by_source` gives the video metrics (and mean real / fake score) of the photo-only items
  and the clip items apart, since a split mixes both; `hardest_reals` / `hardest_fakes` name the
  real items scored highest and the fakes scored lowest (item, seed, kind); `video_by_quality`
  the video metrics of the items whose real face draws `predict`'s and the app's quality caution
  (darker or softer than 99 % of the training faces, `quality.py`) and of the others. On a cache with labelled fakes (`prepare
  --labels`, e.g. FF++'s test split) `labelled_fakes` scores them against the split's real items
  (video level, and per group = manipulation method), from the cache, without re-tracking.
- localization: do the maps point at the forgery? The paper's Fig. 8 as numbers: for each clip's
  analysis points, a defect (`blur_mouth`, `red_pupil`, `distort_mouth`) is put on frames t..t+n at
  the regions frame t's landmarks locate; `rise_rate` is how often the mean map change over the
  region's patches is positive (the headline), `grad_cam_rise_rate`, `hires_cam_rise_rate` and
  `two_scale_cam_rise_rate` the same for the post-hoc maps of the same checkpoint (inference/gradcam.py), `hit_rate` whether the peak change falls on the region
  (`chance`: a random peak's rate; near 1 for almost any weights, see defects.py). With `--data
  CACHE`, `blend_attention` gives each map's patch AUC on the split's synthesized forgeries (blended
  patches against the same patches of the real face; 0.5 = no change). `random_weights` repeats it
  all for the same architecture with random weights (`--no-baseline` skips it).
"""

import sys

from .evaluation.command import main

if __name__ == "__main__":
    sys.exit(main())
