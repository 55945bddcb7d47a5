"""Several checkpoints scored as one (a mean ensemble), for evaluation.

    python -m lda_model.evaluate synthetic --data cache/real_faces --split val --seeds 3 --weights A --weights B

p(fake) is the mean of the members' p(fake) (so `LDAOutput.logits` is its logit), which is how
two training runs that tie on validation but err on different items are combined. The attention
fields are the members' mean where every member has the field with one shape; otherwise all of
them are None, so a map is never an average over only some of the members. The app shows one
checkpoint's maps and does not use this: an ensemble costs one forward pass per member.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Sequence

import torch
from torch import nn

from .model import LDADetector, LDAOutput

# what the members must agree on: they score the same input tensor and the same evaluation layout
SHARED_INPUT = ("backbone_size", "mean", "std", "clip_length", "grid_size")
ATTENTION_FIELDS = tuple(f.name for f in fields(LDAOutput) if f.name != "logits")


class MeanEnsemble(nn.Module):
    """Members that read the same clips (same input size, normalisation, n and patch grid)."""

    def __init__(self, members: Sequence[LDADetector]) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        ref = members[0].config
        for k, m in enumerate(members[1:], start=1):
            for name in SHARED_INPUT:
                if getattr(m.config, name) != getattr(ref, name):
                    raise ValueError(f"member {k} has {name}={getattr(m.config, name)!r}, member 0 has "
                                     f"{getattr(ref, name)!r}: the members must read the same clips")
        self.members = nn.ModuleList(members)
        self.config = ref  # the input format every member shares (callers read backbone_size, clip_length, ...)

    def forward(self, clip: torch.Tensor) -> LDAOutput:
        outs = [m(clip) for m in self.members]
        p = torch.stack([o.probabilities.float() for o in outs]).mean(0)  # (B,)
        out = LDAOutput(logits=torch.logit(p, eps=1e-6))
        parts = {name: [getattr(o, name) for o in outs] for name in ATTENTION_FIELDS}
        parts = {name: vs for name, vs in parts.items() if any(v is not None for v in vs)}  # fields some member has
        if all(all(v is not None for v in vs) and len({v.shape for v in vs}) == 1 for vs in parts.values()):
            for name, vs in parts.items():
                setattr(out, name, torch.stack([v.float() for v in vs]).mean(0))  # same shape as one member's
        return out
