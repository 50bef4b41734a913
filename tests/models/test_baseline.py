"""The no-activity baseline learns each unit's shared change per year from colleagues."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import Dataset, load_dataset
from recsys.features import outcomes as O
from recsys.models.baseline import ScoreBaseline, busy_spans

SHOCK = 8.0  # SKP points every appraisal of the unit gains in the shocked year


@pytest.fixture(scope="module")
def shocked(small_world: Path) -> tuple[Dataset, Dataset, str, int]:
    """The small world, and a copy in which the largest unit's appraisals of one year are
    all :data:`SHOCK` points higher (a good year for the whole unit)."""
    ds = load_dataset(small_world)
    unit = str(ds.employees["unit"].astype(str).value_counts().index[0])
    years = sorted(ds.performance["period_end"].dt.year.unique())
    year = int(years[len(years) // 2])
    staff = set(ds.employees.loc[ds.employees["unit"].astype(str) == unit, "nip"].astype(str))
    performance = ds.performance.copy()
    hit = (
        performance["nip"].astype(str).isin(staff) & (performance["period_end"].dt.year == year)
    ).to_numpy()
    performance.loc[hit, "score"] = performance.loc[hit, "score"] + SHOCK
    return ds, replace(ds, tables={**ds.tables, "performance": performance}), unit, year


def _fit(ds: Dataset, unit_shocks: bool) -> ScoreBaseline:
    return ScoreBaseline(n_estimators=80, unit_shocks=unit_shocks, random_state=0).fit(ds)


def test_a_units_good_year_is_learned_from_its_colleagues(
    shocked: tuple[Dataset, Dataset, str, int],
) -> None:
    ds, risen, unit, year = shocked
    before, after = _fit(ds, True), _fit(risen, True)
    assert after.unit_shock_var_ > 0
    # the unit's shock over the year into the good one is its colleagues' rise (a little
    # shrunk); out of it, negative (part of the fall the model sees in the high score)
    rise = after.unit_shocks_[(unit, year - 1, year)] - before.unit_shocks_.get(
        (unit, year - 1, year), 0.0
    )
    fall = after.unit_shocks_[(unit, year, year + 1)] - before.unit_shocks_.get(
        (unit, year, year + 1), 0.0
    )
    assert 0.6 * SHOCK < rise <= SHOCK
    assert fall < -0.2 * SHOCK
    # the staff's windows without activity are predicted with it: up into the good year,
    # down out of it, and two-year windows across it about as without it
    controls = O.control_windows(risen.performance, busy_spans(risen))
    staff = set(risen.employees.loc[risen.employees["unit"].astype(str) == unit, "nip"])
    mine = controls[controls["nip"].isin(staff)]
    first, last = mine[O.BASELINE_PERIOD].dt.year, mine[O.OUTCOME_PERIOD].dt.year

    def change(windows: pd.DataFrame) -> np.ndarray:
        """How much more the shocked world's baseline predicts than the plain world's."""
        nips = windows["nip"]
        return after.predict(risen, nips, windows) - before.predict(ds, nips, windows)

    into = mine[(first == year - 1) & (last == year)]
    out = mine[(first == year) & (last == year + 1)]
    across = mine[(first == year - 1) & (last == year + 1)]
    assert min(len(into), len(out), len(across)) >= 3
    assert np.median(change(into)) > 0.6 * SHOCK
    assert np.median(change(out)) < -0.6 * SHOCK
    assert abs(np.median(change(across))) < 0.3 * SHOCK
    plain = _fit(risen, False)
    # what is left of a window's change is its own noise, smaller than without colleagues
    assert after.noise_var_ < plain.noise_var_


def test_without_unit_shocks_nothing_is_added_and_forecast_years_add_nothing(
    shocked: tuple[Dataset, Dataset, str, int],
) -> None:
    _, risen, unit, _ = shocked
    plain = _fit(risen, False)
    assert plain.unit_shocks_.empty and plain.unit_shock_var_ == 0.0
    learned = _fit(risen, True)
    # a window after the history (a forecast): no colleague has been appraised yet
    last = risen.performance["period_end"].max()
    nip = risen.employees.loc[risen.employees["unit"].astype(str) == unit, "nip"].iloc[:3]
    future = pd.DataFrame(
        {
            O.BASELINE_PERIOD: [last] * 3,
            O.OUTCOME_PERIOD: [last + pd.DateOffset(years=1)] * 3,
            O.HORIZON_DAYS: [365.0] * 3,
        }
    )
    shifted = learned.predict(risen, nip.reset_index(drop=True), future)
    model_only = learned.model_.predict(
        learned._features(risen, nip.reset_index(drop=True), future)
    )
    np.testing.assert_allclose(shifted, model_only)


def test_a_baseline_saved_before_unit_shocks_predicts_as_it_did(
    shocked: tuple[Dataset, Dataset, str, int],
) -> None:
    _, risen, _, _ = shocked
    fitted = _fit(risen, True)
    for name in ("unit_shocks", "unit_shocks_", "unit_shock_var_"):
        delattr(fitted, name)  # what a pickle made before them holds
    old = pickle.loads(pickle.dumps(fitted))
    assert old.get_params()["unit_shocks"] is False
    controls = O.control_windows(risen.performance, busy_spans(risen)).head(50)
    np.testing.assert_allclose(
        old.predict(risen, controls["nip"], controls),
        old.model_.predict(old._features(risen, controls["nip"], controls)),
    )
