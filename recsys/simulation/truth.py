"""Ground truth of the demo world, as of the end of its history.

What each active employee would gain (SKP score points, next appraisal) from each active
training, and what a sample of mentees would gain from each candidate mentor. Written to
``<world>/_truth/``; only evaluation reads it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.simulation.history import (
    Catalog,
    History,
    dropout_probability,
    enrollment_strength,
    target_matrix,
)
from recsys.simulation.mechanism import (
    MECHANISM,
    Mechanism,
    focus_slot,
    gain_in_points,
    mentoring_delta,
    mentoring_strength_of,
    training_delta,
)
from recsys.simulation.people import Population

#: Mentees per chunk whose every candidate mentor is scored.
MENTEE_SAMPLE = 2_000
#: Candidate mentors kept per sampled mentee (the best by true gain).
MENTOR_TOP_K = 50
_BLOCK_PAIRS = 1_000_000


def training_truth(
    pop: Population, hist: History, cat: Catalog, mech: Mechanism = MECHANISM
) -> pd.DataFrame:
    """True gain of every active training for every active employee.

    Columns: nip, training_id, true_gain (points if completed), p_complete,
    expected_gain (= true_gain × p_complete).
    """
    tr = cat.trainings
    active_t = np.flatnonzero(tr["active"].to_numpy())
    active_e = np.flatnonzero(pop.employees["active"].to_numpy())
    n_t = len(active_t)
    step = max(1, _BLOCK_PAIRS // max(n_t, 1))
    nip = pop.employees["nip"].to_numpy()
    ids = tr["training_id"].to_numpy()
    n_slots = hist.levels.shape[1]
    parts = []
    for start in range(0, len(active_e), step):
        e_block = active_e[start : start + step]
        e = np.repeat(e_block, n_t)
        t = np.tile(active_t, len(e_block))
        position = pop.position_idx[e]
        target = target_matrix(cat, position, t, n_slots)
        strength = enrollment_strength(cat, pop, e, t, hist.recent_trainings[e], mech)
        levels = hist.levels[e]
        delta = training_delta(levels, target, strength[:, None], mech)
        gain = gain_in_points(levels, delta, cat.required[position], cat.weights[position], mech)
        p_complete = 1.0 - dropout_probability(
            tr["modality"].to_numpy()[t],
            pop.remote[e],
            pop.ability[e],
            tr["hours_jp"].to_numpy()[t],
        )
        parts.append(
            pd.DataFrame(
                {
                    "nip": nip[e],
                    "training_id": ids[t],
                    "true_gain": gain.astype(np.float32),
                    "p_complete": p_complete.astype(np.float32),
                    "expected_gain": (gain * p_complete).astype(np.float32),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def dense_levels(cat: Catalog, pop: Population, levels: np.ndarray) -> np.ndarray:
    """Levels over the whole competency dictionary (NaN outside the position's standard)."""
    n = len(levels)
    dense = np.full((n, len(cat.competency_codes)), np.nan)
    codes = cat.slot_codes[pop.position_idx]
    np.put_along_axis(dense, codes, levels, axis=1)
    return dense


def mentoring_gain(
    mentee_levels: np.ndarray,
    mentor_levels: np.ndarray,
    required: np.ndarray,
    weights: np.ndarray,
    *,
    mentor_skill: np.ndarray,
    learn_rate: np.ndarray,
    same_unit: np.ndarray,
    same_region: np.ndarray,
    mentee_remote: np.ndarray,
    load: np.ndarray,
    mech: Mechanism = MECHANISM,
) -> np.ndarray:
    """True SKP points each mentee gains from one mentorship with its paired mentor.

    Level arrays are pairs × slots over the mentee's standard: ``mentee_levels`` (1.0–5.0),
    ``mentor_levels`` (the mentor's level in the same competency, NaN where the mentor's
    standard lacks it), ``required`` levels and performance ``weights``. The other arrays
    are per pair: the mentor's ``mentor_skill``, the mentee's ``learn_rate`` and
    ``mentee_remote``, whether both work in the same unit / region, and the mentor ``load``
    (mentees mentored at once, ≥ 1). The one place both the world's ground truth and
    :class:`recsys.simulation.oracle.MentorOracle` compute a mentorship's effect.
    """
    # the same function as history.mentoring_strength (tested equal)
    strength = mentoring_strength_of(
        mentor_skill, same_unit, same_region, mentee_remote, learn_rate, load, mech
    )
    focus = focus_slot(mentee_levels, mentor_levels, required)
    delta = mentoring_delta(mentee_levels, mentor_levels, focus, strength[:, None], mech)
    return gain_in_points(mentee_levels, delta, required, weights, mech)


def mentor_truth(
    rng: np.random.Generator,
    pop: Population,
    hist: History,
    cat: Catalog,
    mech: Mechanism = MECHANISM,
) -> pd.DataFrame:
    """True mentoring gain for a sample of mentees × their best candidate mentors.

    Candidates: active employees of the mentee's agency at least two grade steps more
    senior. Columns: mentee_nip, mentor_nip, true_gain, rank (1 = best), n_candidates.
    """
    active = pop.employees["active"].to_numpy()
    staff = np.flatnonzero(active)
    juniors = staff[pop.seniority[staff] < 200]
    mentees = rng.choice(juniors, size=min(MENTEE_SAMPLE, len(juniors)), replace=False)
    dense = dense_levels(cat, pop, hist.levels)
    key = pop.agency_idx[staff].astype(np.int64) * 1000 + pop.seniority[staff]
    order = np.argsort(key, kind="stable")
    sorted_key, sorted_staff = key[order], staff[order]
    nip = pop.employees["nip"].to_numpy()
    rows = []
    for mentee in np.sort(mentees):
        agency = int(pop.agency_idx[mentee])
        lo = np.searchsorted(sorted_key, agency * 1000 + pop.seniority[mentee] + 2)
        hi = np.searchsorted(sorted_key, agency * 1000 + 999, side="right")
        cands = sorted_staff[lo:hi]
        if len(cands) == 0:
            continue
        codes = cat.slot_codes[pop.position_idx[mentee]]
        mentor_lv = dense[cands][:, codes]
        n = len(cands)
        gain = mentoring_gain(
            np.broadcast_to(hist.levels[mentee], mentor_lv.shape),
            mentor_lv,
            np.broadcast_to(cat.required[pop.position_idx[mentee]], mentor_lv.shape),
            np.broadcast_to(cat.weights[pop.position_idx[mentee]], mentor_lv.shape),
            mentor_skill=pop.mentor_skill[cands],
            learn_rate=np.full(n, pop.learn_rate[mentee]),
            same_unit=pop.unit_idx[cands] == pop.unit_idx[mentee],
            same_region=pop.region_code[cands] == pop.region_code[mentee],
            mentee_remote=np.full(n, pop.remote[mentee]),
            load=np.ones(n),
            mech=mech,
        )
        top = np.argsort(-gain, kind="stable")[:MENTOR_TOP_K]
        rows.append(
            pd.DataFrame(
                {
                    "mentee_nip": nip[mentee],
                    "mentor_nip": nip[cands[top]],
                    "true_gain": gain[top].astype(np.float32),
                    "rank": np.arange(1, len(top) + 1, dtype=np.int16),
                    "n_candidates": np.int32(len(cands)),
                }
            )
        )
    if not rows:
        return pd.DataFrame(
            columns=["mentee_nip", "mentor_nip", "true_gain", "rank", "n_candidates"]
        )
    return pd.concat(rows, ignore_index=True)


def latent_frames(
    pop: Population, hist: History, cat: Catalog
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-employee latent traits and true competency levels at the end of the history."""
    nip = pop.employees["nip"].to_numpy()
    people = pd.DataFrame(
        {
            "nip": nip,
            "ability": pop.ability.astype(np.float32),
            "learn_rate": pop.learn_rate.astype(np.float32),
            "mentor_skill": pop.mentor_skill.astype(np.float32),
            "person_effect": pop.person_effect.astype(np.float32),
            "recent_trainings": hist.recent_trainings.astype(np.int8),
        }
    )
    codes = cat.slot_codes[pop.position_idx]
    n_slots = codes.shape[1]
    levels = pd.DataFrame(
        {
            "nip": np.repeat(nip, n_slots),
            "competency": cat.competency_codes[codes.reshape(-1)],
            "true_level": hist.levels.reshape(-1).astype(np.float32),
        }
    )
    return people, levels


def competency_weights(
    positions: pd.DataFrame, slot_codes: np.ndarray, weights: np.ndarray
) -> pd.DataFrame:
    """Weight of each competency of each position's standard in performance.

    Columns: position, competency, weight (a position's weights sum to 1), in slot order,
    as returned by :func:`recsys.simulation.catalog.position_slots`.
    """
    n_slots = slot_codes.shape[1]
    return pd.DataFrame(
        {
            "position": np.repeat(positions["position"].to_numpy(), n_slots),
            "competency": slot_codes.reshape(-1),
            "weight": weights.reshape(-1).astype(np.float64),
        }
    )
