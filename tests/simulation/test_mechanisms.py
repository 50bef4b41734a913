"""A family of differently built demo worlds: the default is today's world, every named
mechanism makes a valid world whose truth is what its history applies, and each dimension
does what it says."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import load_dataset
from recsys.data.contract import MODALITIES, POSITION_TYPES
from recsys.simulation import SimulationError, simulate
from recsys.simulation import catalog as cat_mod
from recsys.simulation.history import (
    Catalog,
    History,
    _apply_trainings,
    _assessment_schedule,
    mentoring_strength,
)
from recsys.simulation.mechanism import (
    FIT_ATTRIBUTES,
    GAIN_SHAPES,
    MECHANISM,
    MECHANISMS,
    MENTORING,
    SELECTIONS,
    Mechanism,
    competency_term,
    fit_groups,
    focus_slot,
    gain_in_points,
    mentoring_delta,
    mentoring_strength_of,
    modality_fit_table,
    random_mechanism,
    training_delta,
)
from recsys.simulation.oracle import MentorOracle
from recsys.simulation.people import NipAllocator, make_population
from recsys.simulation.truth import mentoring_gain, training_truth
from recsys.simulation.world import HISTORY_END

N_EMPLOYEES = 400
SEED = 3
VARIANTS = [name for name in MECHANISMS if name != "demo"]


@pytest.fixture(scope="module")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One 400-employee world per named mechanism, all from the same seed."""
    root = tmp_path_factory.mktemp("mechanisms")
    for name in MECHANISMS:
        simulate(root / name, employees=N_EMPLOYEES, seed=SEED, mechanism=name)
    return {name: root / name for name in MECHANISMS}


def _params(world: Path) -> dict[str, object]:
    return dict(json.loads((world / "_truth" / "params.json").read_text()))


def _files(world: Path) -> dict[str, bytes]:
    return {str(p.relative_to(world)): p.read_bytes() for p in sorted(world.rglob("*.*"))}


# ----------------------------------------------------------------------------- the default


def test_the_demo_mechanism_is_the_default() -> None:
    assert MECHANISMS["demo"] == MECHANISM == Mechanism()
    assert MECHANISM.name == "demo"
    assert len(VARIANTS) >= 6
    for name, mech in MECHANISMS.items():
        assert mech.name == name
        differs = [
            f.name
            for f in dataclasses.fields(Mechanism)
            if f.name != "name" and getattr(mech, f.name) != getattr(MECHANISM, f.name)
        ]
        assert name == "demo" or len(differs) >= 3, (name, differs)


def test_the_default_world_is_the_mech_keyword_world(tmp_path: Path) -> None:
    simulate(tmp_path / "default", employees=300, seed=SEED)
    simulate(tmp_path / "mech", employees=300, seed=SEED, mech=MECHANISM)
    simulate(tmp_path / "named", employees=300, seed=SEED, mechanism="demo")
    default = _files(tmp_path / "default")
    assert len(default) > 15
    assert _files(tmp_path / "mech") == default
    assert _files(tmp_path / "named") == default


def test_the_truth_records_the_mechanism(worlds: dict[str, Path]) -> None:
    for name, world in worlds.items():
        recorded = _params(world)["mechanism"]
        assert isinstance(recorded, dict)
        assert recorded["name"] == name
        assert Mechanism.from_dict(recorded) == MECHANISMS[name]
        assert set(recorded) == {f.name for f in dataclasses.fields(Mechanism)}


def test_an_old_params_file_means_the_demo_mechanism(tmp_path: Path) -> None:
    world = tmp_path / "w"
    simulate(world, employees=200, seed=SEED)
    params = _params(world)
    old = {k: v for k, v in dict(params["mechanism"]).items() if k in _OLD_FIELDS}  # type: ignore[call-overload]
    assert len(old) == len(_OLD_FIELDS)
    (world / "_truth" / "params.json").write_text(json.dumps({**params, "mechanism": old}))
    assert MentorOracle.load(world).mech == MECHANISM
    assert Mechanism.from_dict({**old, "added_later": 1.0}) == MECHANISM


#: The parameters a params.json held before the mechanism family existed.
_OLD_FIELDS = (
    "points_per_level",
    "surplus_cap",
    "base_score",
    "ability_points",
    "person_points",
    "noise_points",
    "unit_year_points",
    "struggling_share",
    "struggling_points",
    "drift",
    "drift_ability",
    "repeat_penalty",
    "jp_scale",
    "mentor_transfer",
    "mentor_focus_boost",
    "mentor_load_penalty",
    "satisfaction_per_level",
    "satisfaction_per_trained_share",
    "service_days_per_level",
    "service_days_per_trained_share",
)


# ----------------------------------------------------------------------------- named worlds


@pytest.mark.parametrize("name", VARIANTS)
def test_every_named_world_passes_the_data_contract(worlds: dict[str, Path], name: str) -> None:
    dataset = load_dataset(worlds[name])
    assert dataset.report.quarantined == 0, dataset.report.to_text()
    assert len(dataset.employees) == N_EMPLOYEES
    for table in ("enrollments", "mentorships", "assessments", "performance"):
        assert len(dataset.tables[table]) > 0, table


@pytest.mark.parametrize("name", VARIANTS)
def test_the_mentor_oracle_reproduces_every_named_world(worlds: dict[str, Path], name: str) -> None:
    sampled = pd.read_parquet(worlds[name] / "_truth" / "mentor_gain.parquet")
    oracle = MentorOracle.load(worlds[name])
    assert oracle.mech == MECHANISMS[name]
    gain = oracle.gain(sampled["mentee_nip"], sampled["mentor_nip"])
    np.testing.assert_allclose(gain, sampled["true_gain"], rtol=1e-5, atol=1e-5)


def test_truth_gains_differ_between_mechanisms(worlds: dict[str, Path]) -> None:
    summaries = {}
    for name, world in worlds.items():
        gain = pd.read_parquet(world / "_truth" / "training_gain.parquet")["true_gain"]
        summaries[name] = (round(float(gain.mean()), 6), round(float(gain.quantile(0.9)), 6))
    assert len(set(summaries.values())) == len(summaries), summaries


def test_no_mentoring_means_no_mentoring_gain(worlds: dict[str, Path]) -> None:
    world = worlds["big_catalog_no_mentoring"]
    truth = pd.read_parquet(world / "_truth" / "mentor_gain.parquet")
    assert len(truth) > 0
    assert (truth["true_gain"] == 0).all()
    assert len(pd.read_csv(world / "mentorships.csv")) > 0  # mentorships still happen
    demo = pd.read_parquet(worlds["demo"] / "_truth" / "mentor_gain.parquet")
    assert demo["true_gain"].max() > 0


def test_catalog_size_spread_and_substitutes_follow_the_mechanism(
    worlds: dict[str, Path],
) -> None:
    def catalog(name: str) -> pd.DataFrame:
        return pd.read_csv(worlds[name] / "trainings.csv")

    def multi_share(frame: pd.DataFrame) -> float:
        return float((frame.groupby("title")["modality"].nunique() > 1).mean())

    demo = catalog("demo")
    assert len(demo) == len(cat_mod.training_templates())
    assert len(catalog("big_catalog_no_mentoring")) > 1.8 * len(demo)
    assert len(catalog("saturating_supervisor")) < 0.7 * len(demo)
    assert multi_share(catalog("flat_quality")) == pytest.approx(0.3, abs=0.02)
    assert multi_share(demo) == pytest.approx(0.04, abs=0.005)
    flat = pd.read_parquet(worlds["flat_quality"] / "_truth" / "trainings.parquet")
    assert flat["quality"].nunique() == 1
    spread = pd.read_parquet(worlds["threshold_ability"] / "_truth" / "trainings.parquet")
    base = pd.read_parquet(worlds["demo"] / "_truth" / "trainings.parquet")
    assert np.log(spread["quality"]).std() > 1.2 * np.log(base["quality"]).std()


def _enrollments_with_truth(world: Path) -> pd.DataFrame:
    enrollments = pd.read_csv(world / "enrollments.csv", dtype={"nip": str})
    employees = pd.read_csv(world / "employees.csv", dtype={"nip": str})
    people = pd.read_parquet(world / "_truth" / "employees.parquet")
    quality = pd.read_parquet(world / "_truth" / "trainings.parquet")
    return (
        enrollments.merge(employees[["nip", "unit"]], on="nip")
        .merge(people[["nip", "ability"]], on="nip")
        .merge(quality[["training_id", "quality"]], on="training_id")
    )


def test_selection_follows_the_mechanism(worlds: dict[str, Path]) -> None:
    def ability_quality(name: str) -> float:
        frame = _enrollments_with_truth(worlds[name])
        return float(np.corrcoef(frame["ability"], np.log(frame["quality"]))[0, 1])

    assert ability_quality("threshold_ability") > ability_quality("demo") + 0.2
    chosen = _enrollments_with_truth(worlds["saturating_supervisor"])
    chosen["year"] = chosen["start_date"].str[:4]
    per_unit_year = chosen.groupby(["unit", "year"])["training_id"].nunique()
    assert per_unit_year.max() <= 2
    demo = _enrollments_with_truth(worlds["demo"])
    demo["year"] = demo["start_date"].str[:4]
    assert demo.groupby(["unit", "year"])["training_id"].nunique().max() > 2


# ----------------------------------------------------------------------------- dimensions


def test_gain_shapes() -> None:
    levels = np.zeros(7) + 1.0
    target = 1.0 + np.array([0.0, 0.2, 0.5, 1.0, 1.5, 2.5, 4.0])  # gaps
    gap = target - levels
    strength = np.full(7, 0.4)

    def rise(shape: str, **extra: float) -> np.ndarray:
        mech = Mechanism(gain_shape=shape, **extra)  # type: ignore[arg-type]
        return training_delta(levels, target, strength, mech)

    linear = rise("linear")
    np.testing.assert_allclose(linear, strength * gap)
    np.testing.assert_array_equal(training_delta(levels, target, strength), linear)
    capped = rise("capped", gain_cap=0.3)
    np.testing.assert_allclose(capped, np.minimum(strength * gap, 0.3))
    assert capped.max() == pytest.approx(0.3)
    threshold = rise("threshold", gain_threshold=0.6, threshold_leak=0.05)
    below = gap <= 0.6
    np.testing.assert_allclose(threshold[below], 0.05 * linear[below])
    np.testing.assert_allclose(threshold[~below], linear[~below])
    saturating = rise("saturating", gain_half=1.0)
    assert saturating[3] == pytest.approx(linear[3])  # equal at a 1-level gap
    assert (np.diff(saturating) > 0).all()  # bigger gaps still gain more ...
    ratio = saturating[1:] / linear[1:]
    assert (np.diff(ratio) < 0).all()  # ... but less and less extra
    for shape in GAIN_SHAPES:  # no gap, no rise; nothing falls
        shaped = rise(shape)
        assert shaped[0] == 0.0
        assert (shaped >= 0).all()
        no_target = training_delta(levels, np.zeros(7), strength, Mechanism())
        assert (no_target == 0).all()


def _world_parts(mech: Mechanism, n: int = 300, seed: int = 11) -> tuple:
    """A population and catalog as the world builds them, and levels at some point."""
    rng = np.random.default_rng(seed)
    units, positions = cat_mod.build_units(), cat_mod.build_positions()
    competencies = cat_mod.competency_table()
    slot_codes, required, weights = cat_mod.position_slots(positions)
    trainings, links = cat_mod.build_trainings(rng, n, mech)
    cat = Catalog.build(
        trainings,
        links,
        positions,
        slot_codes,
        required,
        weights,
        competencies["code"].tolist(),
        modality_fit_table(mech.fit_attribute),
    )
    pop = make_population(rng, n, units, positions, HISTORY_END, NipAllocator(), mech)
    req = cat.required[pop.position_idx]
    levels = np.clip(req + rng.normal(-0.6, 0.6, req.shape), 1.0, 5.0)
    recent = rng.integers(0, 3, n)
    return rng, pop, cat, levels, recent


@pytest.mark.parametrize("name", list(MECHANISMS))
def test_the_training_truth_is_what_the_history_applies(name: str) -> None:
    mech = MECHANISMS[name]
    rng, pop, cat, levels, recent = _world_parts(mech)
    active_t = np.flatnonzero(cat.trainings["active"].to_numpy())
    emp = np.flatnonzero(pop.employees["active"].to_numpy())
    t = rng.choice(active_t, len(emp))
    batch = {
        "emp": emp,
        "t": t,
        "pre_level": np.full(len(emp), np.nan),
        "gain_level": np.full(len(emp), np.nan),
        "true_gain": np.full(len(emp), np.nan),
    }
    after = levels.copy()
    _apply_trainings(rng, batch, np.arange(len(emp)), pop, cat, after, recent, mech)
    req, w = cat.required[pop.position_idx[emp]], cat.weights[pop.position_idx[emp]]
    applied = mech.points_per_level * (
        competency_term(after[emp], req, w, mech.surplus_cap)
        - competency_term(levels[emp], req, w, mech.surplus_cap)
    )
    empty = pd.DataFrame()
    hist = History(empty, empty, empty, empty, levels, recent, *(np.zeros((1, 1)),) * 3)
    truth = training_truth(pop, hist, cat, mech).set_index(["nip", "training_id"])
    nip = pop.employees["nip"].to_numpy()[emp]
    ids = cat.trainings["training_id"].to_numpy()[t]
    pairs = pd.MultiIndex.from_arrays([nip, ids])
    expected = truth["true_gain"].reindex(pairs).to_numpy()
    np.testing.assert_allclose(expected, applied, rtol=1e-5, atol=1e-5)
    assert applied.max() > 0
    # each enrollment's recorded truth (enrollment_gain.parquet) is what it applied
    np.testing.assert_allclose(batch["true_gain"], applied, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mentoring", MENTORING)
def test_the_mentoring_truth_is_what_the_history_applies(mentoring: str) -> None:
    mech = Mechanism(mentoring=mentoring)
    rng, pop, _, _, _ = _world_parts(mech, n=400)
    n_pairs, n_slots = 1_500, 12
    mentee, mentor = rng.integers(0, 400, n_pairs), rng.integers(0, 400, n_pairs)
    mentee_lv = rng.uniform(1.0, 5.0, (n_pairs, n_slots))
    mentor_lv = np.where(
        rng.random((n_pairs, n_slots)) < 0.2, np.nan, rng.uniform(1.0, 5.0, (n_pairs, n_slots))
    )
    required = rng.integers(1, 5, (n_pairs, n_slots)).astype(float)
    weights = rng.dirichlet(np.ones(n_slots), n_pairs)
    load = rng.integers(1, 4, n_pairs).astype(float)
    strength = mentoring_strength(pop, mentee, mentor, load, mech)
    focus = focus_slot(mentee_lv, mentor_lv, required)
    delta = mentoring_delta(mentee_lv, mentor_lv, focus, strength[:, None], mech)
    expected = gain_in_points(mentee_lv, delta, required, weights, mech)
    shared = mentoring_gain(
        mentee_lv,
        mentor_lv,
        required,
        weights,
        mentor_skill=pop.mentor_skill[mentor],
        learn_rate=pop.learn_rate[mentee],
        same_unit=pop.unit_idx[mentee] == pop.unit_idx[mentor],
        same_region=pop.region_code[mentee] == pop.region_code[mentor],
        mentee_remote=pop.remote[mentee],
        load=load,
        mech=mech,
    )
    np.testing.assert_array_equal(shared, expected)
    if mentoring == "none":
        assert (shared == 0).all()
    else:
        assert shared.max() > 0
    if mentoring == "expertise":  # only the focus competency rises
        assert (delta[~focus] == 0).all()
        assert (delta[focus] > 0).any()


def test_mentoring_modes_work_through_what_they_say() -> None:
    n = 20_000
    rng = np.random.default_rng(5)
    skill = np.clip(rng.lognormal(np.log(0.25), 0.55, n), 0.02, 1.0)
    same_unit = rng.random(n) < 0.3
    same_region = same_unit | (rng.random(n) < 0.3)
    remote = rng.random(n) < 0.15
    ones = np.ones(n)

    def strength(mode: str) -> np.ndarray:
        mech = Mechanism(mentoring=mode)
        return mentoring_strength_of(skill, same_unit, same_region, remote, ones, ones, mech)

    def skill_share(s: np.ndarray) -> float:
        """Share of the log-variance of strength that mentor skill explains."""
        return float(np.corrcoef(np.log(skill), np.log(s))[0, 1] ** 2)

    by_skill, by_place = strength("skill"), strength("proximity")
    assert skill_share(by_skill) > 0.6
    assert skill_share(by_place) < 0.2
    far = ~same_region
    ratio_place = by_place[same_unit].mean() / by_place[far].mean()
    assert ratio_place > 2 * by_skill[same_unit].mean() / by_skill[far].mean()
    assert np.ptp(strength("expertise")) == 0  # no skill, no distance
    assert (strength("none") == 0).all()


def test_fit_attributes() -> None:
    e_learning, coaching = MODALITIES.index("e_learning"), MODALITIES.index("coaching")
    remote = modality_fit_table("remote")
    assert remote.shape == (2, len(POSITION_TYPES), len(MODALITIES))
    np.testing.assert_array_equal(modality_fit_table(), remote)
    age = modality_fit_table("age")
    assert (age[2, :, e_learning] < 0.5 * age[0, :, e_learning]).all()  # older: less online
    assert (age[2, :, coaching] > age[0, :, coaching]).all()
    education = modality_fit_table("education")
    assert (education[0, :, e_learning] < education[3, :, e_learning]).all()
    position_only = modality_fit_table("position_type")
    assert position_only.shape[0] == 1
    # the remote table is remote fit × this position fit: their ratio is the same for every
    # position type
    ratio = remote[0] / position_only[0]
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[0], ratio.shape))
    assert np.ptp(position_only[0], axis=0).max() > 0.3
    groups = fit_groups(
        "education",
        np.zeros(4, dtype=bool),
        np.array(["SMA", "D4", "S1", "S3"]),
        np.full(4, 40.0),
    )
    np.testing.assert_array_equal(groups, [0, 1, 2, 3])
    groups = fit_groups("age", np.zeros(4, dtype=bool), np.full(4, "S1"), np.r_[25, 35, 49.9, 50])
    np.testing.assert_array_equal(groups, [0, 1, 1, 2])
    flags = np.array([True, False])
    np.testing.assert_array_equal(fit_groups("remote", flags, np.full(2, "S1"), np.ones(2)), [1, 0])
    assert set(FIT_ATTRIBUTES) == {"remote", "education", "position_type", "age"}


def test_assessment_staleness() -> None:
    hire_h = np.full(50_000, 2 * 2010)
    h_first, h_last = 2 * 2019, 2 * 2025 + 1

    def schedule(**params: float) -> np.ndarray:
        mech = Mechanism(**params)  # type: ignore[arg-type]
        return _assessment_schedule(np.random.default_rng(1), hire_h, h_first, h_last, mech)

    today = schedule()
    np.testing.assert_array_equal(
        today, schedule(assessment_staleness=0.0, never_assessed_share=0.12, reassess_share=0.3)
    )
    stale = schedule(assessment_staleness=2.0, never_assessed_share=0.4, reassess_share=0.1)
    assert (today[:, 0] < 0).mean() == pytest.approx(0.12, abs=0.01)
    assert (stale[:, 0] < 0).mean() == pytest.approx(0.4, abs=0.01)
    assert stale[stale[:, 0] >= 0, 0].mean() < today[today[:, 0] >= 0, 0].mean() - 2
    assert (stale[:, 1] >= 0).mean() < (today[:, 1] >= 0).mean()


def test_random_mechanisms_are_deterministic_and_cover_every_option() -> None:
    assert random_mechanism(5) == random_mechanism(5)
    assert random_mechanism(5) != random_mechanism(6)
    assert random_mechanism(5).name == "random-5"
    drawn = [random_mechanism(seed) for seed in range(60)]
    assert {m.gain_shape for m in drawn} == set(GAIN_SHAPES)
    assert {m.selection for m in drawn} == set(SELECTIONS)
    assert {m.mentoring for m in drawn} == set(MENTORING)
    assert {m.fit_attribute for m in drawn} == set(FIT_ATTRIBUTES)
    assert len({m.catalog_scale for m in drawn}) > 50


def test_a_random_world_is_drawn_from_its_seed(tmp_path: Path) -> None:
    simulate(tmp_path / "w", employees=200, seed=9, mechanism="random")
    recorded = _params(tmp_path / "w")["mechanism"]
    assert isinstance(recorded, dict)
    assert Mechanism.from_dict(recorded) == random_mechanism(9)
    assert load_dataset(tmp_path / "w").report.quarantined == 0
    simulate(tmp_path / "m", employees=200, seed=9, mechanism=random_mechanism(9))
    assert _files(tmp_path / "m") == _files(tmp_path / "w")


def test_bad_mechanisms_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match=r"capped_need.*random"):
        simulate(tmp_path / "w", employees=200, mechanism="nope")
    with pytest.raises(SimulationError, match="once"):
        simulate(tmp_path / "w", employees=200, mech=MECHANISM, mechanism="demo")
    assert not (tmp_path / "w").exists()
    with pytest.raises(ValueError, match="gain_shape"):
        Mechanism(gain_shape="cubic")
    with pytest.raises(ValueError, match="catalog_scale"):
        Mechanism(catalog_scale=10.0)


# ----------------------------------------------------------------------------- command line


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECSYS_")}
    return subprocess.run(
        [sys.executable, "-m", "recsys", "simulate", *args],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "200"},
        timeout=300,
    )


def test_cli_refuses_an_unknown_mechanism_and_writes_nothing(tmp_path: Path) -> None:
    result = _run("--out", str(tmp_path / "w"), "-n", "200", "--mechanism", "nope")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "mekanisme 'nope' tidak dikenal" in result.stderr
    for name in (*MECHANISMS, "random"):
        assert name in result.stderr
    assert not (tmp_path / "w").exists()
    english = _run("--out", str(tmp_path / "w"), "--mechanism", "nope", "--lang", "en")
    assert english.returncode == 1
    assert "unknown mechanism 'nope'" in english.stderr


def test_cli_makes_a_named_world_and_documents_the_option(tmp_path: Path) -> None:
    result = _run("--out", str(tmp_path / "w"), "-n", "200", "--mechanism", "capped_need")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "capped_need" in result.stdout
    assert _params(tmp_path / "w")["mechanism"]["name"] == "capped_need"  # type: ignore[index]
    helped = _run("--help")
    assert "--mechanism" in helped.stdout
    assert "random" in helped.stdout
