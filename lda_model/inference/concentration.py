"""How concentrated an attention map is: the paper's Fig. 9/10 claim (fake faces' maps gather on a
few regions, real faces' spread out) made a number.

`concentration(map) = 1 - H(p) / log(N)` with p the map above its minimum, over its N patches,
normalised to sum 1, and H its entropy: 0 for a flat map, 1 for all of the mass on one patch. The
minimum is taken off first because the gating maps sit on a common level (the sigmoid of the 1x1
combiner's bias, around 0.5): the entropy of the raw values would measure that level, near 0 for
every clip, not the shape a viewer sees (the app's colour scale spans the map's own range too).
"""

from __future__ import annotations

import numpy as np


def concentration(attention: np.ndarray) -> float:
    """(g, g) map -> normalised concentration in [0, 1] of its part above its minimum (0 for a flat map)."""
    p = np.asarray(attention, np.float64).ravel()
    if p.size < 2 or not np.isfinite(p).all() or np.ptp(p) <= 1e-6 * max(1.0, float(np.abs(p).max())):
        return 0.0  # flat to float precision (or broken): nothing concentrated
    p = p - p.min()
    p = p / p.sum()  # > 0: the map is not flat
    nz = p[p > 0]
    return float(1.0 - (-(nz * np.log(nz)).sum()) / np.log(p.size))
