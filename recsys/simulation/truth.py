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
    mentoring_strength,
    target_matrix,
)
from recsys.simulation.mechanism import (
    MECHANISM,
    Mechanism,
    focus_slot,
    gain_in_points,
    mentoring_delta,
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
        delta = strength[:, None] * np.maximum(target - levels, 0.0)
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
        mentee_lv = np.broadcast_to(hist.levels[mentee], mentor_lv.shape)
        req = np.broadcast_to(cat.required[pop.position_idx[mentee]], mentor_lv.shape)
        w = cat.weights[pop.position_idx[mentee]]
        focus = focus_slot(mentee_lv, mentor_lv, req)
        mentee_rep = np.full(len(cands), mentee)
        strength = mentoring_strength(pop, mentee_rep, cands, np.ones(len(cands)), mech)
        delta = mentoring_delta(mentee_lv, mentor_lv, focus, strength[:, None], mech)
        gain = gain_in_points(mentee_lv, delta, req, np.broadcast_to(w, req.shape), mech)
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
