"""The yearly program planner: the best plan within every limit, checked against brute force
on small instances, and the rounded LP against the exact plan."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from recsys.planning.program import (
    CLASSROOM,
    JP_FILLERS,
    MAX_ITEMS_PER_PERSON,
    QUARTERS,
    Plan,
    PlanInputError,
    PlanLimits,
    greedy,
    plan_items,
    shortfall_penalty,
    solve,
)

MODALITIES = ("klasikal", "e_learning", "blended", "workshop", "seminar")


def _instance(
    n_people: int, k: int, seed: int, *, seats: int | None = 30
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """People, their recommendation lists and the catalog, at random."""
    rng = np.random.default_rng(seed)
    catalog = pd.DataFrame(
        {
            "training_id": [f"T{i:02d}" for i in range(20)],
            "modality": [MODALITIES[i % len(MODALITIES)] for i in range(20)],
            "hours_jp": rng.choice([4, 8, 16, 24, 40], 20),
            "cost_idr": rng.choice([0, 500_000, 2_000_000, 5_000_000, 9_000_000], 20),
            "capacity": pd.array([seats if i % 3 == 0 else None for i in range(20)], "Int64"),
        }
    )
    catalog.loc[catalog["modality"] == "e_learning", "cost_idr"] = 150_000
    people = pd.DataFrame(
        {
            "nip": [f"P{i:05d}" for i in range(n_people)],
            "unit": [f"Unit {i % 7}" for i in range(n_people)],
            "remote_area": rng.random(n_people) < 0.2,
            "jp_completed": rng.choice([0.0, 8.0, 16.0, 24.0], n_people),
        }
    )
    rows = []
    for i, nip in enumerate(people["nip"]):
        picks = rng.choice(len(catalog), k, replace=False)
        gains = np.sort(rng.gamma(2.0, 0.6, k))[::-1]
        for rank, (t, g) in enumerate(zip(picks, gains, strict=True), start=1):
            rows.append(
                {
                    "nip": nip,
                    "rank": rank,
                    "training_id": catalog["training_id"].iat[t],
                    "expected_gain": g if (i + rank) % 11 else -0.1,  # a few that do not work
                    "gain_lower": g - 1.0,
                    "gain_upper": g + 1.0,
                    "cost_idr": catalog["cost_idr"].iat[t],
                    "hours_jp": catalog["hours_jp"].iat[t],
                    "modality": catalog["modality"].iat[t],
                }
            )
    return people, pd.DataFrame(rows), catalog


def _check_within_limits(plan: Plan, people: pd.DataFrame, catalog: pd.DataFrame, limits) -> None:
    items = plan.items
    assert items["cost_idr"].sum() <= limits.budget_idr + 1e-6
    for unit, budget in (limits.unit_budgets or {}).items():
        assert items.loc[items["unit"] == unit, "cost_idr"].sum() <= budget + 1e-6
    capacity = catalog.set_index("training_id")["capacity"]
    for training, used in items["training_id"].value_counts().items():
        seats = (limits.seats or {}).get(training, capacity.get(training))
        if seats is not None and not pd.isna(seats):
            assert used <= seats
    over = plan.people["jp_planned"] > limits.max_jp_per_person + 1e-9
    # beyond the cap only with a single long course
    alone = items.groupby("nip").size().reindex(plan.people.loc[over, "nip"]).fillna(0)
    assert (alone <= 1).all()
    assert not items.duplicated(["nip", "training_id"]).any()
    assert ((items["gain"] > 0) | (items["modality"] == "e_learning")).all()
    # classroom: a person's items in different quarters; no quarter over the unit's share
    classroom = items[items["modality"].isin(CLASSROOM)]
    assert not classroom.duplicated(["nip", "quarter"]).any()
    staff = people.groupby("unit").size()
    away = np.maximum(1, np.floor(limits.classroom_share * staff))
    per_quarter = classroom.groupby(["unit", "quarter"])["nip"].nunique()
    for (unit, _), count in per_quarter.items():
        assert count <= away[unit]
    assert items["quarter"].between(1, QUARTERS).all()
    if limits.remote_budget_share > 0 and len(items):
        remote = set(people.loc[people["remote_area"], "nip"])
        spent = items.loc[items["nip"].isin(remote), "cost_idr"].sum()
        assert spent >= limits.remote_budget_share * items["cost_idr"].sum() - 1e-6


def _brute_force(items: pd.DataFrame, people: pd.DataFrame, catalog, limits) -> float:
    """The best gain + penalty · JP towards the minimum over every subset of the items (tiny
    instances only); a person may exceed the JP cap only with one long course."""
    penalty = shortfall_penalty(items)
    best = -np.inf
    need = np.maximum(0, limits.min_jp - people["jp_completed"].to_numpy())
    capacity = catalog.set_index("training_id")["capacity"]
    staff = people.groupby("unit").size()
    away = np.maximum(1, np.floor(limits.classroom_share * staff))
    for mask in itertools.product([False, True], repeat=len(items)):
        pick = items[list(mask)]
        if pick["cost_idr"].sum() > limits.budget_idr:
            continue
        counts = pick["training_id"].value_counts()
        if any(not pd.isna(capacity[t]) and n > capacity[t] for t, n in counts.items()):
            continue
        jp = np.bincount(pick["person"], weights=pick["hours_jp"], minlength=len(people))
        count = np.bincount(pick["person"], minlength=len(people))
        if ((jp > limits.max_jp_per_person) & (count > 1)).any():
            continue
        room = pick[pick["classroom"]]
        if (room.groupby("unit").size() > QUARTERS * away.reindex(room["unit"].unique())).any():
            continue
        if (np.bincount(room["person"], minlength=len(people)) > QUARTERS).any():
            continue
        best = max(best, pick["gain"].sum() + penalty * np.minimum(need, jp).sum())
    return float(best)


@pytest.mark.parametrize("budget", [600_000, 9_000_000])
@pytest.mark.parametrize("seed", [1, 2])
def test_the_exact_plan_is_the_best_of_every_subset_and_within_every_limit(
    budget: float, seed: int
) -> None:
    people, lists, catalog = _instance(4, 3, seed=seed, seats=1)
    people["jp_completed"] = [0.0, 0.0, 8.0, 24.0]
    limits = PlanLimits(budget_idr=budget, max_jp_per_person=48, classroom_share=0.25)
    items = plan_items(lists, people)
    plan = solve(items, people, catalog, limits, method="exact")
    assert plan.objective == pytest.approx(_brute_force(items, people, catalog, limits), abs=1e-6)
    if budget < 1_000_000:
        assert plan.people["shortfall"].sum() > 0  # the 20-JP rule binds
    assert plan.bound >= plan.objective - 1e-6
    _check_within_limits(plan, people, catalog, limits)


def test_everyone_reaches_20_jp_when_the_budget_allows_and_the_rest_say_why() -> None:
    people, lists, catalog = _instance(300, 6, seed=2, seats=None)
    items = plan_items(lists, people)
    rich = solve(items, people, catalog, PlanLimits(budget_idr=1e10))
    reachable = rich.people["reason"] != "no_training"
    assert (rich.people.loc[reachable, "shortfall"] == 0).all()
    assert set(rich.people["reason"]) <= {"", "no_training"}
    # with little money the plan still covers JP before it buys gain, and says why not
    poor = solve(items, people, catalog, PlanLimits(budget_idr=2_000_000))
    short = poor.people[poor.people["shortfall"] > 0]
    assert len(short) > 0 and set(short["reason"]) <= {"budget", "seats", "away", "no_training"}
    assert (short["reason"] == "budget").any()
    assert poor.share_at_minimum < rich.share_at_minimum

    # the poor plan buys its JP cheaply
    def jp_per_idr(plan: Plan) -> float:
        return plan.items["hours_jp"].sum() / max(plan.cost, 1.0)

    assert jp_per_idr(poor) > jp_per_idr(rich)
    assert poor.cost <= 2_000_000


def test_full_seats_are_named_as_the_reason() -> None:
    people, lists, catalog = _instance(60, 2, seed=3, seats=0)
    catalog["capacity"] = pd.array([0] * len(catalog), "Int64")
    items = plan_items(lists, people)
    plan = solve(items, people, catalog, PlanLimits(budget_idr=1e10))
    assert plan.items.empty
    due = plan.people[plan.people["shortfall"] > 0]
    assert len(due) and set(due["reason"]) <= {"seats", "no_training"}
    assert (due["reason"] == "seats").any()


@pytest.mark.parametrize("remote_share", [0.0, 0.3])
def test_limits_hold_and_the_rounded_lp_is_close_to_the_exact_plan(
    remote_share: float,
) -> None:
    people, lists, catalog = _instance(1_000, 6, seed=4)
    items = plan_items(lists, people)
    limits = PlanLimits(
        budget_idr=450_000_000,
        unit_budgets={"Unit 0": 50_000_000, "Unit 3": 30_000_000},
        max_jp_per_person=64,
        classroom_share=0.1,
        remote_budget_share=remote_share,
    )
    exact = solve(items, people, catalog, limits, method="exact")
    fast = solve(items, people, catalog, limits, method="rounded")
    baseline = greedy(items, people, catalog, limits)
    for plan in (exact, fast):
        _check_within_limits(plan, people, catalog, limits)
        assert plan.bound >= exact.objective - 1e-6
    assert exact.gap <= 0.01
    assert fast.objective >= exact.objective - 0.05 * abs(exact.objective)
    assert fast.gap <= 0.1
    # the baseline covers JP first too, cheapest JP first; the plan misses no more JP, and
    # gains more with as few missing
    missing = {p.method: p.people["shortfall"].sum() for p in (exact, baseline)}
    assert missing["exact"] <= missing["greedy"] + 1e-6
    if missing["exact"] >= missing["greedy"] - 1e-6:
        assert exact.objective >= baseline.objective - 1e-6
    assert exact.budget_price > 0  # the budget binds: more money buys more
    assert fast.method == "rounded" and exact.method == "exact"


def test_the_marginal_values_name_binding_seats() -> None:
    people, lists, catalog = _instance(600, 5, seed=5, seats=3)
    items = plan_items(lists, people)
    plan = solve(items, people, catalog, PlanLimits(budget_idr=1e10))
    limited = set(catalog.loc[catalog["capacity"].notna(), "training_id"])
    assert len(plan.seat_prices) > 0 and set(plan.seat_prices.index) <= limited
    assert (plan.seat_prices > 0).all()
    assert plan.budget_price == pytest.approx(0.0, abs=1e-9)  # money does not bind here


@pytest.mark.parametrize(
    ("limits", "field"),
    [
        (PlanLimits(budget_idr=-1), "budget_idr"),
        (PlanLimits(budget_idr=float("nan")), "budget_idr"),
        (PlanLimits(budget_idr=1e18), "budget_idr"),
        (PlanLimits(budget_idr=1e9, unit_budgets={"Nowhere": 1e6}), "unit_budgets"),
        (PlanLimits(budget_idr=1e9, seats={"T00": -2}), "seats"),
        (PlanLimits(budget_idr=1e9, seats={"NOPE": 2}), "seats"),
        (PlanLimits(budget_idr=1e9, classroom_share=0), "classroom_share"),
        (PlanLimits(budget_idr=1e9, max_jp_per_person=0), "max_jp_per_person"),
        (PlanLimits(budget_idr=1e9, remote_budget_share=1.5), "remote_budget_share"),
    ],
)
def test_bad_limits_are_clear_errors_naming_the_field(limits: PlanLimits, field: str) -> None:
    people, lists, catalog = _instance(20, 3, seed=6)
    with pytest.raises(PlanInputError, match=field) as raised:
        solve(plan_items(lists, people), people, catalog, limits)
    assert raised.value.field == field


def test_items_keep_only_the_planned_people_and_working_trainings() -> None:
    people, lists, _ = _instance(30, 4, seed=7)
    items = plan_items(lists, people.iloc[:10])
    assert set(items["nip"]) <= set(people["nip"].iloc[:10])
    # items that work, and e-learning not shown to harm (for the JP)
    works = (items["gain"] > 0) | ((items["modality"] == "e_learning") & (items["gain_upper"] > 0))
    assert works.all()
    ours = lists[lists["nip"].isin(people["nip"].iloc[:10])]
    usable = (ours["expected_gain"] > 0) | (
        (ours["modality"] == "e_learning") & (ours["gain_upper"] > 0)
    )
    assert len(items) == int(usable.sum())
    assert items.groupby("person")["rank"].apply(lambda r: r.is_monotonic_increasing).all()


def test_lists_keep_the_best_e_learning_further_down_as_jp_fillers() -> None:
    people, _, _ = _instance(2, 1, seed=8)
    modality = ["klasikal"] * 6 + ["e_learning", "workshop"] + ["e_learning"] * 7
    lists = pd.DataFrame(
        {
            "nip": people["nip"].iat[0],
            "rank": range(1, 16),
            "training_id": [f"T{i:02d}" for i in range(15)],
            "expected_gain": np.r_[
                1.0:0.45:-0.1, -0.1, 0.3, 0.2, 0.15, 0.1, 0.08, 0.06, 0.04, 0.02
            ],
            "gain_lower": -1.0,
            "gain_upper": [2.0] * 6 + [-0.05] + [2.0] * 8,  # rank 7 is shown to harm
            "cost_idr": 1_000_000,
            "hours_jp": 8,
            "modality": modality,
        }
    )
    items = plan_items(lists, people)
    assert MAX_ITEMS_PER_PERSON == 9 and JP_FILLERS == 7
    # the first two, then the e-learning items further down that work (not the one shown
    # to harm)
    assert items["rank"].tolist() == [1, 2, 9, 10, 11, 12, 13, 14, 15]
    # fewer e-learning items further down: the rest of the list fills the places, in order
    assert plan_items(lists.iloc[:11], people)["rank"].tolist() == [1, 2, 3, 4, 5, 6, 9, 10, 11]
    # without e-learning further down, the list is kept in its order
    lists["modality"] = "klasikal"
    assert plan_items(lists, people)["rank"].tolist() == [1, 2, 3, 4, 5, 6, 8, 9, 10]


def test_column_generation_reaches_the_lp_over_every_bundle() -> None:
    from scipy.optimize import linprog

    from recsys.planning.bundle_master import BundleMaster
    from recsys.planning.program import _bundle_program

    people, lists, catalog = _instance(400, 6, seed=9, seats=12)
    items = plan_items(lists, people)
    limits = PlanLimits(budget_idr=150_000_000, classroom_share=0.1)
    _, bundles, members, _ = _bundle_program(
        items, people, catalog, limits, shortfall_penalty(items)
    )
    a = bundles.a
    hi, lo = np.isfinite(bundles.upper), np.isfinite(bundles.lower)
    from scipy import sparse

    full = linprog(
        bundles.c,
        A_ub=sparse.vstack([a[hi], -a[lo]]),
        b_ub=np.r_[bundles.upper[hi], -bundles.lower[lo]],
        bounds=(0, 1),
        method="highs",
    )
    owner = a[-len(people) :].tocsc().indices
    empty = np.flatnonzero(np.diff(members.indptr) == 0)
    master = BundleMaster(a, bundles.lower, bundles.upper, -bundles.c, owner, empty)
    bound, x, _ = master.solve_lp()
    assert bound == pytest.approx(-full.fun, rel=1e-7)
    assert master.in_master.sum() < 0.5 * len(bundles.c)  # only some bundles were needed
    # one bundle each (the empty one included) for whoever is below the minimum, at most
    # one for the others
    taken = np.bincount(owner, weights=x, minlength=len(people))
    due = people["jp_completed"].to_numpy() < limits.min_jp
    assert np.allclose(taken[due], 1) and (taken[~due] <= 1 + 1e-9).all()


def test_a_long_course_beyond_the_cap_is_taken_alone() -> None:
    people, lists, catalog = _instance(1, 3, seed=10, seats=None)
    lists["expected_gain"] = [3.0, 1.0, 0.5]
    lists["hours_jp"] = [240, 16, 16]
    lists["modality"] = ["klasikal", "e_learning", "e_learning"]
    lists["cost_idr"] = [24_000_000, 0, 0]
    items = plan_items(lists, people)
    limits = PlanLimits(budget_idr=1e9, max_jp_per_person=120)
    for method in ("exact", "auto"):
        plan = solve(items, people, catalog, limits, method=method)
        # the long course alone (3.0) beats the two short ones (1.5); never all three
        assert plan.items["hours_jp"].tolist() == [240]
        assert plan.total_gain == pytest.approx(3.0)
    # within the cap the other items count as usual: two of 80 and 60 JP exceed 120, even
    # though a long course of 200 JP could be taken alone
    lists["expected_gain"] = [0.1, 2.0, 1.5]
    lists["hours_jp"] = [200, 80, 60]
    items = plan_items(lists, people)
    for plan in (
        solve(items, people, catalog, limits, method="exact"),
        solve(items, people, catalog, limits),
        greedy(items, people, catalog, limits),
    ):
        assert plan.items["hours_jp"].tolist() == [80], plan.method
