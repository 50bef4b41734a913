"""The mentor oracle: the true gain of any (mentee, mentor) pair of a demo world."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.simulation import simulate
from recsys.simulation.catalog import build_positions, position_slots
from recsys.simulation.mechanism import (
    MECHANISM,
)
from recsys.simulation.oracle import MentorOracle, TruthMissingError

# mentor_gain.parquet and the traits behind the oracle are float32: a gain is a difference of
# two such sums, so tiny gains carry ~1e-6 points of rounding.
_RTOL, _ATOL = 1e-5, 1e-5


@pytest.fixture(scope="module")
def oracle(small_world: Path) -> MentorOracle:
    return MentorOracle.load(small_world)


@pytest.fixture(scope="module")
def sampled(small_world: Path) -> pd.DataFrame:
    return pd.read_parquet(small_world / "_truth" / "mentor_gain.parquet")


def test_reproduces_the_sampled_ground_truth(oracle: MentorOracle, sampled: pd.DataFrame) -> None:
    gain = oracle.gain(sampled["mentee_nip"], sampled["mentor_nip"])
    assert gain.dtype == np.float64
    np.testing.assert_allclose(gain, sampled["true_gain"], rtol=_RTOL, atol=_ATOL)


def test_reproduces_a_multi_chunk_parquet_world(tmp_path: Path) -> None:
    simulate(tmp_path / "w", employees=400, seed=3, fmt="parquet", chunk_size=200)
    sampled = pd.read_parquet(tmp_path / "w" / "_truth" / "mentor_gain.parquet")
    gain = MentorOracle.load(tmp_path / "w").gain(sampled["mentee_nip"], sampled["mentor_nip"])
    np.testing.assert_allclose(gain, sampled["true_gain"], rtol=_RTOL, atol=_ATOL)


def test_weights_in_the_truth_are_the_catalogs(small_world: Path) -> None:
    weights = pd.read_parquet(small_world / "_truth" / "competency_weights.parquet")
    assert list(weights.columns) == ["position", "competency", "weight"]
    positions = build_positions()
    codes, _, expected = position_slots(positions)
    assert weights["competency"].tolist() == codes.reshape(-1).tolist()
    np.testing.assert_array_equal(weights["weight"], expected.reshape(-1))
    np.testing.assert_allclose(weights.groupby("position")["weight"].sum(), 1.0)
    standards = pd.read_csv(small_world / "competency_standards.csv")
    keys = ["position", "competency"]
    assert weights[keys].equals(standards[keys])


def test_a_heavier_load_lowers_the_gain_by_the_load_penalty(
    oracle: MentorOracle, sampled: pd.DataFrame
) -> None:
    mentee, mentor = sampled["mentee_nip"], sampled["mentor_nip"]
    single = oracle.gain(mentee, mentor)
    np.testing.assert_array_equal(oracle.gain(mentee, mentor, load=1), single)
    gains = [single] + [oracle.gain(mentee, mentor, load=k) for k in (2, 3, 4)]
    for lighter, heavier in itertools.pairwise(gains):
        assert (heavier <= lighter).all()
    factor = 1.0 / (1.0 + MECHANISM.mentor_load_penalty * 2)
    ratio = gains[2][single > 0] / single[single > 0]
    # concave in the mentorship's strength: exactly the factor below the caps, more above
    assert (ratio >= factor - 1e-9).all()
    assert np.isclose(ratio, factor, rtol=1e-9, atol=0).mean() > 0.8
    per_pair = np.where(np.arange(len(sampled)) % 2 == 0, 1, 3)
    mixed = oracle.gain(mentee, mentor, load=per_pair)
    np.testing.assert_array_equal(mixed, np.where(per_pair == 1, single, gains[2]))


def _reference_gain(world: Path, pairs: pd.DataFrame) -> np.ndarray:
    """The mechanism written out pair by pair from the world's files (independent of the
    oracle's arrays): a mentor passes on a share of their lead in the competencies of the
    mentee's standard that their own standard also has; nothing in the others."""
    mech = MECHANISM
    truth = world / "_truth"
    employees = pd.read_csv(world / "employees.csv", dtype={"nip": str}).set_index("nip")
    traits = pd.read_parquet(truth / "employees.parquet").set_index("nip")
    levels = pd.read_parquet(truth / "competency_levels.parquet")
    keys = zip(levels["nip"], levels["competency"], strict=True)
    level = dict(zip(keys, levels["true_level"], strict=True))
    standard = pd.read_csv(world / "competency_standards.csv").merge(
        pd.read_parquet(truth / "competency_weights.parquet"), on=["position", "competency"]
    )
    by_position = {p: g for p, g in standard.groupby("position", sort=False)}
    out = []
    for mentee, mentor in zip(pairs["mentee_nip"], pairs["mentor_nip"], strict=True):
        me, mr = employees.loc[mentee], employees.loc[mentor]
        if me["unit"] == mr["unit"]:
            distance = 1.0
        elif me["region"] == mr["region"]:
            distance = 0.8
        else:
            distance = 0.85 if me["remote_area"] else 0.5
        strength = (
            float(traits.loc[mentor, "mentor_skill"])
            * distance
            * float(traits.loc[mentee, "learn_rate"])
        )
        slots = by_position[me["position"]]
        lv = np.array([float(level[mentee, c]) for c in slots["competency"]])
        lead = np.array(
            [
                max(float(level[mentor, c]) - x, 0.0) if (mentor, c) in level else 0.0
                for c, x in zip(slots["competency"], lv, strict=True)
            ]
        )
        req = slots["required_level"].to_numpy(dtype=float)
        gap = np.where(lead > 0, req - lv, -np.inf)
        boost = np.where(np.arange(len(lv)) == np.argmax(gap), mech.mentor_focus_boost, 1.0)
        after = np.minimum(lv + mech.mentor_transfer * strength * lead * boost, 5.0)
        w = slots["weight"].to_numpy()
        term_after = (w * np.minimum(after - req, mech.surplus_cap)).sum()
        term_before = (w * np.minimum(lv - req, mech.surplus_cap)).sum()
        out.append(mech.points_per_level * (term_after - term_before))
    return np.array(out)


def test_matches_the_mechanism_across_distances_and_missing_competencies(
    small_world: Path, oracle: MentorOracle
) -> None:
    employees = pd.read_csv(small_world / "employees.csv", dtype={"nip": str})
    rng = np.random.default_rng(0)
    mentee = employees.sample(400, random_state=1, replace=True).reset_index(drop=True)
    # half the mentors from the mentee's own unit, half from anywhere
    same_unit = employees.groupby("unit")["nip"].agg(list)
    anyone = employees["nip"].to_numpy()
    mentor = [
        rng.choice(same_unit[u]) if i % 2 == 0 else rng.choice(anyone)
        for i, u in enumerate(mentee["unit"])
    ]
    pairs = pd.DataFrame({"mentee_nip": mentee["nip"], "mentor_nip": mentor})
    pairs = pairs[pairs["mentee_nip"] != pairs["mentor_nip"]]
    info = employees.set_index("nip")
    me, mr = info.loc[pairs["mentee_nip"]], info.loc[pairs["mentor_nip"]]
    unit = me["unit"].to_numpy() == mr["unit"].to_numpy()
    region = me["region"].to_numpy() == mr["region"].to_numpy()
    remote = me["remote_area"].to_numpy()
    cases = [unit, ~unit & region, ~region & remote, ~region & ~remote]
    assert all(case.sum() >= 5 for case in cases)
    standards = pd.read_csv(small_world / "competency_standards.csv")
    held = standards.groupby("position")["competency"].agg(frozenset)
    lacking = [bool(held[a] - held[b]) for a, b in zip(me["position"], mr["position"], strict=True)]
    assert sum(lacking) >= 50

    gain = oracle.gain(pairs["mentee_nip"], pairs["mentor_nip"])
    np.testing.assert_allclose(gain, _reference_gain(small_world, pairs), rtol=1e-9, atol=1e-12)
    assert (gain >= 0).all()
    # distance matters as the mechanism says: same unit is worth most on average
    assert gain[unit].mean() > gain[~region & ~remote].mean()


def test_mechanism_parameters_come_from_the_world(small_world: Path, oracle: MentorOracle) -> None:
    params = json.loads((small_world / "_truth" / "params.json").read_text())
    assert oracle.mech.to_dict() == params["mechanism"]


# ----------------------------------------------------------------------------- bad requests


def test_unknown_nips_are_named(oracle: MentorOracle, sampled: pd.DataFrame) -> None:
    known = sampled["mentee_nip"].iloc[0]
    with pytest.raises(KeyError, match="199001012020011999"):
        oracle.gain([known, known], [sampled["mentor_nip"].iloc[0], "199001012020011999"])


def test_bad_shapes_and_loads_are_refused(oracle: MentorOracle, sampled: pd.DataFrame) -> None:
    mentee, mentor = sampled["mentee_nip"].iloc[:3], sampled["mentor_nip"].iloc[:3]
    with pytest.raises(ValueError, match="3 mentee NIPs but 2 mentor NIPs"):
        oracle.gain(mentee, mentor.iloc[:2])
    with pytest.raises(ValueError, match="at least 1"):
        oracle.gain(mentee, mentor, load=0)
    assert oracle.gain([], []).shape == (0,)


def test_a_world_without_weights_asks_to_regenerate(small_world: Path, tmp_path: Path) -> None:
    world = tmp_path / "old"
    shutil.copytree(small_world, world)
    (world / "_truth" / "competency_weights.parquet").unlink()
    with pytest.raises(TruthMissingError, match="recsys simulate"):
        MentorOracle.load(world)
