"""The training recommender on a small demo world: ranking, intervals, reasons, cold start."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import Dataset, load_dataset
from recsys.evaluation.trainings import evaluate_on_truth, evaluate_time_split
from recsys.models.requests import InactiveEmployeeError, UnknownEmployeeError
from recsys.models.trainings import RECOMMENDATION_COLUMNS, TrainingRecommender


@pytest.fixture(scope="module")
def ds(small_world: Path) -> Dataset:
    return load_dataset(small_world)


@pytest.fixture(scope="module")
def model(ds: Dataset) -> TrainingRecommender:
    return TrainingRecommender(n_bootstrap=10).fit(ds)


def test_recommendations_are_ranked_explained_and_new_to_the_person(
    ds: Dataset, model: TrainingRecommender
) -> None:
    nips = ds.employees.loc[ds.employees["active"], "nip"].head(40)
    recs = model.recommend(ds, nips, k=5)
    assert list(recs.columns) == list(RECOMMENDATION_COLUMNS)
    assert set(recs["nip"].astype(str)) <= set(nips.astype(str))
    for _, group in recs.groupby("nip"):
        assert list(group["rank"]) == list(range(1, len(group) + 1))
        assert group["expected_gain"].is_monotonic_decreasing
    assert (recs["gain_lower"] <= recs["expected_gain"]).all()
    assert (recs["expected_gain"] <= recs["gain_upper"]).all()
    active = set(ds.trainings.loc[ds.trainings["active"], "training_id"].astype(str))
    assert set(recs["training_id"].astype(str)) <= active
    done = ds.enrollments[ds.enrollments["status"] == "completed"]
    taken = set(zip(done["nip"].astype(str), done["training_id"].astype(str), strict=True))
    pairs = zip(recs["nip"].astype(str), recs["training_id"].astype(str), strict=True)
    assert not any(pair in taken for pair in pairs)
    assert recs["reason"].str.startswith("Menutup kesenjangan").all()
    assert (recs["gaps_closed"] != "").all()


def _every_pair(ds: Dataset, nips: pd.Series) -> pd.DataFrame:
    """Every (person, active training) pair of ``nips``."""
    catalog = ds.trainings.loc[ds.trainings["active"], "training_id"]
    return pd.DataFrame(
        {
            "nip": np.repeat(nips.to_numpy(), len(catalog)),
            "training_id": np.tile(catalog.to_numpy(), len(nips)),
        }
    )


def _best_new_pair(ds: Dataset, every: pd.DataFrame) -> pd.DataFrame:
    """Each person's highest forecast of ``every`` (a forecast of :func:`_every_pair`)
    among the trainings that close a gap and that the person has not completed, by NIP."""
    done = ds.enrollments[ds.enrollments["status"] == "completed"]
    taken = set(zip(done["nip"].astype(str), done["training_id"].astype(str), strict=True))
    keys = zip(every["nip"].astype(str), every["training_id"].astype(str), strict=True)
    new_to_them = np.array([key not in taken for key in keys])
    every = every[(every["weighted_gap"].to_numpy() > 0) & new_to_them]
    best = every.loc[every.groupby(every["nip"].astype(str))["expected_gain"].idxmax()]
    return best.set_index(best["nip"].astype(str))


@pytest.mark.parametrize("ranker", ["structured", "blend", "gap_rule"])
def test_each_first_item_is_the_best_of_every_pair_forecast_one_by_one(
    ds: Dataset, model: TrainingRecommender, ranker: str
) -> None:
    """The batch path forecasts only the pairs that can close a gap and computes intervals
    for the listed items only; its first items must still be the best of a forecast over
    every (person, active training) pair, with that forecast's interval."""
    forced = copy.copy(model)
    forced.ranker_ = ranker  # every candidate is fitted: serve this one
    nips = ds.employees.loc[ds.employees["active"], "nip"].iloc[::37].head(60)
    recs = forced.recommend(ds, nips, k=3)
    first = recs[recs["rank"] == 1].set_index(recs.loc[recs["rank"] == 1, "nip"].astype(str))
    pairs = _every_pair(ds, nips)
    every, _ = forced.forecast(ds, pairs["nip"], pairs["training_id"])
    best = _best_new_pair(ds, every)
    assert set(first.index) == set(best.index)
    best = best.loc[first.index]
    assert len(first) > 30
    np.testing.assert_allclose(first["expected_gain"], best["expected_gain"], rtol=1e-9)
    np.testing.assert_allclose(first["gain_lower"], best["gain_lower"], rtol=1e-9)
    np.testing.assert_allclose(first["gain_upper"], best["gain_upper"], rtol=1e-9)


def test_a_rule_weight_mixes_every_forecast_with_the_gap_rules(
    ds: Dataset, model: TrainingRecommender
) -> None:
    """The planner's lists: each pair's expected gain and interval are the served ranker's
    and the gap rule's mixed by ``rule_weight``, and the lists are ranked by that mixture;
    a weight of 1 gives the gap rule's own lists, and a bad weight is a clear error."""
    forced = copy.copy(model)
    forced.ranker_ = "blend"
    rule = copy.copy(model)
    rule.ranker_ = "gap_rule"
    nips = ds.employees.loc[ds.employees["active"], "nip"].iloc[::41].head(50)
    weight = 0.3
    recs = forced.recommend(ds, nips, k=3, rule_weight=weight)
    first = recs[recs["rank"] == 1].set_index(recs.loc[recs["rank"] == 1, "nip"].astype(str))
    pairs = _every_pair(ds, nips)
    learned, _ = forced.forecast(ds, pairs["nip"], pairs["training_id"])
    by_rule, _ = rule.forecast(ds, pairs["nip"], pairs["training_id"])
    mixed = learned.copy()
    for column in ("expected_gain", "gain_lower", "gain_upper"):
        mixed[column] = (1 - weight) * learned[column] + weight * by_rule[column]
    best = _best_new_pair(ds, mixed).loc[first.index]
    assert len(first) > 25
    assert (first["training_id"].astype(str) == best["training_id"].astype(str)).all()
    for column in ("expected_gain", "gain_lower", "gain_upper"):
        np.testing.assert_allclose(first[column], best[column], rtol=1e-9)
    # the mixture is not either ranker's alone
    alone = forced.recommend(ds, nips, k=3)
    assert not np.allclose(alone["expected_gain"], recs["expected_gain"])
    whole = forced.recommend(ds, nips, k=3, rule_weight=1.0)
    own = rule.recommend(ds, nips, k=3)
    assert whole["training_id"].tolist() == own["training_id"].tolist()
    np.testing.assert_allclose(whole["expected_gain"], own["expected_gain"], rtol=1e-9)
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="rule_weight must be between 0 and 1"):
            forced.recommend(ds, nips, k=3, rule_weight=bad)


def test_english_reasons(ds: Dataset, model: TrainingRecommender) -> None:
    nip = ds.employees.loc[ds.employees["active"], "nip"].iloc[0]
    recs = model.recommend(ds, [nip], k=3, lang="en")
    assert recs["reason"].str.startswith("Closes the gap").all()
    assert recs["reason"].str.contains("SKP").all()


def test_unknown_nip_and_bad_k_are_clear_errors(ds: Dataset, model: TrainingRecommender) -> None:
    with pytest.raises(UnknownEmployeeError, match="199901012020011999"):
        model.recommend(ds, ["199901012020011999"])
    gone = ds.employees.loc[~ds.employees["active"], "nip"].astype(str).iloc[0]
    with pytest.raises(InactiveEmployeeError, match=gone):
        model.recommend(ds, [gone])
    with pytest.raises(ValueError, match="k must be at least 1"):
        model.recommend(ds, [ds.employees["nip"].iloc[0]], k=0)


def test_cold_start_new_employee_and_new_training(ds: Dataset, model: TrainingRecommender) -> None:
    newcomer = ds.employees.iloc[[0]].copy()
    newcomer["nip"] = pd.array(["200001012025030101"], dtype=newcomer["nip"].dtype)
    newcomer["hire_date"] = pd.Timestamp("2025-03-01")
    newcomer["birth_date"] = pd.Timestamp("2000-01-01")
    fresh = ds.trainings.iloc[[0]].copy()
    fresh["training_id"] = pd.array(["PLT-NEW"], dtype=fresh["training_id"].dtype)
    fresh["active"] = True
    links = ds.training_competencies[
        ds.training_competencies["training_id"] == ds.trainings["training_id"].iloc[0]
    ].assign(training_id=lambda d: pd.array(["PLT-NEW"] * len(d), dtype=d["training_id"].dtype))
    tables = dict(ds.tables)
    tables["employees"] = pd.concat([ds.employees, newcomer], ignore_index=True)
    tables["trainings"] = pd.concat([ds.trainings, fresh], ignore_index=True)
    tables["training_competencies"] = pd.concat(
        [ds.training_competencies, links], ignore_index=True
    )
    grown = Dataset(tables=tables, report=ds.report, source=ds.source)
    recs = model.recommend(grown, [newcomer["nip"].iloc[0]], k=80)
    assert len(recs) > 0
    assert recs["reason"].str.contains("belum diases").all()
    forecast, _ = model.forecast(grown, [newcomer["nip"].iloc[0]], ["PLT-NEW"])
    assert np.isfinite(forecast["expected_gain"]).all()
    if "PLT-NEW" in set(recs["training_id"].astype(str)):
        row = recs[recs["training_id"].astype(str) == "PLT-NEW"].iloc[0]
        assert "pelatihan baru" in row["reason"]


def test_beats_baselines_on_the_truth(
    ds: Dataset, model: TrainingRecommender, small_world: Path
) -> None:
    metrics = evaluate_on_truth(model, ds, small_world / "_truth", k=5)
    assert metrics["share_of_oracle_top5"] > 0.75
    for baseline in ("popularity", "position_popularity", "gap_rule"):
        assert metrics["share_of_oracle_top5"] > metrics[f"{baseline}_share_of_oracle_top5"]
    assert 0.6 <= metrics["interval_coverage_topk"] <= 1.0


def test_time_split_ranks_observed_uplift(ds: Dataset) -> None:
    metrics = evaluate_time_split(
        ds, pd.Timestamp("2024-01-01"), model=TrainingRecommender(n_bootstrap=5)
    )
    assert metrics["test_enrollments"] > 100
    assert metrics["model_spearman"] > metrics["popularity_spearman"]


def test_one_decimal_matches_format() -> None:
    import numpy as np
    import pandas as pd

    from recsys.models.reasons import _one_decimal

    values = pd.Series(np.random.default_rng(3).uniform(0, 5, 10_000), index=range(5, 10_005))
    values.iloc[:6] = [0.05, 0.15, 0.25, 2.45, 4.95, 5.0]  # halfway cases
    expected = values.round(1).map("{:.1f}".format)
    pd.testing.assert_series_equal(_one_decimal(values), expected.astype(object))
    assert _one_decimal(pd.Series([], dtype=float)).empty


def test_the_blend_has_its_own_error_and_a_model_saved_before_keeps_its_intervals(
    ds: Dataset, model: TrainingRecommender
) -> None:
    nips = ds.employees.loc[ds.employees["active"], "nip"].astype(str).head(20).tolist()
    ids = ds.trainings.loc[ds.trainings["active"], "training_id"].astype(str).head(5).tolist()
    pairs = pd.DataFrame([(n, t) for n in nips for t in ids], columns=["nip", "training_id"])

    def forecast(m: TrainingRecommender, ranker: str) -> pd.DataFrame:
        return m.forecast(ds, pairs["nip"], pairs["training_id"], ranker=ranker)[0]

    blend = forecast(model, "blend")
    saved_before = copy.deepcopy(model)
    del saved_before.blend_error_bins_, saved_before.blend_error_scale_
    del saved_before.reach_coef_, saved_before.reach_coef_samples_
    old = forecast(saved_before, "blend")
    halves = [forecast(model, r) for r in ("structured", "uplift")]
    # a model saved before the reach line blends its two halves, as it did
    np.testing.assert_allclose(
        old["expected_gain"], sum(h["expected_gain"] for h in halves) / 2, rtol=1e-9
    )
    old_half = (sum(h["gain_upper"] - h["expected_gain"] for h in halves) / 2).to_numpy()
    np.testing.assert_allclose((old["gain_upper"] - old["expected_gain"]).to_numpy(), old_half)
    # the blend's own out-of-fold error, not the halves' widths averaged
    new_half = (blend["gain_upper"] - blend["expected_gain"]).to_numpy()
    assert not np.allclose(new_half, old_half)
    assert (new_half > 0).all()


def test_the_blend_averages_the_two_models_and_the_line_on_the_weighted_reach(
    ds: Dataset, model: TrainingRecommender
) -> None:
    nips = ds.employees.loc[ds.employees["active"], "nip"].astype(str).head(30).tolist()
    ids = ds.trainings.loc[ds.trainings["active"], "training_id"].astype(str).tolist()
    pairs = pd.DataFrame([(n, t) for n in nips for t in ids], columns=["nip", "training_id"])
    scores, features = model._candidates(ds, pairs["nip"], pairs["training_id"], model.as_of_)
    useful = np.isfinite(scores["blend"])
    assert useful.sum() > 50
    reach = features["weighted_reach"].to_numpy()[useful]
    # the reach is never below the gap clipped at the standard, and often above it
    gap = features["weighted_gap"].to_numpy()[useful]
    assert (reach >= gap - 1e-9).all() and (reach > gap + 1e-6).mean() > 0.2
    intercept, slope = model.reach_coef_
    assert slope > 0
    line = intercept + slope * reach
    expected = (scores["structured"][useful] + scores["uplift"][useful] + line) / 3
    np.testing.assert_allclose(scores["blend"][useful], expected, rtol=1e-9)
    # a training reaching further for the same person ranks higher by the line
    assert np.corrcoef(line, reach)[0, 1] == pytest.approx(1.0)


@pytest.mark.parametrize("ranker", ["structured", "uplift", "blend", "gap_rule"])
def test_the_pyfunc_input_of_each_ranker_forecasts_as_the_recommender_does(
    ds: Dataset, model: TrainingRecommender, ranker: str
) -> None:
    served = copy.copy(model)
    served.ranker_ = ranker
    # the registered signature's example forecasts (MLflow infers the signature from it)
    example = served.forecast_from_features(served.example_features())
    assert np.isfinite(example.to_numpy(dtype=float)).all()
    nips = ds.employees.loc[ds.employees["active"], "nip"].astype(str).head(8).tolist()
    ids = ds.trainings.loc[ds.trainings["active"], "training_id"].astype(str).head(6).tolist()
    pairs = pd.DataFrame([(n, t) for n in nips for t in ids], columns=["nip", "training_id"])
    frame = served.pyfunc_input(ds, pairs["nip"], pairs["training_id"])
    assert list(frame.columns) == list(served.example_features().columns)
    assert ("weighted_reach" in frame.columns) == (ranker == "blend")
    via_pyfunc = served.forecast_from_features(frame)
    direct = served.forecast(ds, pairs["nip"], pairs["training_id"], ranker=ranker)[0]
    np.testing.assert_allclose(
        via_pyfunc["expected_gain"].to_numpy(), direct["expected_gain"].to_numpy(), rtol=1e-9
    )
