"""The training recommender's ranker choice on a small demo world: the out-of-time
validation table, the served ranker, forecasts by every ranker and marginal-gain lists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from recsys.data import Dataset, load_dataset
from recsys.features.training_pair import gap_rule_scores
from recsys.models.selection import (
    RANKERS,
    VALIDATION_COLUMNS,
    WHY_FIXED,
    choose_ranker,
)
from recsys.models.trainings import TrainingRecommender

N_BOOTSTRAP = 3
N_PEOPLE = 40


@pytest.fixture(scope="module")
def ds(small_world: Path) -> Dataset:
    return load_dataset(small_world)


@pytest.fixture(scope="module")
def model(ds: Dataset) -> TrainingRecommender:
    """The one ranker-choosing ("auto") model of this module."""
    return TrainingRecommender(n_bootstrap=N_BOOTSTRAP).fit(ds)


@pytest.fixture(scope="module")
def rule_model(ds: Dataset) -> TrainingRecommender:
    """A model told to serve the gap rule."""
    return TrainingRecommender(n_bootstrap=N_BOOTSTRAP, ranker="gap_rule").fit(ds)


@pytest.fixture(scope="module")
def nips(ds: Dataset) -> pd.Series:
    return ds.employees.loc[ds.employees["active"], "nip"].head(N_PEOPLE)


def test_validation_table_has_one_sound_row_per_ranker(model: TrainingRecommender) -> None:
    table = model.validation_
    assert list(table.columns) == list(VALIDATION_COLUMNS)
    assert sorted(table["ranker"]) == sorted(RANKERS)
    assert (table["test_hits"] > 0).all()
    numbers = table[[c for c in VALIDATION_COLUMNS if c not in ("ranker", "chosen")]]
    assert np.isfinite(numbers.to_numpy(dtype=float)).all()
    assert (table["value_lower"] <= table["value_upper"]).all()
    assert (table["vs_gap_rule_lower"] <= table["vs_gap_rule_upper"]).all()
    rule = table[table["ranker"] == "gap_rule"]
    differences = rule[["vs_gap_rule", "vs_gap_rule_lower", "vs_gap_rule_upper"]].to_numpy()
    np.testing.assert_array_equal(differences, [[0.0, 0.0, 0.0]])


def test_validation_refits_learn_from_a_sample_of_people_when_asked(
    ds: Dataset, model: TrainingRecommender
) -> None:
    """At national scale the validation's refits learn from a sample of employees: the
    table is still whole and sound, but its values differ."""
    sampled = TrainingRecommender(n_bootstrap=N_BOOTSTRAP, validation_fit_people=1_000).fit(ds)
    table, full = sampled.validation_, model.validation_
    assert sorted(table["ranker"]) == sorted(RANKERS)
    assert (table["test_hits"] > 0).all()
    values = table[["value", "value_lower", "value_upper"]].to_numpy(dtype=float)
    assert np.isfinite(values).all()
    learned = table["ranker"] != "gap_rule"
    assert not np.allclose(table.loc[learned, "value"], full.loc[learned, "value"])
    # the served model itself still learns from everyone
    np.testing.assert_allclose(sampled.coef_, model.coef_)


def test_served_ranker_is_the_validated_choice(model: TrainingRecommender) -> None:
    table = model.validation_
    assert (model.ranker_, model.ranker_reason_) == choose_ranker(table)
    assert table["chosen"].sum() == 1
    assert table.loc[table["chosen"], "ranker"].item() == model.ranker_


def test_every_ranker_forecasts_finite_numbers(
    ds: Dataset, model: TrainingRecommender, nips: pd.Series
) -> None:
    ids = ds.trainings.loc[ds.trainings["active"], "training_id"]
    pair_nips = pd.Series(np.repeat(nips.head(10).to_numpy(), len(ids)))
    pair_ids = pd.Series(np.tile(ids.to_numpy(), 10))
    served, _ = model.forecast(ds, pair_nips, pair_ids)
    for name in RANKERS:
        frame, _detail = model.forecast(ds, pair_nips, pair_ids, ranker=name)
        assert len(frame) == len(pair_ids)
        numbers = frame[["expected_gain", "gain_lower", "gain_upper", "weighted_gap"]]
        assert np.isfinite(numbers.to_numpy(dtype=float)).all(), name
        assert (frame["gain_lower"] <= frame["expected_gain"]).all()
        assert (frame["expected_gain"] <= frame["gain_upper"]).all()
        if name == model.ranker_:
            pd.testing.assert_frame_equal(frame, served)
    # the rankers do differ
    structured = model.forecast(ds, pair_nips, pair_ids, ranker="structured")[0]
    uplift = model.forecast(ds, pair_nips, pair_ids, ranker="uplift")[0]
    assert not np.allclose(structured["expected_gain"], uplift["expected_gain"])


def test_lists_credit_marginal_gains_without_repeating_a_course(
    ds: Dataset, model: TrainingRecommender, nips: pd.Series
) -> None:
    recs = model.recommend(ds, nips, k=5)
    assert len(recs) > 0
    assert (recs["ranker"] == model.ranker_).all()
    assert not recs.duplicated(["nip", "title"]).any()
    assert not recs.duplicated(["nip", "training_id"]).any()
    sums = recs.groupby("nip")["expected_gain"].transform("sum")
    np.testing.assert_allclose(recs["list_gain"], sums, rtol=1e-9)
    # a training's marginal gain is at most its gain alone (where that gain is positive)
    positive = recs["gain_alone"] >= 0
    assert (recs.loc[positive, "expected_gain"] <= recs.loc[positive, "gain_alone"] + 1e-9).all()
    for _, group in recs.groupby("nip"):
        assert list(group["rank"]) == list(range(1, len(group) + 1))
        # the first item is credited with its whole gain
        assert group["expected_gain"].iloc[0] == pytest.approx(group["gain_alone"].iloc[0])


def test_a_fixed_gap_rule_ranks_first_the_highest_rule_score(
    ds: Dataset, rule_model: TrainingRecommender, nips: pd.Series
) -> None:
    assert rule_model.ranker_ == "gap_rule"
    assert rule_model.ranker_reason_ == WHY_FIXED
    assert rule_model.validation_["chosen"].sum() == 1
    recs = rule_model.recommend(ds, nips, k=3)
    assert (recs["ranker"] == "gap_rule").all()
    # the raw gap rule over each person's candidates (as recommend makes them)
    catalog = ds.trainings[ds.trainings["active"]]
    pair_nips = pd.Series(np.repeat(nips.to_numpy(), len(catalog)))
    pair_ids = pd.Series(np.tile(catalog["training_id"].to_numpy(), len(nips)))
    frame, detail = rule_model.forecast(ds, pair_nips, pair_ids)
    frame["rule"] = gap_rule_scores(detail, len(frame))
    done = ds.enrollments.loc[ds.enrollments["status"] == "completed", ["nip", "training_id"]]
    taken = pd.MultiIndex.from_arrays([frame["nip"], frame["training_id"]]).isin(
        pd.MultiIndex.from_frame(done)
    )
    candidates = frame[(frame["weighted_gap"] > 0) & ~taken]
    best = candidates.groupby(candidates["nip"].astype(str))["rule"].max()
    first = recs[recs["rank"] == 1].set_index(recs.loc[recs["rank"] == 1, "nip"].astype(str))
    score = frame.set_index([frame["nip"].astype(str), frame["training_id"].astype(str)])["rule"]
    got = score.reindex(
        pd.MultiIndex.from_arrays([first.index, first["training_id"].astype(str)])
    ).to_numpy()
    np.testing.assert_allclose(got, best.reindex(first.index).to_numpy())
    assert set(first.index) == set(best.index)


def test_a_bad_ranker_name_is_a_clear_error(
    ds: Dataset, model: TrainingRecommender, nips: pd.Series
) -> None:
    with pytest.raises(ValueError, match="ranker must be 'auto' or one of"):
        TrainingRecommender(ranker="best").fit(ds)
    with pytest.raises(ValueError, match="validation_fit_people=0"):
        TrainingRecommender(validation_fit_people=0).fit(ds)
    with pytest.raises(ValueError, match="ranker must be one of"):
        model.forecast(ds, nips.head(1), ["PLT-001"], ranker="best")


def test_the_model_clones_with_its_parameters(model: TrainingRecommender) -> None:
    params = model.get_params()
    names = ("ranker", "uplift", "validation_k", "validation_people", "validation_fit_people")
    for name in (*names, "n_bootstrap"):
        assert name in params
    assert params["ranker"] == "auto"
    copy = clone(model)
    assert copy.get_params() == params
    assert not hasattr(copy, "ranker_")
    assert not hasattr(copy, "validation_")
    fixed = clone(model).set_params(ranker="uplift")
    assert fixed.ranker == "uplift" and model.ranker == "auto"
