"""The unit-year service drivers on the session's demo world, against the world's truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import Dataset, load_dataset
from recsys.features.unit_service import (
    SURPLUS_CAP,
    UNIT_SERVICE_COLUMNS,
    capped_gap,
    unit_service_features,
)
from recsys.simulation.world import TRUTH_DIR


@pytest.fixture(scope="module")
def ds(small_world: Path) -> Dataset:
    return load_dataset(small_world)


@pytest.fixture(scope="module")
def features(ds: Dataset) -> pd.DataFrame:
    return unit_service_features(ds)


@pytest.fixture(scope="module")
def with_truth(features: pd.DataFrame, small_world: Path) -> pd.DataFrame:
    truth = pd.read_parquet(small_world / TRUTH_DIR / "service.parquet")
    truth = pd.DataFrame(
        {
            "unit": truth["unit"].astype(str),
            "year": truth["period_end"].dt.year.astype("int64"),
            "true_staff": truth["staff"],
            "true_term": truth["mean_competency_term"],
            "true_trained_share": truth["trained_share"],
        }
    )
    return features.astype({"unit": str}).merge(truth, on=["unit", "year"], validate="1:1")


def test_one_row_per_unit_year_with_every_metric(features: pd.DataFrame, ds: Dataset) -> None:
    assert tuple(features.columns) == UNIT_SERVICE_COLUMNS
    assert not features.duplicated(["unit", "year"]).any()
    metrics = ds.service_metrics
    assert len(features) == len(metrics)  # every unit-year of the world has metrics and staff
    assert features["satisfaction_index"].sum() == pytest.approx(
        metrics["satisfaction_index"].sum()
    )
    assert features[["staff", "mean_gap", "trained_share"]].notna().all().all()
    assert features["trained_share"].between(0, 1).all()
    assert features["mean_gap"].between(-SURPLUS_CAP, 4).all()


def test_the_drivers_are_what_the_truth_says_drove_the_metrics(with_truth: pd.DataFrame) -> None:
    # staff: those appraised that year, exactly the simulator's staff at mid-year
    assert (with_truth["staff"] == with_truth["true_staff"]).all()
    # trained share: the same count (the truth also counts leavers' completions)
    diff = (with_truth["trained_share"] - with_truth["true_trained_share"]).abs()
    assert diff.mean() < 0.01
    # the gap is a shortfall, the truth's term a weighted level above the standard
    assert with_truth["mean_gap"].corr(with_truth["true_term"]) < -0.7
    # within units too, where the forecaster learns
    within = with_truth.groupby("unit")[["mean_gap", "true_term"]].transform(lambda c: c - c.mean())
    assert within["mean_gap"].corr(within["true_term"]) < -0.7


def test_years_limit_the_table(ds: Dataset, features: pd.DataFrame) -> None:
    last = int(features["year"].max())
    only = unit_service_features(ds, years=[last])
    assert set(only["year"]) == {last}
    expected = features[features["year"] == last].reset_index(drop=True)
    pd.testing.assert_frame_equal(only, expected)


def test_unit_years_without_metrics_or_staff_are_kept(ds: Dataset) -> None:
    metrics = ds.service_metrics
    unit = metrics["unit"].iloc[0]
    fewer = metrics[~((metrics["unit"] == unit) & (metrics["period_end"].dt.year == 2022))]
    later = pd.DataFrame(
        {
            "unit": pd.Series([unit], dtype=metrics["unit"].dtype),
            "period_end": [pd.Timestamp("2030-12-31")],
            "satisfaction_index": [80.0],
            "avg_service_days": [3.0],
        }
    )
    tables = {**ds.tables, "service_metrics": pd.concat([fewer, later], ignore_index=True)}
    frame = unit_service_features(Dataset(tables=tables, report=ds.report, source=ds.source))
    rows = frame[frame["unit"] == unit].set_index("year")
    assert rows.loc[2022, "staff"] > 0 and np.isnan(rows.loc[2022, "satisfaction_index"])
    assert rows.loc[2030, "staff"] == 0 and np.isnan(rows.loc[2030, "mean_gap"])
    assert rows.loc[2030, "satisfaction_index"] == 80.0


def test_capped_gap_counts_a_surplus_only_up_to_the_cap() -> None:
    gap = capped_gap(np.array([3.0, 3.0, 3.0]), np.array([2.0, 3.2, 4.5]))
    np.testing.assert_allclose(gap, [1.0, -0.2, -SURPLUS_CAP])
