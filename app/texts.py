"""The app's explanations (it teaches): a short text next to every panel (at most 40 words, for
students), and the details behind a "More" accordion."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Help:
    short: str  # shown next to the panel: at most MAX_WORDS words
    more: str = ""  # behind the accordion


MAX_WORDS = 40

INTRO = """
# 🔍 Why does this face look manipulated?
Upload a short clip of a face. A **long distance attention** detector
([Lu et al., 2021](https://arxiv.org/abs/2106.12832)) scores sampled moments and shows **where it
looked**, on the frame and on the motion between frames.
"""

VERDICT = Help(
    short="The score is the average chance of *manipulated* over the sampled moments of the main face. "
          "Between 0.35 and 0.65 the app says **uncertain**. Treat it as evidence, then look at the maps.",
    more="The detector learned from real faces and forgeries the project synthesized from them: no deepfake "
         "dataset. It looks for a face **blended into** real footage (a swap or re-enactment): a seam, a colour "
         "or sharpness mismatch, flicker between frames. A face **generated whole** by a talking-head generator "
         "(VASA-1, EMO, SadTalker, ...) has no seam and usually scores REAL. So REAL means \"no blending traces "
         "found\", not \"authentic\". Outside the uncertain band a score is still no proof: on real benchmark "
         "deepfakes the detector is often confidently wrong (see the model card). The range after the score "
         "is the spread over the clip (10th to 90th percentile).",
)

SPATIAL = Help(
    short="The face is cut into a 14 × 14 grid of patches; bright patches are where a map points. The map "
          "that localizes best by measurement (its score beside its name) comes first; the title names its regions.",
    more="Twelve long distance attention modules compare every patch with a learned *forgery template* and give "
         "it an activation (the *activation* panel: their mean, the paper's \"how much this patch looks like a "
         "forgery\"). A 1×1 convolution mixes the twelve into *m* **gates**, which multiply groups of shallow "
         "backbone features. The **forgery map** (checkpoints with a forgery-map head) is a small head on the "
         "backbone's features, taught with the blend masks of synthesized forgeries to say how much of each patch "
         "was blended in, the way Face X-ray does; the score does not read it. **Grad-CAM** of the same "
         "checkpoint is the usual after-the-fact explanation: where "
         "the backbone's last, coarse features push the score towards \"fake\". **Grad-CAM, two scales** adds the "
         "same question asked of the fine features the gates act on, so it can point at a small defect as well "
         "as at a blended region. **Forgery map + Grad-CAM** is the mean of the forgery map and the two-scale "
         "Grad-CAM: the head's map stays dark on a real face and covers a blend, the Grad-CAM adds the small defects "
         "the head misses. The Grad-CAM panels and that mean are averaged over the face and its mirror image; the "
         "gates, the activation and the forgery map are the model's outputs on the face as it is. The score beside "
         "a name is the lower of two measurements on people the model never saw: how well the map tells blended "
         "patches from the same patches of the real face (an AUC: 0.5 = not at all, 1 = perfectly) and how often it rises on a defect painted onto a real face (the "
         "Defect lab). {measured} Each kind of map has its own colour scale (the gates share one), from its "
         "darkest to its brightest patch, so compare patches within a panel; hover a cell to see its row, "
         "column and value.",
)

TEMPORAL = Help(
    short="The detector also sees the motion between frame *t* and the next *n* frames (amplified here). "
          "Flicker around the face border is a typical deepfake trace.",
    more="All patches of all time steps form one sequence, so a patch can be compared with any patch at any "
         "time. Each row is one map at each time step (column *t*: frame t; *Δ t+k*: the change from frame t+k−1 "
         "to t+k); the last column is that map averaged over time, which gates mid-level backbone features.",
)

ABLATION = Help(
    short="The same face, run through versions of the detector with one part removed or changed, as in the "
          "paper's Tables V–VII. The paper's own numbers are shown beside ours.",
    more="Faces are found once per clip (all variants take the same input size), so a variant re-runs only "
         "the model. *Components* is Table V; *m* (number of attention maps) and *n* (following frames) are "
         "Tables VI and VII. Every variant is the bundled `default` (ImageNet EfficientNet-Lite0) "
         "retrained on its recipe with one thing changed: a branch off, m or n. The paper trained and tested on "
         "FaceForensics++ (in-dataset); ours learned from real faces only and are tested on people and "
         "forgeries they never saw, so our numbers are lower and not directly comparable. Two training runs "
         "of one recipe differ by a few hundredths of AUC: small gaps between bars are not findings.",
)

DEFECT = Help(
    short="The paper's Fig. 8: put a defect on the face and see whether the attention moves onto it. Red in "
          "the difference map means attention rose; it should peak inside the outlined region.",
    more="*Chance* is how often a random patch would land inside the region. The telling question is whether "
         "attention *rises* there on average: an untrained model rises on about half of such trials{measured}.",
)

FORGERY = Help(
    short="No deepfake dataset was used: the detector learned from real faces and forgeries made from them, "
          "like these. White in a mask marks replaced pixels.",
    more="Segments of the real demo clip (the public-domain astronaut, gently moving) are forged as in training: "
         "a **self-blend** (the face, colour-shifted, resampled or sharpened, blended back onto itself through a "
         "deformed, blurred landmark mask, or only its mouth, eyes or nose), either *consistent* over the frames, "
         "*jittered* per frame or *drifting*. The table gives the loaded checkpoint's fake probability for the "
         "real and the forged clip. Face swaps need a second person, so they are not shown here.",
)

CONDITION = Help(
    short="Not a forgery: a blurred, low-resolution or dark real face. Such faces can score as fakes. Try it "
          "and compare the score before and after.",
    more="The detector never saw real faces like that in training, while its training forgeries paste "
         "resampled faces, so it can read \"soft\" or \"dark\" as \"forged\". When a face is darker or softer "
         "than 99 % of the training faces, the app adds a caution under the verdict, the same rule here and in "
         "Analyze.",
)

COMPARE = Help(
    short="Put an original beside a manipulated version of it. Both go through the same detector; the "
          "difference map shows where the attention changed, and the text names that part of the face.",
    more="Analysis points are matched by frame, so the two clips should have the same length and framing, "
         "as benchmark pairs (an FF++ original and its Deepfakes, Face2Face, FaceSwap or NeuralTextures "
         "versions) do. The difference is the other version's map minus the original's: red where attention "
         "rose. The bundled pair is the real demo clip and a self-blend the project made from it.",
)

REAL_CANNOT_MEAN = ("REAL means no blending traces were found, not that the clip is authentic: faces generated "
                    "whole (talking-head generators) and polished, post-produced swaps can score REAL.")


def defect_help(rise_rate: float | None, post_hoc: tuple[str, float] | None = None) -> Help:
    """DEFECT citing the bundled default's measured rise rates (from its card: the LDA maps', and, as
    (name, rate), the post-hoc map's drawn beside them), if any."""
    measured = f", the bundled `default` on {rise_rate:.0%}" if rise_rate is not None else ""
    if rise_rate is not None and post_hoc is not None:
        measured += f" (its {post_hoc[0]}, drawn beside the LDA maps' change, on {post_hoc[1]:.0%})"
    return Help(DEFECT.short, DEFECT.more.format(measured=measured))


def spatial_help(scores: dict[str, float]) -> Help:
    """SPATIAL citing the bundled default's localization scores (`service.localization_scores`), if measured."""
    named = {"maps": "the gates", "activations": "the activation", "forgery_map": "the forgery map",
             "two_scale_cam": "two-scale Grad-CAM", "grad_cam": "Grad-CAM",
             "forgery_map_cam": "forgery map + Grad-CAM"}
    parts = [f"{named[k]} {v:.2f}" for k, v in sorted(scores.items(), key=lambda kv: -kv[1]) if k in named]
    measured = f"For the bundled `default`: {', '.join(parts)}." if parts else ""
    return Help(SPATIAL.short, SPATIAL.more.format(measured=measured))
