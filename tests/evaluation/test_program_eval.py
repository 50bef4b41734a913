"""The yearly program judged on the truth: a set's true value, the oracle's plan and the
limits check, on the small demo world."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import Dataset, load_dataset
from recsys.evaluation.program import (
    TrainingTruth,
    bundle_values,
    check_limits,
    oracle_items,
    true_plan_gain,
)
from recsys.models.trainings import TrainingRecommender
from recsys.planning.agency_program import active_catalog
from recsys.planning.program import ITEM_COLUMNS, MAX_ITEMS_PER_PERSON, Plan, PlanLimits, solve
from recsys.planning.program_inputs import candidate_items, plan_year, planning_people
from recsys.simulation.world import TRUTH_DIR


@pytest.fixture(scope="module")
def ds(small_world: Path) -> Dataset:
    return load_dataset(small_world)


@pytest.fixture(scope="module")
def truth(small_world: Path, ds: Dataset) -> TrainingTruth:
    return TrainingTruth.load(small_world, ds)


@pytest.fixture(scope="module")
def gains(small_world: Path) -> pd.DataFrame:
    return pd.read_parquet(small_world / TRUTH_DIR / "training_gain.parquet")


@pytest.fixture(scope="module")
def setting(ds: Dataset) -> tuple[pd.DataFrame, pd.DataFrame, PlanLimits]:
    people = planning_people(ds, year=plan_year(ds, None))
    return people, active_catalog(ds), PlanLimits(budget_idr=1_000_000.0 * len(people))


def test_a_single_training_is_worth_the_truth_files_expected_gain(
    truth: TrainingTruth, gains: pd.DataFrame
) -> None:
    sample = gains.sample(3_000, random_state=0)
    values = bundle_values(truth, sample.assign(nip=sample["nip"] + "", key=np.arange(3_000)))
    # one set per person: value each pair on its own
    emp, t = truth.rows(sample["nip"]), truth.columns(sample["training_id"])
    single = truth.marginals(emp, t[:, None])[:, 0]
    np.testing.assert_allclose(single, sample["expected_gain"], rtol=1e-5, atol=1e-5)
    one = sample.drop_duplicates("nip")
    np.testing.assert_allclose(
        bundle_values(truth, one).reindex(one["nip"]).to_numpy(),
        one["expected_gain"],
        rtol=1e-5,
        atol=1e-5,
    )
    assert (values >= 0).all()


def test_two_trainings_closing_the_same_gap_are_worth_less_than_their_sum(
    truth: TrainingTruth, ds: Dataset, gains: pd.DataFrame
) -> None:
    links = ds.training_competencies.astype(str)
    shared = links.merge(links, on="competency").query("training_id_x < training_id_y")
    positive = gains[gains["expected_gain"] > 0.5]
    both = positive.merge(positive, on="nip").merge(
        shared[["training_id_x", "training_id_y"]].drop_duplicates()
    )
    assert len(both) > 0
    pair = both.iloc[0]
    sets = pd.DataFrame(
        {"nip": [pair["nip"]] * 2, "training_id": [pair["training_id_x"], pair["training_id_y"]]}
    )
    value = float(bundle_values(truth, sets).iloc[0])
    assert 0 < value < pair["expected_gain_x"] + pair["expected_gain_y"] - 1e-6
    assert value >= max(pair["expected_gain_x"], pair["expected_gain_y"]) - 1e-6


def test_the_oracle_plan_gains_at_least_the_champions_within_the_limits(
    small_world: Path,
    ds: Dataset,
    truth: TrainingTruth,
    setting: tuple[pd.DataFrame, pd.DataFrame, PlanLimits],
) -> None:
    people, catalog, limits = setting
    champion = TrainingRecommender(n_bootstrap=10).fit(ds)
    items = candidate_items(champion, ds, people)
    oracle = oracle_items(truth, people, catalog)
    assert list(oracle.columns) == list(ITEM_COLUMNS)
    assert oracle.groupby("person").size().max() <= MAX_ITEMS_PER_PERSON
    assert (oracle["gain"] > 0).all()
    # each listed gain is what the item truly adds to the items above it
    slot = oracle.groupby("person").cumcount().to_numpy()
    first = oracle.drop_duplicates("person")
    sequence = np.full((len(first), MAX_ITEMS_PER_PERSON), -1)
    sequence[np.searchsorted(first["person"], oracle["person"]), slot] = truth.columns(
        oracle["training_id"]
    )
    marginal = truth.marginals(truth.rows(first["nip"]), sequence)
    np.testing.assert_allclose(marginal[sequence >= 0], oracle["gain"], rtol=1e-9)
    plan = solve(items, people, catalog, limits)
    best = solve(oracle, people, catalog, limits)
    for made in (plan, best):
        assert check_limits(made, people, catalog, limits) == []
    assert true_plan_gain(best.items, truth) >= true_plan_gain(plan.items, small_world)


def test_check_limits_names_what_a_plan_breaks(
    truth: TrainingTruth, setting: tuple[pd.DataFrame, pd.DataFrame, PlanLimits]
) -> None:
    people, catalog, limits = setting
    oracle = oracle_items(truth, people.head(300), catalog)
    loose = replace(limits, budget_idr=3e8, max_jp_per_person=1_000.0)
    plan = solve(oracle, people.head(300), catalog, loose)
    assert check_limits(plan, people.head(300), catalog, loose) == []
    broken = Plan(
        items=plan.items.assign(quarter=1),
        people=plan.people,
        method="broken",
        objective=0.0,
        bound=float("nan"),
        seconds=0.0,
    )
    found = check_limits(
        broken, people.head(300), catalog, replace(loose, budget_idr=plan.cost / 2)
    )
    assert any(line.startswith("budget") for line in found)
    assert any(line.startswith("classroom") for line in found)
    many = plan.items.assign(hours_jp=500.0)
    capped = replace(broken, items=many)
    assert any(line.startswith("JP cap") for line in check_limits(capped, people, catalog, limits))
