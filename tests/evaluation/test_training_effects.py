"""Kirkpatrick level 4's estimator: which completions a window holds, the comparison with
colleagues HR sent later, and the placebo check that widens the intervals when the
counterfactual misses something before the trainings."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from recsys.data.contract import ID_DTYPE
from recsys.data.loading import Dataset, load_dataset
from recsys.evaluation.training_effects import (
    PLACEBO_COLUMNS,
    TrainingEffects,
    _design,
    training_effects,
)
from recsys.features import outcomes as O
from recsys.models.baseline import ScoreBaseline, sent_later

YEAR = 2024


@pytest.fixture(scope="module")
def ds(small_world: Path) -> Dataset:
    return load_dataset(small_world)


@pytest.fixture(scope="module")
def effects(ds: Dataset) -> TrainingEffects:
    return training_effects(ds, YEAR)


def test_a_completion_counts_in_the_window_its_effect_shows_in() -> None:
    """One window, December 2023 to December 2024 appraisals. An effect shows in the first
    appraisal ending six months or more after the training ends: a training that ended in
    October 2023 shows in this window (not in its baseline), one that ended in March 2024
    shows too, one that ended in September 2024 does not show yet, and one that ended in
    March 2023 showed already in the baseline; a running one never shows."""
    windows = pd.DataFrame(
        {
            "nip": pd.Series(["1"], dtype=ID_DTYPE),
            O.BASELINE_PERIOD: [pd.Timestamp("2023-12-31")],
            O.OUTCOME_PERIOD: [pd.Timestamp("2024-12-31")],
        }
    )
    ends = {
        "late_in_baseline_year": "2023-10-20",
        "early_in_window": "2024-03-10",
        "late_in_window": "2024-09-05",
        "long_before": "2023-03-01",
        "running": None,
    }
    completed = pd.DataFrame(
        {
            "nip": pd.Series(["1"] * len(ends), dtype=ID_DTYPE),
            "training_id": list(ends),
            "start_date": pd.to_datetime(["2023-01-01"] * len(ends)),
            "end_date": pd.to_datetime(list(ends.values())),
        }
    )
    no_mentoring = pd.DataFrame(
        {
            "mentee_nip": pd.Series(dtype=ID_DTYPE),
            "start_date": pd.Series(dtype="datetime64[ns]"),
            "end_date": pd.Series(dtype="datetime64[ns]"),
        }
    )
    ds = SimpleNamespace(mentorships=no_mentoring)
    design, columns = _design(ds, completed, windows, np.ones(len(completed), dtype=bool))  # type: ignore[arg-type]
    held = {c for c, v in zip(columns, design[0], strict=True) if v > 0}
    assert held == {"late_in_baseline_year", "early_in_window"}


def test_the_placebo_is_reported_and_never_narrows(effects: TrainingEffects) -> None:
    assert tuple(effects.placebo.columns) == PLACEBO_COLUMNS
    assert len(effects.placebo) > 0
    assert effects.dispersion >= 1.0
    assert np.isfinite(effects.placebo["effect"]).all()
    # every period training with an effect has its placebo counterpart where it has history
    assert set(effects.placebo["training_id"].astype(str)) <= set(
        effects.table["training_id"].astype(str)
    )


def test_a_jump_before_the_trainings_widens_every_interval(
    ds: Dataset, effects: TrainingEffects
) -> None:
    """Move the participants' appraisal before their baseline one by ±4 points, by
    training (so that the placebo finds "effects" where nothing had happened yet): the
    dispersion must rise, and every interval widen by its square root."""
    done = ds.enrollments[
        (ds.enrollments["start_date"].dt.year == YEAR) & (ds.enrollments["status"] == "completed")
    ].reset_index(drop=True)
    outcome = O.activity_outcomes(done, ds.performance, key="enrollment_id")
    done = done[outcome[O.OUTCOME].notna().to_numpy()].reset_index(drop=True)
    outcome = outcome.dropna(subset=[O.OUTCOME]).reset_index(drop=True)
    found = O.appraisals_before(ds.performance, done["nip"], outcome[O.BASELINE_PERIOD])
    earlier = pd.DataFrame(
        {
            "nip": done["nip"].astype(str).to_numpy(),
            "training_id": done["training_id"].astype(str).to_numpy(),
            "_start": found["period_end"].to_numpy(),
        }
    ).dropna(subset=["_start"])
    # one person, one shift: their first training of the year decides its sign
    first = earlier.drop_duplicates("nip")
    ids = sorted(first["training_id"].unique())
    sign = pd.Series(np.where(np.arange(len(ids)) % 2 == 0, 4.0, -4.0), index=ids)
    shift = pd.Series(
        first["training_id"].map(sign).to_numpy(),
        index=pd.MultiIndex.from_arrays([first["nip"], first["_start"]]),
    )
    performance = ds.performance.copy()
    key = pd.MultiIndex.from_arrays([performance["nip"].astype(str), performance["period_end"]])
    performance["score"] = performance["score"] - shift.reindex(key).fillna(0.0).to_numpy()
    moved = training_effects(replace(ds, tables={**ds.tables, "performance": performance}), YEAR)

    assert moved.dispersion > max(2.0, 1.5 * effects.dispersion)
    before = effects.table.set_index("training_id")
    after = moved.table.set_index("training_id").reindex(before.index)
    ratio = (after["upper"] - after["lower"]) / (before["upper"] - before["lower"])
    expected = np.sqrt(moved.dispersion / effects.dispersion)
    assert ratio.dropna().median() == pytest.approx(expected, rel=0.15)
    assert (ratio.dropna() > 1.0).mean() > 0.8


def test_a_rise_of_those_hr_sends_is_not_credited_to_their_training(
    ds: Dataset, effects: TrainingEffects
) -> None:
    """Give everyone HR ever sent to a training a rise of one SKP point a year over their
    whole history (HR sends the rising ones). Against colleagues HR sent later the effects
    barely move; a baseline that ignores whom HR sends credits the rise to the trainings."""
    rising = set(ds.enrollments["nip"].astype(str))
    performance = ds.performance.copy()
    years = performance["period_end"].dt.year - performance["period_end"].dt.year.min()
    who = performance["nip"].astype(str).isin(rising).to_numpy()
    performance.loc[who, "score"] = performance.loc[who, "score"] + years[who].to_numpy()
    risen = replace(ds, tables={**ds.tables, "performance": performance})

    def moved(baseline: ScoreBaseline | None, before: TrainingEffects) -> float:
        after = training_effects(risen, YEAR, baseline=baseline)
        a = after.table.set_index("training_id")["effect"]
        b = before.table.set_index("training_id")["effect"]
        return float((a - b.reindex(a.index)).median())

    plain = ScoreBaseline(unit_shocks=False, random_state=0)
    naive = moved(plain.fit(risen), training_effects(ds, YEAR, baseline=plain.fit(ds)))
    assert naive > 0.3  # the plain baseline credits much of the rise to the trainings
    assert abs(moved(None, effects)) < naive / 3


def test_sent_later_marks_a_training_started_within_the_months_after() -> None:
    enrollments = pd.DataFrame(
        {
            "nip": pd.Series(["1", "2", "3"], dtype=ID_DTYPE),
            "start_date": pd.to_datetime(["2023-03-01", "2026-02-01", "2022-06-01"]),
        }
    )
    ds = SimpleNamespace(enrollments=enrollments)
    after = pd.Series(pd.to_datetime(["2022-12-31"] * 4))
    nips = pd.Series(["1", "2", "3", "4"])
    flags = sent_later(ds, nips, after, 24)  # type: ignore[arg-type]
    assert flags.tolist() == [1.0, 0.0, 0.0, 0.0]  # 2 too late, 3 before, 4 never
