"""Features are time-correct: nothing dated on or after the decision date leaks in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import Dataset, load_dataset
from recsys.features.competency_state import (
    competency_state,
    id_isin,
    id_positions,
    state_of,
)
from recsys.features.mentor import mentor_features
from recsys.features.pair import PAIR_FEATURES, pair_features
from recsys.features.person import PERSON_FEATURES, person_features


@pytest.fixture(scope="module")
def ds(small_world: Path) -> Dataset:
    return load_dataset(small_world)


def _cut(ds: Dataset, when: pd.Timestamp) -> Dataset:
    """The same data set with every record dated on or after ``when`` removed."""
    tables = dict(ds.tables)
    tables["performance"] = ds.performance[ds.performance["period_end"] < when]
    tables["assessments"] = ds.assessments[ds.assessments["assessed_on"] < when]
    tables["enrollments"] = ds.enrollments[ds.enrollments["start_date"] < when]
    tables["mentorships"] = ds.mentorships[ds.mentorships["start_date"] < when]
    return Dataset(tables=tables, report=ds.report, source=ds.source)


def test_future_records_change_nothing(ds: Dataset) -> None:
    when = pd.Timestamp("2023-07-01")
    nips = ds.employees["nip"].sample(400, random_state=1).reset_index(drop=True)
    queries = pd.DataFrame({"nip": nips, "as_of": when})
    trainings = ds.trainings["training_id"].sample(400, replace=True, random_state=2)
    full = person_features(ds, queries).join(
        pair_features(ds, queries, trainings.reset_index(drop=True))
    )
    past = _cut(ds, when)
    only_past = person_features(past, queries).join(
        pair_features(past, queries, trainings.reset_index(drop=True))
    )
    # Enrollments that started before but end after the date must not count either.
    pd.testing.assert_frame_equal(full, only_past)


def test_feature_columns_and_no_protected_attributes(ds: Dataset) -> None:
    queries = pd.DataFrame(
        {"nip": ds.employees["nip"].head(50), "as_of": pd.Timestamp("2026-01-01")}
    )
    person = person_features(ds, queries)
    assert list(person.columns) == list(PERSON_FEATURES)
    pairs = pair_features(
        ds,
        queries,
        ds.trainings["training_id"]
        .head(50)
        .reset_index(drop=True)
        .reindex(range(50))
        .fillna(ds.trainings["training_id"].iloc[0]),
    )
    assert list(pairs.columns) == list(PAIR_FEATURES)
    for protected in ("gender", "religion", "ethnicity", "region", "birth_date", "name"):
        assert protected not in person.columns
        assert protected not in pairs.columns


def test_gaps_follow_assessments_and_completed_trainings(ds: Dataset) -> None:
    nip = ds.assessments["nip"].iloc[0]
    assessed_on = ds.assessments.loc[ds.assessments["nip"] == nip, "assessed_on"].min()
    before = competency_state(ds, pd.DataFrame({"nip": [nip], "as_of": [assessed_on]}))
    assert before["assessed_level"].isna().all()  # assessed on that very day: not yet known
    after = competency_state(
        ds, pd.DataFrame({"nip": [nip], "as_of": [assessed_on + pd.Timedelta(days=1)]})
    )
    assert after["assessed_level"].notna().all()
    assert (after["implied_level"] >= after["assessed_level"]).all()
    expected_gap = (after["required_level"] - after["implied_level"]).clip(lower=0)
    np.testing.assert_allclose(after["gap"], expected_gap)


def test_unknown_nip_gives_missing_features(ds: Dataset) -> None:
    queries = pd.DataFrame({"nip": ["000000000000000000"], "as_of": [pd.Timestamp("2026-01-01")]})
    row = person_features(ds, queries).iloc[0]
    assert np.isnan(row["last_score"]) and np.isnan(row["tenure_years"])


def test_the_state_of_some_queries_is_cut_from_a_larger_one(ds: Dataset) -> None:
    rng = np.random.default_rng(4)
    nips = [*ds.employees["nip"].sample(300, random_state=4).tolist(), "000000000000000000"]
    dates = pd.to_datetime(rng.choice(pd.date_range("2021-01-01", "2025-06-30"), len(nips)))
    queries = pd.DataFrame({"nip": nips, "as_of": dates})
    state = competency_state(ds, queries)
    for rows in (rng.permutation(len(nips))[:120], np.array([7, 7, 300, 2]), np.array([], int)):
        alone = competency_state(ds, queries.iloc[rows].reset_index(drop=True))
        pd.testing.assert_frame_equal(state_of(state, rows), alone, check_exact=True)
    # mentor features read the state the caller has, or make it
    given = mentor_features(ds, queries, state=state)
    pd.testing.assert_frame_equal(given, mentor_features(ds, queries), check_exact=True)


def test_id_lookups_find_what_pandas_finds() -> None:
    ids = pd.Series(["b", None, "z", "a", "b"], dtype="string[pyarrow]")
    within = pd.Index(["a", "b", "c"], dtype="string[pyarrow]")
    assert id_positions(ids, within).tolist() == within.get_indexer(ids).tolist()
    assert id_isin(ids, within).tolist() == ids.isin(within).tolist()
    with_missing = pd.Index(["a", None], dtype="string[pyarrow]")
    assert id_positions(ids, with_missing).tolist() == with_missing.get_indexer(ids).tolist()
    assert id_isin(np.array(["a", "q"], dtype=object), ["a"]).tolist() == [True, False]
    assert id_positions([], within).tolist() == []


def test_weighted_reach_counts_the_gap_to_the_trainings_target_below_the_standard() -> None:
    from recsys.features.training_pair import gap_rule_scores, weighted_reach

    detail = pd.DataFrame(
        {
            "pair": [0, 0, 1, 1, 2],
            "level": [2.0, 3.2, 2.5, 4.0, 3.5],
            "target": [5.0, 4.0, 2.0, 5.0, 4.5],
            "required": [3.0, 3.0, 3.0, 3.0, 3.0],
            # pair 0: both below the standard + surplus; pair 1's second row is above it
            "open": [True, True, True, False, False],
            "weight": [1.0, 0.5, 2.0, 1.0, 1.0],
        }
    )
    reach = weighted_reach(detail, 4)
    # pair 0: the whole way to each target (3 levels, 0.8 at half weight), not clipped at
    # the standard; pair 1: a target below the level reaches nothing, and a level above
    # the standard's surplus counts nothing; pair 2 likewise; pair 3 has no competency
    np.testing.assert_allclose(reach, [3.0 + 0.4, 0.0, 0.0, 0.0])
    # the gap rule, clipped at the standard, sees less in pair 0
    assert gap_rule_scores(detail, 4)[0] == pytest.approx(1.0)
