"""The true causal mechanisms of the demo world.

Only the simulator and the evaluation's ground truth use this module: it is what the models
must discover from outcomes, never an input to them.

Competency levels are continuous (1.0–5.0) per employee and slot (the twelve competencies of
the position's standard). Performance (SKP score points) depends on the weighted shortfall
against the standard; a training closes part of the gap up to its target level; a mentor
passes on part of what they know more than the mentee.

A family of worlds
------------------
Real agencies' mechanisms are unknown, so models are judged on worlds built differently. Each
dimension below is a field of :class:`Mechanism`; its default is the demo world (with the
default mechanism a world is byte for byte what it was before these dimensions existed).

``gain_shape``
    How a training's rise in a competency depends on the gap to its target level *g* (levels)
    and the pair's strength *s*: ``"linear"`` *s·g* (demo); ``"capped"`` min(*s·g*,
    ``gain_cap``) levels per competency; ``"threshold"`` *s·g* only for gaps above
    ``gain_threshold``, ``threshold_leak``·*s·g* below; ``"saturating"``
    *s·g·(1 + 1/h)/(1 + g/h)* with *h* = ``gain_half`` (equal to linear at a 1-level gap,
    diminishing extra gain for big gaps).
``quality_spread``
    Multiplier on the log-sd of the trainings' latent quality (0: every training equal;
    demo 1).
``fit_attribute``
    Which attribute modality fit depends on, besides the position type: ``"remote"`` (demo:
    remote staff learn little online), ``"education"`` (graduates learn well online and in
    seminars, staff without a degree from placements and coaching), ``"position_type"``
    (position type only) or ``"age"`` (staff 50 and over, at the end of the history, learn
    little online, most from coaching).
``never_assessed_share``, ``reassess_share``, ``assessment_staleness``
    Assessments: the share never assessed (demo 0.12), the share assessed a second time
    (demo 0.3) and how stale the assessments are (0 = demo; *k* > 0 moves first assessments
    towards the start of the history, u ↦ u^(1+k), and spaces the second one (1 + k/2) times
    further apart).
``selection``
    Who HR sends to which training: ``"popularity"`` (demo: popular courses whatever their
    quality, weighted by relevance), ``"need"`` (the training closing the person's biggest gap,
    whatever its popularity), ``"ability"`` (able staff get the good courses) or
    ``"supervisor"`` (each year a unit's supervisor picks one or two courses for the whole
    unit).
``noise_points``
    Outcome noise of an SKP score (points, demo 2).
``catalog_scale``, ``multi_modality_share``
    Catalog size relative to the templates (0.25–3; below 1 fewer titles, above 1 basic and
    advanced variants of existing courses) and the share of titles offered in more than one
    modality under the same title, the substitute case (demo 0.04: what the templates hold).
``mentoring``
    How mentoring works: ``"skill"`` (demo: mentor skill × distance × the mentor's lead),
    ``"none"`` (no effect at all, though mentorships and ratings still happen),
    ``"proximity"`` (through working in the same unit; skill matters little) or
    ``"expertise"`` (only through the mentor's lead in the focus competency).

Named mechanisms (:data:`MECHANISMS`): ``demo`` (the default), ``capped_need``,
``threshold_ability``, ``saturating_supervisor``, ``flat_quality``, ``education_fit_noisy``,
``big_catalog_no_mentoring`` and ``age_fit_stale``; :func:`random_mechanism` draws every
dimension from a seed (name ``random-<seed>``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from recsys.data.contract import EDUCATION_LEVELS, MODALITIES, POSITION_TYPES

GAIN_SHAPES = ("linear", "capped", "threshold", "saturating")
FIT_ATTRIBUTES = ("remote", "education", "position_type", "age")
SELECTIONS = ("popularity", "need", "ability", "supervisor")
MENTORING = ("skill", "none", "proximity", "expertise")
#: Share of the templates' titles offered in more than one modality (3 of 79).
TEMPLATE_MULTI_MODALITY_SHARE = 0.04


@dataclass(frozen=True)
class Mechanism:
    """Parameters of the world. Units: score points (SKP 0–120), competency levels (1–5).

    The fields after ``service_days_per_trained_share`` choose how the world is built (see the
    module docstring); their defaults are the demo world.
    """

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
    #: Which mechanism this is ("demo", a name of :data:`MECHANISMS`, "random-<seed>", ...).
    name: str = "demo"
    #: How a training's rise depends on the gap: one of :data:`GAIN_SHAPES`.
    gain_shape: str = "linear"
    #: "capped": at most this many levels per competency and training.
    gain_cap: float = 0.5
    #: "threshold": gaps (levels) at or below this barely respond ...
    gain_threshold: float = 0.6
    #: ... they get this share of the linear rise.
    threshold_leak: float = 0.05
    #: "saturating": the gap (levels) at which the extra gain has halved.
    gain_half: float = 1.0
    #: Multiplier on the log-sd of training quality (0: every training equal).
    quality_spread: float = 1.0
    #: What modality fit depends on besides the position type: one of :data:`FIT_ATTRIBUTES`.
    fit_attribute: str = "remote"
    #: Share of employees never assessed.
    never_assessed_share: float = 0.12
    #: Share of the assessed who are assessed a second time.
    reassess_share: float = 0.3
    #: 0: today's schedule; more: first assessments earlier, second ones further apart.
    assessment_staleness: float = 0.0
    #: Who is sent to which training: one of :data:`SELECTIONS`.
    selection: str = "popularity"
    #: Catalog size relative to the templates (0.25–3).
    catalog_scale: float = 1.0
    #: Share of titles offered in more than one modality (same title: substitutes).
    multi_modality_share: float = TEMPLATE_MULTI_MODALITY_SHARE
    #: How mentoring works: one of :data:`MENTORING`.
    mentoring: str = "skill"

    def __post_init__(self) -> None:
        for value, options, what in (
            (self.gain_shape, GAIN_SHAPES, "gain_shape"),
            (self.fit_attribute, FIT_ATTRIBUTES, "fit_attribute"),
            (self.selection, SELECTIONS, "selection"),
            (self.mentoring, MENTORING, "mentoring"),
        ):
            if value not in options:
                raise ValueError(f"{what} must be one of {', '.join(options)}, got {value!r}")
        if not 0.25 <= self.catalog_scale <= 3.0:
            raise ValueError(f"catalog_scale must be between 0.25 and 3, got {self.catalog_scale}")
        for what in ("multi_modality_share", "never_assessed_share", "reassess_share"):
            if not 0.0 <= getattr(self, what) <= 1.0:
                raise ValueError(f"{what} must be between 0 and 1, got {getattr(self, what)}")
        for what in ("quality_spread", "assessment_staleness", "noise_points"):
            if getattr(self, what) < 0:
                raise ValueError(f"{what} must be 0 or more, got {getattr(self, what)}")
        if self.gain_cap <= 0 or self.gain_half <= 0:
            raise ValueError("gain_cap and gain_half must be positive")

    def to_dict(self) -> dict[str, Any]:
        """Every parameter, name included (what ``_truth/params.json`` records)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> Mechanism:
        """The mechanism recorded in a ``params.json``: fields it lacks (a world made before
        they existed) take their defaults, which reproduce that world; unknown keys are
        ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in params.items() if k in known})


MECHANISM = Mechanism()

#: Named worlds: the demo world and variants that differ from it in several dimensions.
MECHANISMS: dict[str, Mechanism] = {
    "demo": MECHANISM,
    "capped_need": Mechanism(
        name="capped_need",
        gain_shape="capped",
        gain_cap=0.4,
        selection="need",
        noise_points=3.0,
        assessment_staleness=1.0,
    ),
    "threshold_ability": Mechanism(
        name="threshold_ability",
        gain_shape="threshold",
        gain_threshold=0.7,
        selection="ability",
        quality_spread=1.6,
        fit_attribute="education",
    ),
    "saturating_supervisor": Mechanism(
        name="saturating_supervisor",
        gain_shape="saturating",
        gain_half=0.8,
        selection="supervisor",
        mentoring="proximity",
        catalog_scale=0.6,
    ),
    "flat_quality": Mechanism(
        name="flat_quality",
        quality_spread=0.0,
        fit_attribute="position_type",
        mentoring="expertise",
        multi_modality_share=0.3,
        noise_points=1.0,
    ),
    "education_fit_noisy": Mechanism(
        name="education_fit_noisy",
        fit_attribute="education",
        noise_points=5.0,
        never_assessed_share=0.3,
        assessment_staleness=2.0,
        gain_shape="capped",
        gain_cap=0.6,
    ),
    "big_catalog_no_mentoring": Mechanism(
        name="big_catalog_no_mentoring",
        catalog_scale=2.0,
        multi_modality_share=0.25,
        mentoring="none",
        selection="need",
        fit_attribute="age",
    ),
    "age_fit_stale": Mechanism(
        name="age_fit_stale",
        fit_attribute="age",
        gain_shape="saturating",
        selection="ability",
        never_assessed_share=0.25,
        reassess_share=0.1,
        assessment_staleness=1.5,
        quality_spread=0.5,
    ),
}
#: What ``mechanism="random"`` asks for: a mechanism drawn from the world's seed.
RANDOM = "random"


def random_mechanism(seed: int) -> Mechanism:
    """A mechanism with every dimension drawn at random; the same for the same ``seed``.

    Uses its own generator, so it never disturbs a world's draws. Named ``random-<seed>``.
    """
    rng = np.random.default_rng([seed, 0x6D6563])

    def pick(options: tuple[str, ...]) -> str:
        return str(options[int(rng.integers(len(options)))])

    def uniform(lo: float, hi: float) -> float:
        return round(float(rng.uniform(lo, hi)), 3)

    return Mechanism(
        name=f"random-{seed}",
        gain_shape=pick(GAIN_SHAPES),
        gain_cap=uniform(0.25, 0.8),
        gain_threshold=uniform(0.3, 1.0),
        gain_half=uniform(0.5, 2.0),
        quality_spread=uniform(0.0, 2.0),
        fit_attribute=pick(FIT_ATTRIBUTES),
        never_assessed_share=uniform(0.05, 0.4),
        reassess_share=uniform(0.05, 0.6),
        assessment_staleness=uniform(0.0, 2.5),
        selection=pick(SELECTIONS),
        noise_points=uniform(1.0, 6.0),
        catalog_scale=uniform(0.5, 2.0),
        multi_modality_share=uniform(0.0, 0.4),
        mentoring=pick(MENTORING),
    )


def resolve_mechanism(mechanism: str | Mechanism, seed: int) -> Mechanism:
    """A :class:`Mechanism` from itself, a name of :data:`MECHANISMS` or ``"random"`` (drawn
    from ``seed``). Raises ``KeyError`` for an unknown name."""
    if isinstance(mechanism, Mechanism):
        return mechanism
    if mechanism == RANDOM:
        return random_mechanism(seed)
    return MECHANISMS[mechanism]


def mechanism_names() -> tuple[str, ...]:
    """Every name ``resolve_mechanism`` accepts."""
    return (*MECHANISMS, RANDOM)


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
_REMOTE_FIT: dict[str, tuple[float, ...]] = {
    "klasikal": (1.0, 1.2),
    "e_learning": (0.8, 0.3),
    "blended": (0.95, 0.55),
    "workshop": (1.0, 1.0),
    "seminar": (0.55, 0.55),
    "coaching": (1.1, 0.9),
    "magang": (1.2, 1.35),
}
#: Modality fit by education group (no degree: SD–SMA, diploma: D3/D4, S1, S2/S3):
#: graduates learn well on their own online and from seminars, others from doing.
_EDUCATION_FIT: dict[str, tuple[float, ...]] = {
    "klasikal": (1.0, 1.0, 1.0, 0.9),
    "e_learning": (0.35, 0.7, 0.95, 1.15),
    "blended": (0.6, 0.85, 1.0, 1.05),
    "workshop": (1.1, 1.1, 1.0, 0.9),
    "seminar": (0.35, 0.5, 0.7, 1.0),
    "coaching": (1.2, 1.1, 1.0, 1.0),
    "magang": (1.4, 1.25, 1.05, 0.8),
}
_EDUCATION_GROUP = {"SD": 0, "SMP": 0, "SMA": 0, "D3": 1, "D4": 1, "S1": 2, "S2": 3, "S3": 3}
#: Modality fit by age group at the end of the history (under 35, 35–49, 50 and over):
#: older staff learn little online and most from coaching.
_AGE_FIT: dict[str, tuple[float, ...]] = {
    "klasikal": (1.0, 1.05, 1.1),
    "e_learning": (1.15, 0.8, 0.35),
    "blended": (1.05, 0.9, 0.6),
    "workshop": (1.05, 1.0, 0.95),
    "seminar": (0.5, 0.6, 0.7),
    "coaching": (0.9, 1.1, 1.35),
    "magang": (1.3, 1.1, 0.8),
}
AGE_GROUP_BOUNDS = (35.0, 50.0)
#: Modality fit by position type (multiplies the attribute's fit).
_POSITION_FIT = {
    "pelaksana": {"magang": 1.3, "coaching": 1.1, "seminar": 0.7, "e_learning": 0.9},
    "fungsional": {"e_learning": 1.15, "workshop": 1.1},
    "pengawas": {"coaching": 1.15, "workshop": 1.1},
    "administrator": {"coaching": 1.25, "workshop": 1.1, "e_learning": 0.8},
    "jpt": {"coaching": 1.3, "e_learning": 0.7, "seminar": 0.8},
}
_ATTRIBUTE_FIT: dict[str, dict[str, tuple[float, ...]]] = {
    "remote": _REMOTE_FIT,
    "education": _EDUCATION_FIT,
    "age": _AGE_FIT,
    "position_type": {m: (1.0,) for m in MODALITIES},
}


def modality_fit_table(attribute: str = "remote") -> np.ndarray:
    """Fit factor indexed [attribute group, position type, modality].

    Groups of ``attribute`` (see :func:`fit_groups`): remote 0/1; education 0–3; age 0–2;
    position_type a single group.
    """
    by_group = _ATTRIBUTE_FIT[attribute]
    n_groups = len(by_group[MODALITIES[0]])
    table = np.ones((n_groups, len(POSITION_TYPES), len(MODALITIES)))
    for m_idx, modality in enumerate(MODALITIES):
        for group in range(n_groups):
            for p_idx, ptype in enumerate(POSITION_TYPES):
                table[group, p_idx, m_idx] = by_group[modality][group] * _POSITION_FIT[ptype].get(
                    modality, 1.0
                )
    return table


def fit_groups(
    attribute: str, remote: np.ndarray, education: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """Each employee's group in the first axis of :func:`modality_fit_table` (int).

    ``remote`` (bool), ``education`` (contract levels, e.g. "S1") and ``age`` (years at the
    end of the history), one per employee.
    """
    if attribute == "remote":
        return np.asarray(remote).astype(int)
    if attribute == "education":
        assert set(_EDUCATION_GROUP) == set(EDUCATION_LEVELS)
        return _lookup(education, _EDUCATION_GROUP)
    if attribute == "age":
        return np.searchsorted(np.array(AGE_GROUP_BOUNDS), np.asarray(age), side="right")
    return np.zeros(len(remote), dtype=int)


def _lookup(values: np.ndarray, mapping: dict[str, int]) -> np.ndarray:
    """``mapping`` applied to each value (every value must be a key)."""
    keys = np.array(list(mapping))
    codes = np.array(list(mapping.values()))
    order = np.argsort(keys)
    idx = np.searchsorted(keys[order], np.asarray(values, dtype=str))
    return codes[order][idx]


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
    mech: Mechanism = MECHANISM,
) -> np.ndarray:
    """Rise in each slot's level from a training, by the gap up to ``target`` (levels).

    ``target`` is 0 where the training does not develop the slot; ``strength`` (broadcast
    over slots) combines quality, modality fit, dose, learning rate and diminishing returns.
    The rise is ``strength`` × the gap, shaped by ``mech.gain_shape`` (module docstring).
    """
    gap = np.maximum(target - levels, 0.0)
    if mech.gain_shape == "linear":
        return strength * gap
    if mech.gain_shape == "capped":
        return np.minimum(strength * gap, mech.gain_cap)
    if mech.gain_shape == "threshold":
        return strength * gap * np.where(gap > mech.gain_threshold, 1.0, mech.threshold_leak)
    half = mech.gain_half
    return strength * gap * (1.0 + 1.0 / half) / (1.0 + gap / half)


def mentoring_delta(
    mentee_levels: np.ndarray,
    mentor_levels: np.ndarray,
    focus: np.ndarray,
    strength: np.ndarray,
    mech: Mechanism = MECHANISM,
) -> np.ndarray:
    """Rise in each of the mentee's slots: a share of the mentor's lead (NaN: mentor lacks
    the competency), boosted on the focus slot ("expertise" mentoring: the focus slot only).
    """
    lead = np.nan_to_num(np.maximum(mentor_levels - mentee_levels, 0.0), nan=0.0)
    off_focus = 0.0 if mech.mentoring == "expertise" else 1.0
    boost = np.where(focus, mech.mentor_focus_boost, off_focus)
    return mech.mentor_transfer * strength * lead * boost


#: "proximity" mentoring: factor by where the mentor works (same unit, same region, else),
#: and how much of the mentor's skill (as a power of skill relative to the median) counts.
_PROXIMITY = (1.6, 0.35, 0.1)
_PROXIMITY_SKILL_POWER = 0.2
#: "expertise" mentoring: the skill every mentor acts with (skill does not matter; above the
#: median, as only the focus competency gains).
_EXPERTISE_SKILL = 0.35


def mentoring_strength_of(
    mentor_skill: np.ndarray,
    same_unit: np.ndarray,
    same_region: np.ndarray,
    mentee_remote: np.ndarray,
    learn_rate: np.ndarray,
    load: np.ndarray,
    mech: Mechanism = MECHANISM,
) -> np.ndarray:
    """How strongly a mentorship acts, per pair: mentor skill × distance × the mentee's
    learning rate × load penalty ("skill", the demo); by ``mech.mentoring`` otherwise.

    The one formula both the history and the ground truth use.
    """
    load_factor = 1.0 + mech.mentor_load_penalty * (load - 1)
    if mech.mentoring == "skill":
        distance = mentor_distance_factor(same_unit, same_region, mentee_remote)
        return mentor_skill * distance * learn_rate / load_factor
    if mech.mentoring == "none":
        return np.zeros(np.broadcast_shapes(np.shape(mentor_skill), np.shape(learn_rate)))
    if mech.mentoring == "proximity":
        near, region, far = _PROXIMITY
        place = np.where(same_unit, near, np.where(same_region, region, far))
        skill = MENTOR_SKILL_MEDIAN * (mentor_skill / MENTOR_SKILL_MEDIAN) ** _PROXIMITY_SKILL_POWER
        return skill * place * learn_rate / load_factor
    return _EXPERTISE_SKILL * np.ones_like(mentor_skill) * learn_rate / load_factor


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
