"""How many threads a LightGBM model of the outcome models uses.

One thread for small data (a test suite runs several fits at once, and OpenMP threads spin
on a busy machine); from :data:`PARALLEL_ROWS` rows (an agency of 100k people), fitting
uses :data:`FIT_THREADS` and predicting every core, or as many as ``OMP_NUM_THREADS`` allows
(a Dask worker sets it to 1: two workers on two cores would otherwise run four prediction
threads that spin against each other). The fitting count depends on the data's size only,
never on the machine, so the same data gives the same model everywhere; rows are predicted
independently, so predictions do not depend on the threads.
"""

from __future__ import annotations

import os

PARALLEL_ROWS = 100_000
FIT_THREADS = 2


def fit_threads(n_rows: int) -> int:
    """Threads for fitting on ``n_rows`` rows."""
    return FIT_THREADS if n_rows >= PARALLEL_ROWS else 1


def predict_threads(n_rows: int) -> int:
    """Threads for predicting ``n_rows`` rows."""
    if n_rows < PARALLEL_ROWS:
        return 1
    cores = os.cpu_count() or 1
    limit = os.environ.get("OMP_NUM_THREADS", "").strip()
    return max(1, min(cores, int(limit))) if limit.isdigit() else cores
