"""Ranker selection: top-k membership, logging propensities, the off-policy validation and
the choice it leads to, on synthetic data with a known best ranker."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from recsys.models.selection import (
    LEARNED,
    OUTCOME_MODEL,
    RANKERS,
    RULE,
    VALIDATION_COLUMNS,
    WHY_BEATS_RULE,
    WHY_NO_BETTER,
    WHY_NO_TEST,
    choice_propensity,
    choose_ranker,
    logging_propensity,
    loses_to_rule,
    top_k_members,
    validate_rankers,
)

# ----------------------------------------------------------------------------- top_k_members


def test_top_k_members_per_person() -> None:
    person = np.array([0, 0, 0, 1, 1, 1, 1])
    score = np.array([3.0, 1.0, 2.0, 0.5, 4.0, -1.0, 2.0])
    member = top_k_members(person, score, 2)
    np.testing.assert_array_equal(member, [True, False, True, False, True, False, True])


def test_top_k_members_ties_follow_row_order() -> None:
    person = np.zeros(4, dtype=int)
    score = np.array([1.0, 2.0, 2.0, 2.0])
    np.testing.assert_array_equal(top_k_members(person, score, 2), [False, True, True, False])


def test_top_k_members_never_takes_minus_inf_or_nan() -> None:
    person = np.array([0, 0, 0, 1, 1])
    score = np.array([-np.inf, 1.0, np.nan, -np.inf, -np.inf])
    member = top_k_members(person, score, 3)
    np.testing.assert_array_equal(member, [False, True, False, False, False])


def test_top_k_members_with_k_above_the_candidates_takes_every_finite_one() -> None:
    person = np.array([2, 2, 0, 1, 1, 1])
    score = np.array([0.1, -5.0, 7.0, 1.0, np.inf * -1, 3.0])
    np.testing.assert_array_equal(
        top_k_members(person, score, 10), [True, True, True, True, False, True]
    )


def test_top_k_members_does_not_need_sorted_people() -> None:
    rng = np.random.default_rng(0)
    person = rng.integers(0, 30, 400)
    score = rng.normal(size=400)
    member = top_k_members(person, score, 3)
    frame = pd.DataFrame({"p": person, "s": score})
    expected = frame.groupby("p")["s"].rank(ascending=False, method="first") <= 3
    np.testing.assert_array_equal(member, expected.to_numpy())


# ----------------------------------------------------------------------------- propensity


def _history() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "position_type": ["a"] * 8 + ["b"] * 2,
            "training_id": ["T1"] * 6 + ["T2"] * 2 + ["T2", "T3"],
        }
    )


def _all_pairs(history: pd.DataFrame, types: list[str]) -> pd.DataFrame:
    trainings = sorted(history["training_id"].unique())
    return pd.DataFrame(
        {
            "position_type": np.repeat(types, len(trainings)),
            "training_id": np.tile(trainings, len(types)),
        }
    )


def test_logging_propensities_of_a_position_type_sum_to_one() -> None:
    history = _history()
    for smoothing, types in ((0.0, ["a", "b"]), (1.0, ["a", "b", "unseen"]), (1e6, ["a"])):
        test = _all_pairs(history, types)
        p = logging_propensity(history, test, smoothing=smoothing)
        assert (p > 0).all() or smoothing == 0.0
        sums = pd.Series(p).groupby(test["position_type"].to_numpy()).sum()
        np.testing.assert_allclose(sums.to_numpy(), 1.0)


def test_logging_propensity_is_the_type_share_shrunk_to_the_overall_share() -> None:
    history = _history()
    test = pd.DataFrame({"position_type": ["a", "a", "b"], "training_id": ["T1", "T3", "T3"]})
    # overall share with add-one smoothing: T1 (6 + 1) / (10 + 3), T3 (1 + 1) / 13
    overall = np.array([7 / 13, 2 / 13, 2 / 13])
    raw = np.array([6 / 8, 0 / 8, 1 / 2])
    np.testing.assert_allclose(logging_propensity(history, test, smoothing=0.0), raw)
    np.testing.assert_allclose(logging_propensity(history, test, smoothing=1e9), overall, rtol=1e-6)
    s = 20.0
    expected = (np.array([6, 0, 1]) + s * overall) / (np.array([8, 8, 2]) + s)
    np.testing.assert_allclose(logging_propensity(history, test, smoothing=s), expected)


def test_logging_propensity_of_unknown_types_and_trainings() -> None:
    history = _history()
    test = pd.DataFrame({"position_type": ["zzz", "a"], "training_id": ["T1", "NEW"]})
    p = logging_propensity(history, test, smoothing=20.0)
    # an unseen type gets the overall share; an unseen training a small positive one
    assert p[0] == pytest.approx(7 / 13)
    assert p[1] == pytest.approx(20 * (1 / 13) / (8 + 20))
    assert np.isfinite(p).all()


# ----------------------------------------------------------------------------- validation


def _setting(
    n_people: int,
    uplift_of: dict[str, float],
    policy: dict[str, float],
    ranker_tops: dict[str, list[str]],
    *,
    per_person: int = 3,
    noise: float = 1.0,
    seed: int = 0,
) -> tuple[dict[str, np.ndarray], pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.Series]:
    """People who can each take every training; test enrollments drawn from the logging
    ``policy`` with outcome = the training's true uplift + noise; each ranker scores its
    ``ranker_tops`` highest (in order) and the rest lower. Returns the scores, pairs, test
    rows (without propensity), a history drawn from the same policy and the true value of
    each ranker's soft top-k policy (k = len(top), see :func:`_soft_value`)."""
    rng = np.random.default_rng(seed)
    trainings = list(uplift_of)
    nips = np.array([f"N{i:05d}" for i in range(n_people)])
    pairs = pd.DataFrame(
        {"nip": np.repeat(nips, len(trainings)), "training_id": np.tile(trainings, n_people)}
    )
    scores = {}
    for name, top in ranker_tops.items():
        rank = {t: len(top) - i for i, t in enumerate(top)}
        scores[name] = pairs["training_id"].map(rank).fillna(0.0).to_numpy(dtype=float)
        # a little per-pair noise below the top, so the rest is not one long tie
        scores[name] = scores[name] + np.where(scores[name] > 0, 0, -rng.random(len(pairs)))
    p = np.array([policy[t] for t in trainings])
    p = p / p.sum()
    draws = rng.choice(len(trainings), size=(n_people, per_person), p=p)
    test = pd.DataFrame(
        {
            "nip": np.repeat(nips, per_person),
            "training_id": np.array(trainings)[draws.ravel()],
            "position_type": "pelaksana",
        }
    )
    truth = test["training_id"].map(uplift_of).to_numpy(dtype=float)
    test["uplift"] = truth + rng.normal(0, noise, len(test))
    history = pd.DataFrame(
        {
            "position_type": "pelaksana",
            "training_id": np.array(trainings)[rng.choice(len(trainings), 5 * n_people, p=p)],
        }
    )
    true_value = pd.Series({name: _soft_value(uplift_of, top) for name, top in ranker_tops.items()})
    return scores, pairs, test, history, true_value


def _soft_value(uplift_of: dict[str, float], top: list[str]) -> float:
    """True value of a ranker's soft top-k policy (k = len(top)): the training it ranks r-th
    weighted by exp(−r / k); below the top the order is random, so each place there holds
    the rest's mean uplift on average."""
    k = len(top)
    weight = np.exp(-np.arange(len(uplift_of)) / k)
    rest = [v for t, v in uplift_of.items() if t not in top]
    held = [uplift_of[t] for t in top] + [float(np.mean(rest))] * len(rest)
    return float(weight @ np.array(held) / weight.sum())


def _row(table: pd.DataFrame, ranker: str) -> dict[Any, Any]:
    """One ranker's row of a validation table indexed by ranker."""
    return table.loc[[ranker]].iloc[0].to_dict()


def test_the_ranker_whose_top_k_truly_gains_more_is_chosen() -> None:
    uplift_of = {f"T{i}": 0.0 for i in range(8)} | {"T0": 2.0, "T1": 2.0}
    policy = dict.fromkeys(uplift_of, 1.0)
    tops = {
        "structured": ["T0", "T1"],
        "uplift": ["T2", "T3"],
        "blend": ["T0", "T4"],
        "gap_rule": ["T0", "T5"],
    }
    scores, pairs, test, history, truth = _setting(1500, uplift_of, policy, tops)
    test["propensity"] = logging_propensity(history, test)
    table = validate_rankers(scores, pairs, test, k=2, n_boot=200)
    assert list(table.columns) == list(VALIDATION_COLUMNS)
    assert list(table["ranker"]) == list(tops)
    assert not table["chosen"].any()
    table = table.set_index("ranker")
    np.testing.assert_allclose(table["value"], truth[table.index], atol=0.2)
    assert (table["value_lower"] <= table["value"]).all()
    assert (table["value"] <= table["value_upper"]).all()
    best, rule = _row(table, "structured"), _row(table, "gap_rule")
    assert best["vs_gap_rule_lower"] > 0
    assert best["vs_gap_rule"] == pytest.approx(best["value"] - rule["value"])
    assert (rule["vs_gap_rule"], rule["vs_gap_rule_lower"]) == (0.0, 0.0)
    # hits: the test enrollments in each top-2 (each training drawn with probability 1/8)
    expected_hits = test["training_id"].isin(["T0", "T1"]).sum()
    assert best["test_hits"] == expected_hits
    assert choose_ranker(table.reset_index()) == ("structured", WHY_BEATS_RULE)
    assert not loses_to_rule(table.reset_index(), "structured")
    assert loses_to_rule(table.reset_index(), "uplift")


def test_equal_rankers_leave_the_gap_rule() -> None:
    uplift_of = {f"T{i}": float(i % 3) for i in range(6)}
    policy = dict.fromkeys(uplift_of, 1.0)
    tops = {key: ["T2", "T5", "T1"] for key in RANKERS}
    scores, pairs, test, history, _ = _setting(500, uplift_of, policy, tops)
    scores = {name: scores["gap_rule"] for name in RANKERS}
    test["propensity"] = logging_propensity(history, test)
    table = validate_rankers(scores, pairs, test, k=3, n_boot=100)
    assert table["vs_gap_rule"].eq(0).all()
    assert choose_ranker(table) == (RULE, WHY_NO_BETTER)
    assert not any(loses_to_rule(table, name) for name in RANKERS)


def test_random_rankers_on_noise_rarely_beat_the_gap_rule() -> None:
    # no training has an effect: any learned win is a false discovery
    wins = 0
    for seed in range(20):
        uplift_of = {f"T{i}": 0.0 for i in range(10)}
        rng = np.random.default_rng(100 + seed)
        tops = {name: list(rng.permutation(list(uplift_of))[:3]) for name in RANKERS}
        scores, pairs, test, history, _ = _setting(
            400, uplift_of, dict.fromkeys(uplift_of, 1.0), tops, seed=seed
        )
        test["propensity"] = logging_propensity(history, test)
        table = validate_rankers(scores, pairs, test, k=3, n_boot=200, seed=seed)
        ranker, why = choose_ranker(table)
        if ranker != RULE:
            wins += 1
            assert why == WHY_BEATS_RULE
        else:
            assert why == WHY_NO_BETTER
    # three learned rankers, each a one-sided 5 % test: about 3 false wins in 20 expected
    assert wins <= 7


def test_propensity_weighting_corrects_a_popularity_confounded_log() -> None:
    # T_pop is what HR sends most people to (60 %); the four others are rare (10 % each).
    # "uplift"'s top-2 holds T_pop (uplift 2) and T_bad (−1): its true value is 0.5, but the
    # test enrollments in it are mostly T_pop, so their plain mean is ≈ 1.57, and a plain mean
    # would choose it.
    # "structured"'s top-2 holds two rare trainings, truly worth 1.25 on average.
    uplift_of = {"T_pop": 2.0, "T_r1": 1.5, "T_bad": -1.0, "T_r3": 1.0, "T_r4": 1.0}
    policy = {"T_pop": 0.6, "T_r1": 0.1, "T_bad": 0.1, "T_r3": 0.1, "T_r4": 0.1}
    tops = {
        "structured": ["T_r1", "T_r3"],
        "uplift": ["T_pop", "T_bad"],
        "blend": ["T_r3", "T_r4"],
        "gap_rule": ["T_r4", "T_bad"],
    }
    scores, pairs, test, history, truth = _setting(3000, uplift_of, policy, tops, seed=4)

    plain = {
        name: test.loc[test["training_id"].isin(top), "uplift"].mean() for name, top in tops.items()
    }
    assert plain["uplift"] == pytest.approx(1.1 / 0.7, abs=0.1)
    assert max(plain, key=lambda name: plain[name]) == "uplift"

    test["propensity"] = logging_propensity(history, test)
    weighted = validate_rankers(scores, pairs, test, k=2, n_boot=200)
    values = weighted.set_index("ranker")["value"]
    np.testing.assert_allclose(values, truth[values.index], atol=0.12)
    assert choose_ranker(weighted) == ("structured", WHY_BEATS_RULE)


def test_a_few_rare_choices_with_huge_weights_do_not_decide_the_comparison() -> None:
    # "structured"'s top-2 is truly worth 1 point more than the rule's; HR's choices are
    # even, but 1 % of the test enrollments are choices the choice model found almost
    # impossible (propensity 0.001), each with a noisy appraisal far above the rest
    uplift_of = {f"T{i}": 0.0 for i in range(8)} | {"T0": 1.0, "T1": 1.0}
    tops = {"structured": ["T0", "T1"], "gap_rule": ["T2", "T3"]}
    scores, pairs, test, history, _ = _setting(
        2000, uplift_of, dict.fromkeys(uplift_of, 1.0), tops, seed=3
    )
    test["propensity"] = logging_propensity(history, test)
    rare = np.flatnonzero(test["training_id"].isin(["T2", "T3"]).to_numpy())[::25]
    test.loc[rare, "propensity"] = 0.001
    test.loc[rare, "uplift"] = test.loc[rare, "uplift"] + 10.0
    assert len(rare) / len(test) < 0.02
    capped = validate_rankers(scores, pairs, test, k=2, n_boot=300).set_index("ranker")
    raw = validate_rankers(scores, pairs, test, k=2, n_boot=300, weight_cap_quantile=1.0).set_index(
        "ranker"
    )

    def width(table: pd.DataFrame) -> float:
        row = _row(table, "structured")
        return float(row["vs_gap_rule_upper"] - row["vs_gap_rule_lower"])

    # uncapped, the rare rows' weights of 1,000 decide: the worse rule looks better
    assert _row(raw, "structured")["vs_gap_rule"] < 0
    assert choose_ranker(raw.reset_index())[0] == RULE
    # capped at the 95th percentile they count as much as common choices, and the better
    # ranker is found, with a far narrower interval
    assert _row(capped, "structured")["vs_gap_rule_lower"] > 0
    assert choose_ranker(capped.reset_index())[0] == "structured"
    assert width(capped) < width(raw) / 3


def test_rankers_without_test_hits_have_no_value() -> None:
    uplift_of = {"T0": 1.0, "T1": 0.0, "T2": 0.5}
    tops = {"structured": ["T0"], "gap_rule": ["T1"]}
    scores, pairs, test, history, _ = _setting(300, uplift_of, dict.fromkeys(uplift_of, 1.0), tops)
    scores["uplift"] = np.full(len(pairs), -np.inf)  # recommends nothing
    test["propensity"] = logging_propensity(history, test)
    table = validate_rankers(scores, pairs, test, k=1, n_boot=50).set_index("ranker")
    assert table.loc["uplift", "test_hits"] == 0
    assert table.loc["uplift", ["value", "value_lower", "vs_gap_rule_lower"]].isna().all()
    assert choose_ranker(table.reset_index())[0] == "structured"


def test_test_people_outside_the_pairs_are_ignored() -> None:
    uplift_of = {"T0": 1.0, "T1": 0.0}
    tops = {"structured": ["T0"], "gap_rule": ["T1"]}
    scores, pairs, test, history, _ = _setting(200, uplift_of, dict.fromkeys(uplift_of, 1.0), tops)
    test["propensity"] = logging_propensity(history, test)
    stranger = pd.DataFrame(
        {"nip": ["X"], "training_id": ["T0"], "position_type": ["pelaksana"], "uplift": [1e6]}
    ).assign(propensity=0.5)
    with_stranger = validate_rankers(scores, pairs, pd.concat([test, stranger]), k=1, n_boot=50)
    without = validate_rankers(scores, pairs, test, k=1, n_boot=50)
    pd.testing.assert_frame_equal(with_stranger, without)


def test_no_candidate_pairs_gives_a_table_without_values() -> None:
    pairs = pd.DataFrame({"nip": pd.Series([], dtype=str), "training_id": pd.Series([], dtype=str)})
    test = pd.DataFrame(
        {"nip": ["N1"], "training_id": ["T0"], "uplift": [1.0], "propensity": [0.5]}
    )
    scores = {name: np.zeros(0) for name in RANKERS}
    table = validate_rankers(scores, pairs, test, k=2, n_boot=20)
    assert list(table["ranker"]) == list(RANKERS)
    assert table["value"].isna().all()
    assert choose_ranker(table) == (RULE, WHY_NO_TEST)


# ----------------------------------------------------------------------------- choice


def _table(rows: list[tuple[str, float, float, float]]) -> pd.DataFrame:
    """``(ranker, value, vs_gap_rule_lower, vs_gap_rule_upper)`` rows."""
    frame = pd.DataFrame(
        rows, columns=["ranker", "value", "vs_gap_rule_lower", "vs_gap_rule_upper"]
    )
    return frame.reindex(columns=list(VALIDATION_COLUMNS)).assign(
        ranker=frame["ranker"],
        value=frame["value"],
        vs_gap_rule_lower=frame["vs_gap_rule_lower"],
        vs_gap_rule_upper=frame["vs_gap_rule_upper"],
    )


def test_choose_ranker_without_a_test() -> None:
    assert choose_ranker(pd.DataFrame(columns=list(VALIDATION_COLUMNS))) == (RULE, WHY_NO_TEST)
    nothing = _table([(name, np.nan, np.nan, np.nan) for name in RANKERS])
    assert choose_ranker(nothing) == (RULE, WHY_NO_TEST)


def test_choose_ranker_serves_the_preferred_of_those_beating_the_rule() -> None:
    table = _table(
        [
            ("structured", 1.0, 0.1, 0.9),
            ("uplift", 1.5, -0.1, 1.2),  # higher, but not beyond the uncertainty
            ("blend", 1.2, 0.05, 1.0),
            ("gap_rule", 0.5, 0.0, 0.0),
        ]
    )
    assert choose_ranker(table) == ("blend", WHY_BEATS_RULE)
    assert choose_ranker(table[table["ranker"] != "blend"]) == ("structured", WHY_BEATS_RULE)
    only_rule = table[table["ranker"] == RULE]
    assert choose_ranker(only_rule) == (RULE, WHY_NO_BETTER)
    # a learned ranker with a value but no difference (no rule hits) is not chosen
    no_diff = _table([("structured", 2.0, np.nan, np.nan), ("gap_rule", np.nan, np.nan, np.nan)])
    assert choose_ranker(no_diff) == (RULE, WHY_NO_BETTER)


def test_loses_to_rule() -> None:
    table = _table(
        [
            ("structured", 1.0, -2.0, -0.1),
            ("uplift", 1.0, -1.0, 0.5),
            ("blend", 1.0, np.nan, np.nan),
            ("gap_rule", 1.0, 0.0, 0.0),
        ]
    )
    assert loses_to_rule(table, "structured")
    assert not loses_to_rule(table, "uplift")
    assert not loses_to_rule(table, "blend")
    assert not loses_to_rule(table, RULE)
    assert not loses_to_rule(table, "unknown")
    assert not loses_to_rule(table.iloc[:0], "structured")
    assert set(LEARNED) | {RULE} == set(RANKERS)


def test_the_blend_is_preferred_when_the_outcomes_cannot_tell_learned_rankers_apart() -> None:
    table = _table(
        [
            ("structured", 2.4, 0.2, 0.9),
            ("uplift", 2.6, 0.1, 1.0),
            ("blend", 2.2, 0.1, 0.8),
            ("gap_rule", 1.6, 0.0, 0.0),
        ]
    )
    # higher values, but not beyond the uncertainty of the paired difference with the blend
    table["lower_vs_blend"] = [-0.1, -0.3, 0.0, -0.9]
    assert choose_ranker(table) == ("blend", WHY_BEATS_RULE)
    # the structured model beats the blend beyond the uncertainty: it is served
    table.loc[0, "lower_vs_blend"] = 0.05
    assert choose_ranker(table) == ("structured", WHY_BEATS_RULE)
    # the blend does not beat the gap rule: the next preferred that does is the default
    table.loc[2, "vs_gap_rule_lower"] = -0.2
    table["lower_vs_structured"] = [0.0, -0.1, -0.3, -1.0]
    assert choose_ranker(table) == ("structured", WHY_BEATS_RULE)
    table.loc[1, "lower_vs_structured"] = 0.02
    assert choose_ranker(table) == ("uplift", WHY_BEATS_RULE)


def test_validation_reports_paired_differences_between_learned_rankers() -> None:
    uplift_of = {f"T{i}": 0.0 for i in range(8)} | {"T0": 2.0, "T1": 2.0}
    tops = {
        "structured": ["T0", "T1"],
        "uplift": ["T2", "T3"],
        "blend": ["T0", "T4"],
        "gap_rule": ["T5", "T6"],
    }
    scores, pairs, test, history, _ = _setting(1500, uplift_of, dict.fromkeys(uplift_of, 1.0), tops)
    test["propensity"] = logging_propensity(history, test)
    table = validate_rankers(scores, pairs, test, k=2, n_boot=200).set_index("ranker")
    assert table.loc["structured", "lower_vs_blend"] > 0  # truly better than the blend
    assert table.loc["uplift", "lower_vs_structured"] < 0
    assert table.loc["blend", "lower_vs_blend"] == 0.0


def test_choice_propensity_recovers_a_known_logging_policy() -> None:
    # HR picks among 6 candidates per person by a logit on two features (known weights)
    rng = np.random.default_rng(3)
    n_people, n_cand = 3000, 6
    person = np.repeat(np.arange(n_people), n_cand)
    x = rng.normal(size=(n_people * n_cand, 2))
    utility = (x @ np.array([1.5, -0.8])).reshape(n_people, n_cand)
    p = np.exp(utility) / np.exp(utility).sum(1, keepdims=True)
    picks = np.array([rng.choice(n_cand, p=row) for row in p])
    chosen = np.arange(n_people) * n_cand + picks
    estimated = choice_propensity(x, person, chosen)
    truth = p[np.arange(n_people), picks]
    assert estimated.shape == (n_people,)
    assert np.all((estimated > 0) & (estimated < 1))
    assert np.corrcoef(estimated, truth)[0, 1] > 0.98
    np.testing.assert_allclose(np.median(estimated / truth), 1.0, atol=0.05)
    # a feature HR ignores gets (almost) uniform propensities
    flat = choice_propensity(rng.normal(size=(n_people * n_cand, 1)), person, chosen)
    np.testing.assert_allclose(flat, 1 / n_cand, atol=0.02)


def test_a_right_outcome_model_judges_trainings_hr_seldom_chose() -> None:
    # HR almost never sends anyone to T_rare, the best training: plain inverse-propensity
    # weighting cannot see it, the doubly robust value can through the outcome model (here
    # the blend's forecasts, exactly right, named as the outcome model).
    uplift_of = {"T_rare": 3.0, "T_a": 1.0, "T_b": 0.5, "T_c": 0.0}
    policy = {"T_rare": 0.002, "T_a": 0.5, "T_b": 0.3, "T_c": 0.2}
    tops = {
        "structured": ["T_rare"],
        "uplift": ["T_b"],
        "blend": ["T_rare"],
        "gap_rule": ["T_a"],
    }
    scores, pairs, test, history, truth = _setting(1500, uplift_of, policy, tops, seed=5)
    assert (test["training_id"] == "T_rare").sum() <= 15
    scores["blend"] = pairs["training_id"].map(uplift_of).to_numpy(dtype=float)
    test["propensity"] = logging_propensity(history, test)
    table = validate_rankers(scores, pairs, test, k=1, n_boot=200, outcome="blend")
    table = table.set_index("ranker")
    judged = ["structured", "uplift", "gap_rule"]  # the blend now ranks by the truth itself
    np.testing.assert_allclose(table.loc[judged, "value"], truth[judged], atol=0.1)
    assert _row(table, "structured")["vs_gap_rule_lower"] > 0
    assert choose_ranker(table.reset_index())[0] in ("blend", "structured")


def test_the_outcome_model_is_the_average_of_the_models_that_learn_effects() -> None:
    # the default outcome model averages the structured and uplift forecasts; the blend
    # (whose third member follows the rule's ordering) is not part of the judge
    uplift_of = {"T_a": 2.0, "T_b": 1.0, "T_c": 0.0}
    policy = {"T_a": 0.3, "T_b": 0.4, "T_c": 0.3}
    tops = {"structured": ["T_a"], "uplift": ["T_a"], "blend": ["T_b"], "gap_rule": ["T_c"]}
    scores, pairs, test, history, _truth = _setting(600, uplift_of, policy, tops, seed=11)
    test["propensity"] = logging_propensity(history, test)
    default = validate_rankers(scores, pairs, test, k=1, n_boot=50)
    explicit = validate_rankers(scores, pairs, test, k=1, n_boot=50, outcome=OUTCOME_MODEL)
    pd.testing.assert_frame_equal(default, explicit)
    assert OUTCOME_MODEL == ("structured", "uplift")
    # the mean of the two, as a ranker's scores, gives the same table
    mean = dict(scores, judge=(scores["structured"] + scores["uplift"]) / 2)
    by_name = validate_rankers(mean, pairs, test, k=1, n_boot=50, outcome="judge")
    pd.testing.assert_frame_equal(
        by_name[by_name["ranker"] != "judge"].reset_index(drop=True), default
    )
    # the blend as the judge gives other values
    blend = validate_rankers(scores, pairs, test, k=1, n_boot=50, outcome="blend")
    assert not np.allclose(blend["value"], default["value"])
