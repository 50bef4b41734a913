"""The service forecaster on the session's demo world, checked against the world's truth.

The world's units respond to their staff's training and competence by
:func:`recsys.simulation.world.service_response`; a plan's true effect on a unit is that of
its staff's mean true competency gain (``training_gain``'s expected_gain / points_per_level)
and mean chance to complete a planned training.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import Dataset, load_dataset
from recsys.models.service import FORECAST_COLUMNS, ServiceForecaster
from recsys.simulation.mechanism import Mechanism
from recsys.simulation.world import TRUTH_DIR, service_response


@pytest.fixture(scope="module")
def ds(small_world: Path) -> Dataset:
    return load_dataset(small_world)


@pytest.fixture(scope="module")
def fitted(ds: Dataset) -> ServiceForecaster:
    return ServiceForecaster().fit(ds)


@pytest.fixture(scope="module")
def mech(small_world: Path) -> Mechanism:
    params = json.loads((small_world / TRUTH_DIR / "params.json").read_text())
    return Mechanism.from_dict(params["mechanism"])


@pytest.fixture(scope="module")
def program(ds: Dataset) -> pd.DataFrame:
    """A large program: every active employee, one active training that develops a
    competency of their position's standard (drawn with a fixed seed)."""
    active = ds.employees.loc[ds.employees["active"], ["nip", "position"]]
    offered = ds.training_competencies.merge(
        ds.trainings.loc[ds.trainings["active"], ["training_id"]], on="training_id"
    )
    relevant = active.merge(ds.competency_standards, on="position").merge(offered, on="competency")[
        ["nip", "training_id"]
    ]
    relevant = relevant.drop_duplicates()
    return relevant.groupby("nip").sample(1, random_state=0).reset_index(drop=True)


def _with_tables(ds: Dataset, **tables: pd.DataFrame) -> Dataset:
    return Dataset(tables={**ds.tables, **tables}, report=ds.report, source=ds.source)


def _true_change(world: Path, ds: Dataset, planned: pd.DataFrame, mech: Mechanism) -> pd.DataFrame:
    """Per unit: the plan's true change in satisfaction (points) and log service days."""
    gains = pd.read_parquet(world / TRUTH_DIR / "training_gain.parquet")
    plan = planned.astype({"nip": str, "training_id": str})
    gains = gains.merge(plan, on=["nip", "training_id"])
    assert len(gains) == len(plan)  # one planned training each: gains add up exactly
    staff = ds.employees.loc[ds.employees["active"], ["nip", "unit"]].astype(str)
    staff = staff.merge(gains, on="nip", how="left").fillna({"expected_gain": 0, "p_complete": 0})
    staff["d_term"] = staff["expected_gain"] / mech.points_per_level
    unit = staff.groupby("unit").agg(d_term=("d_term", "mean"), d_trained=("p_complete", "mean"))
    satisfaction, log_days = service_response(unit["d_term"], unit["d_trained"], mech)
    return unit.assign(satisfaction=satisfaction, log_days=log_days)


# ----------------------------------------------------------------------------- slopes


def test_slopes_have_the_truths_signs_and_the_trained_share_slope_covers_it(
    fitted: ServiceForecaster, mech: Mechanism
) -> None:
    table = fitted.coefficients_.set_index(["outcome", "term"])
    sat_trained = table.loc[("satisfaction_index", "trained_share")]
    days_trained = table.loc[("log_service_days", "trained_share")]
    assert sat_trained["lower_90"] <= mech.satisfaction_per_trained_share
    assert mech.satisfaction_per_trained_share <= sat_trained["upper_90"]
    assert days_trained["lower_90"] <= mech.service_days_per_trained_share
    assert mech.service_days_per_trained_share <= days_trained["upper_90"]
    # a gap is a shortfall: the mechanism's per-level slopes with the sign turned
    sat_gap = table.loc[("satisfaction_index", "mean_gap")]
    days_gap = table.loc[("log_service_days", "mean_gap")]
    assert mech.satisfaction_per_level > 0 and sat_gap["upper_90"] < 0
    assert mech.service_days_per_level < 0 and days_gap["lower_90"] > 0
    # attenuated (assessments measure the staff's competence with noise), not inflated
    assert -mech.satisfaction_per_level < sat_gap["estimate"]
    learning = table.loc[("competency", "learning_share")]
    assert 0.05 < learning["estimate"] < 0.5 and learning["std_error"] > 0


def test_fitted_on_every_unit_with_several_years(fitted: ServiceForecaster, ds: Dataset) -> None:
    assert fitted.n_units_ == ds.service_metrics["unit"].nunique()
    assert fitted.n_obs_ == len(ds.service_metrics)
    assert fitted.last_year_ == ds.service_metrics["period_end"].dt.year.max()


# --------------------------------------------------------------------------- forecast


def test_a_large_program_forecast_matches_the_truths_change(
    fitted: ServiceForecaster,
    ds: Dataset,
    program: pd.DataFrame,
    small_world: Path,
    mech: Mechanism,
) -> None:
    forecast = fitted.forecast(ds, program).set_index("unit")
    forecast.index = forecast.index.astype(str)
    truth = _true_change(small_world, ds, program, mech)
    both = forecast.join(truth, how="inner").dropna(subset=["satisfaction_change"])
    assert len(both) > 0.9 * len(forecast)
    true_days = both["service_days_now"] * np.expm1(both["log_days"])

    assert (both["trained_share_planned"] == 1.0).all()
    assert (both["satisfaction_lower"] > 0).all() and (both["service_days_upper"] < 0).all()
    sat_covered = (both["satisfaction_lower"] <= both["satisfaction"]) & (
        both["satisfaction"] <= both["satisfaction_upper"]
    )
    days_covered = (both["service_days_lower"] <= true_days) & (
        true_days <= both["service_days_upper"]
    )
    assert sat_covered.mean() > 0.6 and days_covered.mean() > 0.6
    # on average over units, the mean interval holds the mean true change
    assert both["satisfaction_lower"].mean() < both["satisfaction"].mean()
    assert both["satisfaction"].mean() < both["satisfaction_upper"].mean()
    assert both["service_days_lower"].mean() < true_days.mean() < both["service_days_upper"].mean()
    # units differ in how much the plan closes their staff's gaps, and the forecast sees it
    assert both["satisfaction_change"].corr(both["satisfaction"]) > 0.3


def test_half_the_program_does_about_half_as_much(
    fitted: ServiceForecaster, ds: Dataset, program: pd.DataFrame
) -> None:
    whole = fitted.forecast(ds, program)
    half = fitted.forecast(ds, program.iloc[::2])
    ratio = half["satisfaction_change"].sum() / whole["satisfaction_change"].sum()
    assert 0.4 < ratio < 0.6
    assert (half["trained_share_planned"] <= whole["trained_share_planned"]).all()


def test_no_plan_no_change(fitted: ServiceForecaster, ds: Dataset) -> None:
    none = fitted.forecast(ds, pd.DataFrame({"nip": [], "training_id": []}))
    with_metrics = none["satisfaction_now"].notna()
    for column in ("satisfaction", "service_days"):
        for part in ("change", "lower", "upper"):
            assert (none.loc[with_metrics, f"{column}_{part}"] == 0).all()
    assert (none["trained_share_planned"] == 0).all()


def test_the_answer_has_one_row_per_unit_and_the_promised_columns(
    fitted: ServiceForecaster, ds: Dataset, program: pd.DataFrame
) -> None:
    forecast = fitted.forecast(ds, program, alpha=0.2)
    assert tuple(forecast.columns) == FORECAST_COLUMNS
    assert forecast["unit"].is_unique and forecast["unit"].is_monotonic_increasing
    active = ds.employees.loc[ds.employees["active"]]
    assert set(forecast["unit"]) == set(active["unit"]) | set(ds.service_metrics["unit"])
    counts = active["unit"].value_counts()
    assert (forecast.set_index("unit")["staff"] == counts.reindex(forecast["unit"])).all()
    wider = fitted.forecast(ds, program, alpha=0.05)
    assert (
        wider["satisfaction_upper"] - wider["satisfaction_lower"]
        > forecast["satisfaction_upper"] - forecast["satisfaction_lower"]
    ).all()


def test_units_without_metrics_are_kept_with_nan_metrics(
    ds: Dataset, program: pd.DataFrame
) -> None:
    metrics = ds.service_metrics
    dropped = str(metrics["unit"].iloc[0])
    thinner = _with_tables(ds, service_metrics=metrics[metrics["unit"] != dropped])
    forecast = ServiceForecaster().fit(thinner).forecast(thinner, program)
    row = forecast.set_index("unit").loc[dropped]
    assert row["staff"] > 0 and row["trained_share_planned"] == 1.0
    metric_columns = [c for c in FORECAST_COLUMNS if c.startswith(("satisfaction", "service"))]
    assert row[metric_columns].isna().all()
    others = forecast[forecast["unit"] != dropped]
    assert others["satisfaction_change"].notna().all()


# ----------------------------------------------------------------------------- errors


def test_fit_refuses_empty_service_metrics(ds: Dataset) -> None:
    empty = _with_tables(ds, service_metrics=ds.service_metrics.iloc[:0])
    with pytest.raises(ValueError, match="service_metrics is empty"):
        ServiceForecaster().fit(empty)


def test_fit_refuses_service_metrics_of_a_single_period(ds: Dataset) -> None:
    metrics = ds.service_metrics
    last = metrics[metrics["period_end"] == metrics["period_end"].max()]
    with pytest.raises(ValueError, match="service_metrics is too short"):
        ServiceForecaster().fit(_with_tables(ds, service_metrics=last))


def test_forecast_refuses_a_plan_it_cannot_read(
    fitted: ServiceForecaster, ds: Dataset, program: pd.DataFrame
) -> None:
    with pytest.raises(ValueError, match="training_id"):
        fitted.forecast(ds, program[["nip"]])
    stranger = pd.DataFrame(
        {"nip": ["199001012020011001"], "training_id": program["training_id"][:1]}
    )
    with pytest.raises(ValueError, match="nip not among the active employees"):
        fitted.forecast(ds, stranger)
    unknown = program.head(1).assign(training_id="NO-SUCH-TRAINING")
    with pytest.raises(ValueError, match="NO-SUCH-TRAINING"):
        fitted.forecast(ds, unknown)
    with pytest.raises(ValueError, match="alpha"):
        fitted.forecast(ds, program, alpha=1.5)
