"""LightGBM's thread counts: one for small data, every core (or the OpenMP limit) for large
predictions, a count that depends on the data only for fitting."""

import os

import pytest

from recsys.models.threads import FIT_THREADS, PARALLEL_ROWS, fit_threads, predict_threads


def test_small_data_uses_one_thread_and_fitting_never_depends_on_the_machine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert predict_threads(PARALLEL_ROWS - 1) == 1
    assert fit_threads(PARALLEL_ROWS - 1) == 1
    assert fit_threads(PARALLEL_ROWS) == FIT_THREADS
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert fit_threads(PARALLEL_ROWS) == FIT_THREADS


def test_large_predictions_use_every_core_unless_openmp_is_limited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert predict_threads(PARALLEL_ROWS) == (os.cpu_count() or 1)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # what a Dask worker's nanny sets
    assert predict_threads(PARALLEL_ROWS) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "512")
    assert predict_threads(PARALLEL_ROWS) == (os.cpu_count() or 1)
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert predict_threads(PARALLEL_ROWS) == (os.cpu_count() or 1)
