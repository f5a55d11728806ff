"""The background warm-up (warmup.py) compiles every kernel a select and a match use, for both
row types and for selections of any width, so the first user action waits for no compiler."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MATCH_KERNELS = ["_quantise_part", "_on_bits_part", "chunk_cuts", "_scan_chunk_narrow", "_scan_chunk_wide",
                 "_merge_chunks", "_count_part", "_select_part", "_s2_part"]
# in a fresh process: what the warm-up alone compiled (or loaded from numba's cache)
PROBE = """
import json
from lstmvis_dash import kernels
from lstmvis_dash import warmup
warmup.run()
ROWS = {"_on_bits_part": 4}   # where the rows go in (the scan takes none: it only reads codes)
print(json.dumps({name: [str(sig[ROWS.get(name, 0)].dtype) for sig in getattr(kernels, name).signatures]
                  for name in %r}))
""" % MATCH_KERNELS


def test_the_warm_up_compiles_every_kernel_of_a_dense_match():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    compiled = json.loads(out.stdout.strip().splitlines()[-1])
    assert [name for name in MATCH_KERNELS if not compiled[name]] == []
    for name in ("_quantise_part", "_on_bits_part", "_s2_part"):   # float16 rows go in as uint16
        assert {"uint16", "float32"} <= set(compiled[name]), name
