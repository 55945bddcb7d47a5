"""`ForgeryMapHead`: where a forgery was blended, predicted per LDA patch from backbone features.

    stages k..K, (B, C_j, H_j, W_j) each --1x1 conv--> (B, W, H_j, W_j) --resample--> (B, W, g, g)
      summed --BN, ReLU, 3x3 conv, BN, ReLU, 1x1 conv, sigmoid--> (B, g, g) blended fraction per patch

An extension (`LDAConfig.mask_head_from`), trained with the blend masks of the synthesized forgeries
(`train --mask-loss`), Face X-ray style; the detector's score never reads it.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def to_grid(x: torch.Tensor, grid: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, g, g): area averages from a finer map, bilinear from a coarser one."""
    if x.shape[-2:] == (grid, grid):
        return x
    if x.shape[-1] >= grid:
        return F.interpolate(x, size=(grid, grid), mode="area")
    return F.interpolate(x, size=(grid, grid), mode="bilinear", align_corners=False)


class ForgeryMapHead(nn.Module):
    """Backbone stages -> (B, g, g) predicted blended fraction of each patch, in (0, 1)."""

    def __init__(self, channels: Sequence[int], grid: int, width: int = 32) -> None:
        super().__init__()
        self.grid = grid
        self.lateral = nn.ModuleList(nn.Conv2d(c, width, kernel_size=1) for c in channels)
        self.fuse = nn.Sequential(
            nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.Conv2d(width, width, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
            nn.Conv2d(width, 1, kernel_size=1),
        )

    def forward(self, stages: Sequence[torch.Tensor]) -> torch.Tensor:
        if len(stages) != len(self.lateral):
            raise ValueError(f"expected {len(self.lateral)} backbone stages, got {len(stages)}")
        x = sum(to_grid(proj(f), self.grid) for proj, f in zip(self.lateral, stages))  # (B, W, g, g)
        return torch.sigmoid(self.fuse(x))[:, 0]  # (B, g, g)
