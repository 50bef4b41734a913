"""The impact study table on the demo world: who counts as treated and as control, what the
outcome is, and that covariates look only at what was known on 1 January."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.analysis.impact_study import training_study
from recsys.data.loading import Dataset, load_dataset
from recsys.features.person import PERSON_FEATURES


@pytest.fixture(scope="module")
def ds(small_world: Path) -> Dataset:
    return load_dataset(small_world)


def test_groups_follow_the_activities_of_the_year(ds: Dataset) -> None:
    study = training_study(ds, 2024)
    assert study.year == 2024 and 0 < study.treated.sum() < len(study.treated)
    start, mid, end = (pd.Timestamp(d) for d in ("2024-01-01", "2024-07-01", "2025-01-01"))
    enrolled = ds.enrollments.assign(nip=ds.enrollments["nip"].astype(str))
    in_year = enrolled[(enrolled["start_date"] < end) & (enrolled["end_date"] >= start)]
    mentored = ds.mentorships[
        (ds.mentorships["start_date"] < end)
        & (ds.mentorships["end_date"].fillna(pd.Timestamp.max) >= start)
    ]["mentee_nip"].astype(str)
    nips = study.nips.astype(str)
    treated, controls = set(nips[study.treated == 1]), set(nips[study.treated == 0])
    assert not controls & set(in_year["nip"]) and not controls & set(mentored)
    assert not treated & set(mentored)
    theirs = in_year[in_year["nip"].isin(treated)]
    assert (theirs["status"].astype(str) == "completed").all()
    assert ((theirs["start_date"] >= start) & (theirs["end_date"] < mid)).all()
    assert set(theirs["nip"]) == treated


def test_outcome_is_the_change_over_the_year(ds: Dataset) -> None:
    study = training_study(ds, 2024)
    scores = ds.performance.assign(nip=ds.performance["nip"].astype(str)).set_index(
        ["nip", "period_end"]
    )["score"]
    before, after = pd.Timestamp("2023-12-31"), pd.Timestamp("2024-12-31")
    checked = 0
    for row, nip in enumerate(study.nips.astype(str).iloc[:50]):
        if (nip, before) in scores.index and (nip, after) in scores.index:
            assert study.outcome[row] == pytest.approx(scores[(nip, after)] - scores[(nip, before)])
            checked += 1
    assert checked > 40
    assert np.isfinite(study.outcome).all()


def test_covariates_are_as_of_the_first_of_january(ds: Dataset) -> None:
    study = training_study(ds, 2024)
    assert list(study.X.columns) == list(PERSON_FEATURES)
    assert isinstance(study.X["position_type"].dtype, pd.CategoricalDtype)
    # the last score known on 1 January 2024 is the 2023 appraisal
    nip = str(study.nips.iloc[0])
    perf = ds.performance[ds.performance["nip"].astype(str) == nip]
    last = perf.loc[perf["period_end"] == pd.Timestamp("2023-12-31"), "score"].iloc[0]
    assert study.X["last_score"].iloc[0] == pytest.approx(last)
    assert study.describe()["naive_difference"] == pytest.approx(study.naive_difference())


def test_a_modality_narrows_the_treated_and_bad_input_is_refused(ds: Dataset) -> None:
    every = training_study(ds, 2024)
    online = training_study(ds, 2024, modality="e_learning")
    assert 0 < online.treated.sum() < every.treated.sum()
    # people whose training was of another modality are left out, not made controls
    assert (online.treated == 0).sum() == (every.treated == 0).sum()
    with pytest.raises(ValueError, match="unknown modality"):
        training_study(ds, 2024, modality="telepathy")
    with pytest.raises(ValueError, match="no treated"):
        training_study(ds, 1990)
