"""The true causal mechanisms of the demo world.

Only the simulator and the evaluation's ground truth use this module: it is what the models
must discover from outcomes, never an input to them.

Competency levels are continuous (1.0–5.0) per employee and slot (the twelve competencies of
the position's standard). Performance (SKP score points) depends on the weighted shortfall
against the standard; a training closes part of the gap up to its target level; a mentor
passes on part of what they know more than the mentee.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from recsys.data.contract import MODALITIES, POSITION_TYPES


@dataclass(frozen=True)
class Mechanism:
    """Parameters of the world. Units: score points (SKP 0–120), competency levels (1–5)."""

    #: SKP points per level of weighted competency shortfall closed.
    points_per_level: float = 30.0
    #: Levels above the standard that still add to performance.
    surplus_cap: float = 0.4
    base_score: float = 114.0
    ability_points: float = 2.0
    person_points: float = 1.5
    noise_points: float = 2.0
    unit_year_points: float = 1.5
    struggling_share: float = 0.05
    struggling_points: float = -22.0
    #: Half-yearly drift of every competency: experience minus forgetting, and ability.
    drift: float = 0.012
    drift_ability: float = 0.012
    #: Diminishing returns: effect divided by 1 + this × trainings completed in 24 months.
    repeat_penalty: float = 0.35
    #: JP scale of a training's dose: factor 1 - exp(-JP / jp_scale).
    jp_scale: float = 30.0
    #: Share of the mentor's lead passed on per mentorship, before mentor skill.
    mentor_transfer: float = 0.22
    mentor_focus_boost: float = 1.5
    mentor_load_penalty: float = 0.25
    #: Unit service: satisfaction points and log-days per level of mean staff shortfall.
    satisfaction_per_level: float = 22.0
    satisfaction_per_trained_share: float = 6.0
    service_days_per_level: float = -0.9
    service_days_per_trained_share: float = -0.35

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


MECHANISM = Mechanism()

#: Mentoring skill is log-normal across employees: median and log-sd.
MENTOR_SKILL_MEDIAN = 0.25
MENTOR_SKILL_SD = 0.55
#: Slot of "M6 Pengembangan Diri dan Orang Lain" (developing self and others) in every
#: position's standard, and how many levels one log-sd of mentoring skill adds to it.
DEVELOPING_OTHERS_SLOT = 5
DEVELOPING_OTHERS_LOADING = 1.5

#: How well each modality works, by remoteness (rows: not remote, remote).
#: Remote staff learn little online (poor connectivity, no protected time) and most from
#: immersive classroom or placement formats they rarely get.
_REMOTE_FIT = {
    "klasikal": (1.0, 1.2),
    "e_learning": (0.8, 0.3),
    "blended": (0.95, 0.55),
    "workshop": (1.0, 1.0),
    "seminar": (0.55, 0.55),
    "coaching": (1.1, 0.9),
    "magang": (1.2, 1.35),
}
#: Modality fit by position type (multiplies the remote fit).
_POSITION_FIT = {
    "pelaksana": {"magang": 1.3, "coaching": 1.1, "seminar": 0.7, "e_learning": 0.9},
    "fungsional": {"e_learning": 1.15, "workshop": 1.1},
    "pengawas": {"coaching": 1.15, "workshop": 1.1},
    "administrator": {"coaching": 1.25, "workshop": 1.1, "e_learning": 0.8},
    "jpt": {"coaching": 1.3, "e_learning": 0.7, "seminar": 0.8},
}


def modality_fit_table() -> np.ndarray:
    """Fit factor indexed [remote (0/1), position type, modality]."""
    table = np.ones((2, len(POSITION_TYPES), len(MODALITIES)))
    for m_idx, modality in enumerate(MODALITIES):
        for remote in (0, 1):
            for p_idx, ptype in enumerate(POSITION_TYPES):
                table[remote, p_idx, m_idx] = _REMOTE_FIT[modality][remote] * _POSITION_FIT[
                    ptype
                ].get(modality, 1.0)
    return table


def competency_term(
    levels: np.ndarray, required: np.ndarray, weights: np.ndarray, cap: float
) -> np.ndarray:
    """Weighted shortfall against the standard (≤ cap), summed over the last axis. Levels."""
    return (weights * np.minimum(levels - required, cap)).sum(axis=-1)


def jp_dose(hours_jp: np.ndarray, mech: Mechanism = MECHANISM) -> np.ndarray:
    """How much of its potential a training of this many JP delivers (0–1)."""
    return 1.0 - np.exp(-np.asarray(hours_jp, dtype=float) / mech.jp_scale)


def gain_in_points(
    levels: np.ndarray,
    delta: np.ndarray,
    required: np.ndarray,
    weights: np.ndarray,
    mech: Mechanism = MECHANISM,
) -> np.ndarray:
    """SKP points gained when ``levels`` rise by ``delta`` (same shapes; slots last)."""
    after = np.minimum(levels + delta, 5.0)
    return mech.points_per_level * (
        competency_term(after, required, weights, mech.surplus_cap)
        - competency_term(levels, required, weights, mech.surplus_cap)
    )


def training_delta(
    levels: np.ndarray,
    target: np.ndarray,
    strength: np.ndarray,
) -> np.ndarray:
    """Rise in each slot's level from a training: ``strength`` × the gap up to ``target``.

    ``target`` is 0 where the training does not develop the slot; ``strength`` (broadcast
    over slots) combines quality, modality fit, dose, learning rate and diminishing returns.
    """
    return strength * np.maximum(target - levels, 0.0)


def mentoring_delta(
    mentee_levels: np.ndarray,
    mentor_levels: np.ndarray,
    focus: np.ndarray,
    strength: np.ndarray,
    mech: Mechanism = MECHANISM,
) -> np.ndarray:
    """Rise in each of the mentee's slots: a share of the mentor's lead (NaN: mentor lacks
    the competency), boosted on the focus slot."""
    lead = np.nan_to_num(np.maximum(mentor_levels - mentee_levels, 0.0), nan=0.0)
    boost = np.where(focus, mech.mentor_focus_boost, 1.0)
    return mech.mentor_transfer * strength * lead * boost


def mentor_distance_factor(
    same_unit: np.ndarray, same_region: np.ndarray, mentee_remote: np.ndarray
) -> np.ndarray:
    """How well mentoring works across distance. Remote-area mentees do well with remote
    mentors (they are used to it and have no one near); others much less so."""
    far = np.where(mentee_remote, 0.85, 0.5)
    return np.where(same_unit, 1.0, np.where(same_region, 0.8, far))


def focus_slot(
    mentee_levels: np.ndarray, mentor_levels: np.ndarray, required: np.ndarray
) -> np.ndarray:
    """The slot a mentorship focuses on: the mentee's largest gap the mentor can cover.

    Returns a boolean mask (same shape as the levels) with one True per row.
    """
    coverable = np.nan_to_num(mentor_levels, nan=0.0) > mentee_levels
    gap = np.where(coverable, required - mentee_levels, -np.inf)
    idx = np.argmax(gap, axis=-1)
    mask = np.zeros(mentee_levels.shape, dtype=bool)
    np.put_along_axis(mask, idx[..., None], True, axis=-1)
    return mask
