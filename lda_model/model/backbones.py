"""Narrow Xceptions for CPU training, registered with timm.

The paper's backbone is Xception (timm: `legacy_xception`, 20.8 M parameters). That is too
slow to train from scratch on 2 CPU cores and too large to ship under 10 MB, so the `lite`
preset uses the *same topology* (stem, 12 main blocks with the same repetitions, strides and
skips, exit convolutions) at a fraction of the width. The blocks are timm's own
`timm.models.xception.Block` / `SeparableConv2d`; only the channel counts change. The models
are registered with timm, so `timm.create_model("lda_xception_w25", features_only=True)`
works like any timm backbone, with the same `feature_info` taps as `legacy_xception`.

Registering only adds entry points to timm's registry: nothing is built or downloaded at
import time.
"""

from __future__ import annotations

from torch import nn
from timm.layers import SelectAdaptivePool2d
from timm.models import build_model_with_cfg, register_model
from timm.models.xception import Block, SeparableConv2d

# legacy_xception's channel plan at width 1.0
_FULL = dict(stem1=32, stem2=64, b1=128, b2=256, b3=728, b12=1024, exit1=1536, exit2=2048)


class NarrowXception(nn.Module):
    """Xception (Chollet 2017) with every channel count scaled by `width`."""

    def __init__(self, width: float = 0.25, num_classes: int = 1000, in_chans: int = 3, drop_rate: float = 0.0,
                 global_pool: str = "avg") -> None:
        super().__init__()
        c = {k: max(8, int(round(v * width / 8)) * 8) for k, v in _FULL.items()}
        self.num_classes = num_classes
        self.drop_rate = drop_rate
        self.num_features = c["exit2"]

        self.conv1 = nn.Conv2d(in_chans, c["stem1"], 3, 2, 0, bias=False)
        self.bn1 = nn.BatchNorm2d(c["stem1"])
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c["stem1"], c["stem2"], 3, bias=False)
        self.bn2 = nn.BatchNorm2d(c["stem2"])
        self.act2 = nn.ReLU(inplace=True)
        self.block1 = Block(c["stem2"], c["b1"], 2, 2, start_with_relu=False)
        self.block2 = Block(c["b1"], c["b2"], 2, 2)
        self.block3 = Block(c["b2"], c["b3"], 2, 2)
        for i in range(4, 12):  # middle flow: 8 identical blocks
            setattr(self, f"block{i}", Block(c["b3"], c["b3"], 3, 1))
        self.block12 = Block(c["b3"], c["b12"], 2, 2, grow_first=False)
        self.conv3 = SeparableConv2d(c["b12"], c["exit1"], 3, 1, 1)
        self.bn3 = nn.BatchNorm2d(c["exit1"])
        self.act3 = nn.ReLU(inplace=True)
        self.conv4 = SeparableConv2d(c["exit1"], c["exit2"], 3, 1, 1)
        self.bn4 = nn.BatchNorm2d(c["exit2"])
        self.act4 = nn.ReLU(inplace=True)
        # the same feature taps as timm's legacy_xception
        self.feature_info = [
            dict(num_chs=c["stem2"], reduction=2, module="act2"),
            dict(num_chs=c["b1"], reduction=4, module="block2.rep.0"),
            dict(num_chs=c["b2"], reduction=8, module="block3.rep.0"),
            dict(num_chs=c["b3"], reduction=16, module="block12.rep.0"),
            dict(num_chs=c["exit2"], reduction=32, module="act4"),
        ]
        self.global_pool = SelectAdaptivePool2d(pool_type=global_pool, flatten=True)
        self.fc = nn.Linear(self.num_features, num_classes) if num_classes else nn.Identity()
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward_features(self, x):
        for name, module in self.named_children():
            if name in ("global_pool", "fc"):
                break
            x = module(x)
        return x

    def forward(self, x):
        x = self.global_pool(self.forward_features(x))
        x = nn.functional.dropout(x, self.drop_rate, self.training)
        return self.fc(x)


def _narrow(variant: str, width: float, pretrained: bool = False, **kwargs) -> NarrowXception:
    cfg = kwargs.pop("pretrained_cfg", None) or dict(
        mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), num_classes=1000, input_size=(3, 128, 128),
        first_conv="conv1", classifier="fc",
    )
    return build_model_with_cfg(
        NarrowXception, variant, pretrained, pretrained_cfg=cfg, feature_cfg=dict(feature_cls="hook"),
        width=width, **kwargs
    )


@register_model
def lda_xception_w25(pretrained: bool = False, **kwargs) -> NarrowXception:
    """Xception at 1/4 width (1.4 M parameters): the `lite` preset's backbone."""
    return _narrow("lda_xception_w25", 0.25, pretrained, **kwargs)
