"""How many threads a LightGBM model of the outcome models uses.

One thread for small data (a test suite runs several fits at once, and OpenMP threads spin
on a busy machine); from :data:`PARALLEL_ROWS` rows (an agency of 100k people), fitting
uses :data:`FIT_THREADS` and predicting every core the process may use. The fitting count
depends on the data's size only, never on the machine, so the same data gives the same model
everywhere; rows are predicted independently, so predictions do not depend on the threads.

A process told to use fewer threads by ``OMP_NUM_THREADS`` (a Dask worker: its nanny sets 1,
and two workers share the two cores) predicts on that many: two OpenMP threads per worker
on cores the other worker is using spin and wait on each other.
"""

from __future__ import annotations

import os

PARALLEL_ROWS = 100_000
FIT_THREADS = 2


def fit_threads(n_rows: int) -> int:
    """Threads for fitting on ``n_rows`` rows."""
    return FIT_THREADS if n_rows >= PARALLEL_ROWS else 1


def predict_threads(n_rows: int) -> int:
    """Threads for predicting ``n_rows`` rows: every core, or ``OMP_NUM_THREADS`` if set."""
    return cores() if n_rows >= PARALLEL_ROWS else 1


def cores() -> int:
    """The cores this process may use: ``OMP_NUM_THREADS`` if set to a positive whole
    number, else every core of the machine."""
    told = os.environ.get("OMP_NUM_THREADS", "").strip()
    if told.isdigit() and int(told) > 0:
        return int(told)
    return os.cpu_count() or 1
