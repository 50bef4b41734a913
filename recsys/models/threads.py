"""How many threads a LightGBM model of the outcome models uses.

One thread for small data (a test suite runs several fits at once, and OpenMP threads spin
on a busy machine); from :data:`PARALLEL_ROWS` rows (an agency of 100k people), fitting
uses :data:`FIT_THREADS` and predicting every core. The fitting count depends on the data's
size only, never on the machine, so the same data gives the same model everywhere; rows are
predicted independently, so predictions do not depend on the threads.
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
    return (os.cpu_count() or 1) if n_rows >= PARALLEL_ROWS else 1
