"""float16 states are read by the kernels as their uint16 bits: the conversion must give numpy's
float32 value for every one of the 65,536 bit patterns (subnormals, signed zeros, inf, NaN)."""
from __future__ import annotations

import numpy as np
from numba import njit

from lstmvis_dash.kernels import _value


@njit(cache=False)
def _convert(bits, out):
    for i in range(len(bits)):
        out[i] = _value(bits[i])


def test_every_half_converts_exactly():
    bits = np.arange(1 << 16, dtype=np.uint16)
    out = np.empty(len(bits), np.float32)
    _convert(bits, out)
    want = bits.view(np.float16).astype(np.float32)
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(out), nan)
    np.testing.assert_array_equal(out[~nan].view(np.uint32), want[~nan].view(np.uint32))   # -0.0 too
