"""How concentrated an attention map is: the paper's Fig. 9/10 claim (fake faces' maps gather on a
few regions, real faces' spread out) made a number.

`concentration(map) = 1 - H(p) / log(N)` with p the map over its N patches normalised to sum 1 and H
its entropy: 0 for a flat map, 1 for all of the mass on one patch.
"""

from __future__ import annotations

import numpy as np


def concentration(attention: np.ndarray) -> float:
    """(g, g) non-negative map -> normalised concentration in [0, 1] (0 for a flat or all-zero map)."""
    p = np.clip(np.asarray(attention, np.float64).ravel(), 0.0, None)
    total = p.sum()
    if total <= 0 or p.size < 2:
        return 0.0
    p = p / total
    nz = p[p > 0]
    return float(1.0 - (-(nz * np.log(nz)).sum()) / np.log(p.size))
