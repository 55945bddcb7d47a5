"""The app's explanations (it teaches): plain words next to every panel."""

INTRO = """
# 🔍 Why does this face look manipulated?
Upload a short clip of a face. A **long distance attention** detector
([Lu et al., 2021](https://arxiv.org/abs/2106.12832)) scores every sampled moment and shows
**where it looked**: per-patch *spatial* attention on the frame and *temporal* attention on the
motion between frames. Everything runs on CPU; nothing leaves this machine.
"""

VERDICT_HELP = """
**How to read the verdict.** The score is the mean probability of "manipulated" over the sampled
moments of the main face. It is FAKE when the score reaches the threshold. A detector trained on
*synthesized* forgeries (see the model card) can be fooled by real manipulations it never saw:
treat the score as evidence, and look at the maps. It looks for a face **blended into** real
footage (a face swap or re-enactment: a seam, a colour or sharpness mismatch, flicker between
frames). A face **generated whole** by a talking-head generator (VASA-1, EMO, SadTalker, ...) has
no seam: the bundled `default` scored all 22 such clips it was tested on as REAL. So REAL means "no blending traces found",
not "authentic".
"""

SPATIAL_HELP = """
**Spatial attention** — the frame is cut into a grid of patches (14 × 14). Each of 12 long
distance attention modules compares every patch with a learned global *forgery template* and
gives it an activation; a 1×1 convolution mixes them into *m* maps. Bright patches are where the
maps let shallow backbone features through. Bright does not by itself mean "fake here": a map is a
gate the detector learned for its own use, and on held-out synthesized forgeries the bundled
`default`'s maps are on average *lower* on the blended patches than on the same patches of the real
face (README, *blend attention*). The last panel, *modules (mean)*, is the 12 modules' own activation
before the mix: the paper's "how much this patch looks like a forgery". It rises only a little on
blended patches, even when trained to (`--mask-loss`, README). Hover a cell to see its row, column
and value.
"""

TEMPORAL_HELP = """
**Temporal attention** — the model sees frame *t* and the **motion residuals** of the next *n*
frames (the difference between consecutive frames, shown amplified). All patches of all time steps
form one sequence, so a patch can be compared with any patch at any time. Each row is one map at
each time step; the last column is that map averaged over time, which gates mid-level features.
Flicker around the face border in the residuals is a typical deepfake trace.
"""

ABLATION_HELP = """
**Ablations** re-run only the model on the cached face track (no re-tracking). *Components*
compares the paper's Table V variants; *m* (number of attention maps) and *n* (number of
following frames) are the paper's Tables VI and VII. In the table of measured numbers, *trained*
says how each variant was trained. The bundled ones were all trained from scratch with `default`'s
recipe and seed, only the ablated part changed (the paper's protocol). A checkpoint fine-tuned from
another says so there and its bar is hatched: it answers "what does this change do to that
checkpoint", not the paper's question. One training run of a recipe can differ from a rerun by a few
hundredths of AUC, so small gaps between bars are not findings (see the README).
"""

DEFECT_HELP = """
**Defect lab** — the paper's Fig. 8, live. Put a visible defect on the face at a place the
landmarks locate, and see whether the attention maps *move to it*: the difference map
(tampered − original; red = attention rose, blue = it fell) should peak, positively, inside the
outlined region. *Chance* is how often a random patch would land inside the region. Each patch's
activation depends on that patch alone, so only the patches the defect touched can change at all:
the telling question is whether attention *rises* there on average (an untrained model rises on
about half of such trials{measured}; see the README).
"""


def defect_help(rise_rate: float | None) -> str:
    """DEFECT_HELP citing the bundled `default`'s measured rise rate (from its card), if any."""
    measured = f", the bundled `default` on {rise_rate:.0%}" if rise_rate is not None else ""
    return DEFECT_HELP.format(measured=measured)


FORGERY_HELP = """
**Training forgeries** — no deepfake dataset was used: every checkpoint learned from real faces
and forgeries synthesized from them on the fly (`lda_model/forgery.py`). Here segments of the real
demo clip (the public-domain astronaut, gently moving) are forged the same way: a **self-blend**
(the face, colour-shifted, resampled or sharpened, blended back onto itself through a deformed,
blurred landmark mask), either *consistent* over the frames, *jittered* per frame or *drifting*. The masks show where pixels were
replaced (white = fully). The table gives the loaded checkpoint's fake probability for the real
clip and the forged one. Face swaps need a second identity, so they are not shown here:
`python -m lda_model.gallery --data CACHE` draws both kinds from prepared real faces.
"""

CONDITION_HELP = """
**Not a forgery: a softer or darker face.** A camera out of focus, a video upscaled from a low
resolution or a dark room changes a *real* face too. The detector never saw real faces like that
in training, while its training forgeries paste resampled faces, so it can read "soft" or "dark" as
"forged": on 10 real clips of people it never trained on, a 2 px blur or a 120p video turned 7 of
10 into FAKE and half the light 6 of 10 (README, *Real faces made dark or soft*). Try it on the face
above: the score before and after, and the brightness and sharpness the app checks (below what 99 %
of the training faces had, the Analyze tab adds a caution under its verdict).
"""


REAL_CANNOT_MEAN = ("REAL means no blending traces were found, not that the clip is authentic: faces generated "
                    "whole (talking-head generators) and polished, post-produced swaps can score REAL.")
