"""Years of history for one chunk of employees, half-year by half-year.

Each half-year: new enrollments and mentorships are decided (by a confounded policy: able
staff and central offices train more, popular courses are picked whatever their quality,
remote staff are sent online), the activities that end in it change competency levels,
assessments are taken (and then go stale), competencies drift. At mid-year the state is
what the December SKP appraisal reflects, so an activity ending in the first half counts in
that December's score and one ending later in next year's — the contract's 6-month lag.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recsys.data.contract import MODALITIES, POSITION_TYPES, RATINGS
from recsys.simulation.mechanism import (
    DEVELOPING_OTHERS_LOADING,
    DEVELOPING_OTHERS_SLOT,
    MECHANISM,
    MENTOR_SKILL_MEDIAN,
    MENTOR_SKILL_SD,
    Mechanism,
    competency_term,
    focus_slot,
    gain_in_points,
    jp_dose,
    mentoring_delta,
    mentoring_strength_of,
    training_delta,
)
from recsys.simulation.people import Population

FIRST_PERFORMANCE_YEAR = 2019
FIRST_ACTIVITY_YEAR = 2020


def n_half_years(history_end: pd.Timestamp) -> int:
    """Half-years simulated up to ``history_end``."""
    return 2 * (history_end.year - FIRST_PERFORMANCE_YEAR + 1)


#: Leadership programmes and the position types they are meant for (policy weights).
_LEADERSHIP_POLICY = {
    "Pelatihan Kepemimpinan Nasional": {"jpt": 3.0, "administrator": 0.6},
    "Pelatihan Kepemimpinan Administrator": {"administrator": 3.0, "pengawas": 0.4},
    "Pelatihan Kepemimpinan Pengawas": {"pengawas": 3.0, "pelaksana": 0.1, "fungsional": 0.15},
}
#: How much HR sends remote staff to each modality (travel is costly; online is easy).
_REMOTE_ACCESS = {
    "klasikal": 0.35,
    "e_learning": 2.2,
    "blended": 1.0,
    "workshop": 0.5,
    "seminar": 0.6,
    "coaching": 0.7,
    "magang": 0.3,
}
#: JP delivered per calendar day, to set end dates.
_JP_PER_DAY = {
    "klasikal": 8.0,
    "e_learning": 1.5,
    "blended": 3.0,
    "workshop": 8.0,
    "seminar": 8.0,
    "coaching": 0.5,
    "magang": 6.0,
}
MAX_TARGETS = 4
#: Year after which discontinued trainings are no longer offered.
DISCONTINUED_AFTER = 2023


def rating_from_score(score: np.ndarray) -> np.ndarray:
    """Predikat kinerja from an SKP score (0–120)."""
    bins = np.array([50.0, 70.0, 90.0, 110.0])
    return np.array(RATINGS)[np.searchsorted(bins, score, side="right")]


@dataclass
class Catalog:
    """Array views of the catalog, the positions' standards and the modality fit."""

    trainings: pd.DataFrame  # contract columns + quality, popularity, is_new
    slot_codes: np.ndarray  # positions × slots, competency index
    required: np.ndarray  # positions × slots
    weights: np.ndarray  # positions × slots
    target_slot: np.ndarray  # positions × trainings × MAX_TARGETS, slot index or -1
    target_level: np.ndarray  # trainings × MAX_TARGETS (0 = none)
    modality_idx: np.ndarray  # trainings
    fit: np.ndarray  # [remote, position type, modality]
    policy: np.ndarray  # position types × trainings (leadership programmes)
    competency_codes: np.ndarray  # index -> code
    #: "supervisor" selection: the courses each unit's supervisor picks, years × units ×
    #: trainings (None under any other selection); see :func:`supervisor_picks`.
    unit_picks: np.ndarray | None = None

    @classmethod
    def build(
        cls,
        trainings: pd.DataFrame,
        links: pd.DataFrame,
        positions: pd.DataFrame,
        slot_codes: np.ndarray,
        required: np.ndarray,
        weights: np.ndarray,
        competency_codes: list[str],
        fit: np.ndarray,
    ) -> Catalog:
        code_idx = {c: i for i, c in enumerate(competency_codes)}
        slots = np.vectorize(code_idx.__getitem__)(slot_codes).astype(np.int64)
        n_t = len(trainings)
        t_idx = {t: i for i, t in enumerate(trainings["training_id"])}
        target_comp = np.full((n_t, MAX_TARGETS), -1)
        target_level = np.zeros((n_t, MAX_TARGETS))
        for t, group in links.groupby("training_id", sort=False):
            i = t_idx[str(t)]
            comps = [code_idx[c] for c in group["competency"]]
            target_comp[i, : len(comps)] = comps
            target_level[i, : len(comps)] = group["target_level"].to_numpy()
        # slot of each target competency in each position (-1: not part of the standard)
        match = slots[:, None, None, :] == target_comp[None, :, :, None]  # P×T×J×S
        target_slot = np.where(match.any(-1), match.argmax(-1), -1)
        policy = np.ones((len(POSITION_TYPES), n_t))
        for i, title in enumerate(trainings["title"]):
            for prefix, by_type in _LEADERSHIP_POLICY.items():
                if str(title).startswith(prefix):
                    policy[:, i] = [by_type.get(p, 0.0) for p in POSITION_TYPES]
        return cls(
            trainings=trainings,
            slot_codes=slots,
            required=required.astype(float),
            weights=weights,
            target_slot=target_slot,
            target_level=target_level,
            modality_idx=trainings["modality"].map(MODALITIES.index).to_numpy(),
            fit=fit,
            policy=policy,
            competency_codes=np.array(competency_codes, dtype=object),
        )


@dataclass
class History:
    """What one chunk's history produced: contract tables, the final state, aggregates."""

    assessments: pd.DataFrame
    performance: pd.DataFrame
    enrollments: pd.DataFrame
    mentorships: pd.DataFrame
    levels: np.ndarray  # employees × slots, true levels at the end of the history
    recent_trainings: np.ndarray  # completed in the last 24 months, at the end
    unit_term_sum: np.ndarray  # units × years: sum of staff competency term at mid-year
    unit_staff: np.ndarray  # units × years
    unit_trained: np.ndarray  # units × years: staff who completed a training that year
    #: enrollment_id, true_gain: SKP points each completed enrollment added when it took
    #: effect (NaN if dropped or still running)
    enrollment_gain: pd.DataFrame = field(default_factory=pd.DataFrame)
    years: list[int] = field(default_factory=list)


def simulate_history(
    rng: np.random.Generator,
    pop: Population,
    cat: Catalog,
    n_units: int,
    history_end: pd.Timestamp,
    id_prefix: str,
    mech: Mechanism = MECHANISM,
    tick: Callable[[], None] | None = None,
) -> History:
    """Run the history from 2019 to ``history_end`` (a 31 December) for one chunk.

    ``tick`` is called after each half-year (for progress bars).
    """
    n = len(pop)
    last_year = history_end.year
    years = list(range(FIRST_PERFORMANCE_YEAR, last_year + 1))
    h_first, h_last = 2 * FIRST_PERFORMANCE_YEAR, 2 * last_year + 1
    pos = pop.position_idx
    req = cat.required[pos]
    w = cat.weights[pos]
    new_hire = pop.hire_year >= last_year - 1
    levels = req + rng.normal(-0.55 + 0.12 * pop.ability[:, None], 0.45, req.shape)
    # Who is good at developing others shows it in the competency of that name (M6):
    # the one visible trace of mentoring skill besides mentees' ratings.
    skill_z = (np.log(pop.mentor_skill) - np.log(MENTOR_SKILL_MEDIAN)) / MENTOR_SKILL_SD
    levels[:, DEVELOPING_OTHERS_SLOT] += DEVELOPING_OTHERS_LOADING * skill_z
    levels = np.clip(levels - np.where(new_hire, 0.3, 0.0)[:, None], 1.0, 5.0)
    completions = np.zeros((n, h_last - h_first + 1), dtype=np.int8)
    hire_h = 2 * pop.hire_year + (pop.employees["hire_date"].dt.month.to_numpy() > 6)
    exit_h = np.where(pop.exit_year == 9999, 10**6, 2 * pop.exit_year + 1)
    person = mech.base_score + pop.person_effect

    assess_first = _assessment_schedule(rng, hire_h, h_first, h_last, mech)

    enroll_parts: list[pd.DataFrame] = []
    mentor_parts: list[pd.DataFrame] = []
    pending_enroll: list[dict[str, np.ndarray]] = []
    pending_mentor: list[dict[str, np.ndarray]] = []
    assessment_parts: list[pd.DataFrame] = []
    performance_parts: list[pd.DataFrame] = []
    unit_term_sum = np.zeros((n_units, len(years)))
    unit_staff = np.zeros((n_units, len(years)))
    unit_trained = np.zeros((n_units, len(years)))

    for h in range(h_first, h_last + 1):
        year, half = divmod(h, 2)
        in_service = (hire_h < h) & (exit_h >= h)
        if half == 0 and year >= FIRST_ACTIVITY_YEAR:
            pending_enroll.append(
                _decide_enrollments(rng, pop, cat, levels, in_service, year, mech)
            )
            pending_mentor.append(_decide_mentorships(rng, pop, in_service, year))

        # Activities ending in this half-year change competencies.
        for batch in pending_enroll:
            due = np.flatnonzero((batch["effect_h"] == h) & (batch["status_code"] == 0))
            if len(due):
                recent = completions[:, max(0, h - h_first - 3) : h - h_first + 1].sum(1)
                _apply_trainings(rng, batch, due, pop, cat, levels, recent, mech)
                np.add.at(completions[:, h - h_first], batch["emp"][due], 1)
        for batch in pending_mentor:
            due = np.flatnonzero(batch["effect_h"] == h)
            if len(due):
                _apply_mentorships(batch, due, pop, cat, levels, mech)

        # Assessments (noisy measurement of the current level).
        assessed = np.flatnonzero(
            ((assess_first[:, 0] == h) | (assess_first[:, 1] == h)) & (exit_h >= h)
        )
        if len(assessed):
            assessment_parts.append(_assess(rng, assessed, h, cat, pos, levels))

        if half == 0:
            # The state at 30 June is what this year's December appraisal reflects.
            yi = year - FIRST_PERFORMANCE_YEAR
            staff = np.flatnonzero((2 * pop.hire_year < h) & (exit_h >= h + 1))
            term = competency_term(levels[staff], req[staff], w[staff], mech.surplus_cap)
            unit_noise = rng.normal(0.0, mech.unit_year_points, n_units)
            score = (
                person[staff]
                + mech.points_per_level * term
                + unit_noise[pop.unit_idx[staff]]
                + rng.normal(0.0, mech.noise_points, len(staff))
            )
            performance_parts.append(_appraise(rng, pop, staff, year, score))
            np.add.at(unit_term_sum[:, yi], pop.unit_idx[staff], term)
            np.add.at(unit_staff[:, yi], pop.unit_idx[staff], 1)

        drift = mech.drift + mech.drift_ability * pop.ability
        levels = np.where(in_service[:, None], np.clip(levels + drift[:, None], 1.0, 5.0), levels)
        if tick:
            tick()

    for batch in pending_enroll:
        enroll_parts.append(_enrollment_frame(rng, batch, pop, cat, history_end))
        done = batch["status_code"] == 0
        end_year = batch["end_year"]
        for yi, y in enumerate(years):
            sel = done & (end_year == y)
            trained = np.zeros(n, dtype=bool)
            trained[batch["emp"][sel]] = True
            np.add.at(unit_trained[:, yi], pop.unit_idx[trained], 1)
    for batch in pending_mentor:
        mentor_parts.append(_mentorship_frame(rng, batch, pop, cat, history_end))

    enrollments = pd.concat(enroll_parts, ignore_index=True)
    enrollments.insert(
        0, "enrollment_id", [f"{id_prefix}E{i + 1:07d}" for i in range(len(enrollments))]
    )
    enrollment_gain = pd.DataFrame(
        {
            "enrollment_id": enrollments["enrollment_id"].to_numpy(),
            "true_gain": np.concatenate([b["true_gain"] for b in pending_enroll]),
        }
    )
    mentorships = pd.concat(mentor_parts, ignore_index=True)
    mentorships.insert(
        0, "mentorship_id", [f"{id_prefix}M{i + 1:06d}" for i in range(len(mentorships))]
    )
    recent_end = completions[:, -4:].sum(1)
    return History(
        assessments=pd.concat(assessment_parts, ignore_index=True),
        performance=pd.concat(performance_parts, ignore_index=True),
        enrollments=enrollments,
        mentorships=mentorships,
        levels=levels,
        recent_trainings=recent_end,
        unit_term_sum=unit_term_sum,
        unit_staff=unit_staff,
        unit_trained=unit_trained,
        enrollment_gain=enrollment_gain,
        years=years,
    )


# ----------------------------------------------------------------------------- trainings


def enrollment_strength(
    cat: Catalog,
    pop: Population,
    emp: np.ndarray,
    t: np.ndarray,
    recent: np.ndarray,
    mech: Mechanism = MECHANISM,
) -> np.ndarray:
    """How strongly a training acts on an employee: quality × modality fit × dose ×
    learning rate × diminishing returns (one value per pair)."""
    tr = cat.trainings
    quality = tr["quality"].to_numpy()[t]
    fit = cat.fit[pop.fit_group[emp], pop.ptype_idx[emp], cat.modality_idx[t]]
    dose = jp_dose(tr["hours_jp"].to_numpy()[t], mech)
    return quality * fit * dose * pop.learn_rate[emp] / (1.0 + mech.repeat_penalty * recent)


def target_matrix(cat: Catalog, position: np.ndarray, t: np.ndarray, n_slots: int) -> np.ndarray:
    """Target level per slot (0 where the training does not develop it), pairs × slots."""
    slots = cat.target_slot[position, t]  # pairs × J
    level = cat.target_level[t]  # pairs × J
    out = np.zeros((len(t), n_slots))
    rows = np.repeat(np.arange(len(t)), MAX_TARGETS)
    s = slots.reshape(-1)
    ok = s >= 0
    np.maximum.at(out, (rows[ok], s[ok]), level.reshape(-1)[ok])
    return out


def _decide_enrollments(
    rng: np.random.Generator,
    pop: Population,
    cat: Catalog,
    levels: np.ndarray,
    in_service: np.ndarray,
    year: int,
    mech: Mechanism = MECHANISM,
) -> dict[str, np.ndarray]:
    """Who enrols in what this year: a confounded policy, popularity-driven in the demo
    world (``mech.selection``: see :func:`selection_weight`)."""
    tr = cat.trainings
    eligible = np.flatnonzero(in_service & (pop.hire_year < year))
    rate = 0.75 * np.exp(
        0.35 * pop.ability[eligible]
        + 0.35 * pop.central[eligible]
        - 0.3 * pop.remote[eligible]
        + 0.25 * (pop.ptype_idx[eligible] <= 2)
    )
    count = np.minimum(rng.poisson(rate), 5)
    emp = np.repeat(eligible, count)
    offered = ~tr["is_new"].to_numpy() & (tr["active"].to_numpy() | (year <= DISCONTINUED_AFTER))
    popularity = tr["popularity"].to_numpy() ** 1.2 * offered
    access = np.array([_REMOTE_ACCESS[m] for m in MODALITIES])[cat.modality_idx]
    quality_z = _standardised_log(tr["quality"].to_numpy())
    chosen = np.empty(len(emp), dtype=np.int64)
    for block in range(0, len(emp), 20_000):
        e = emp[block : block + 20_000]
        position = pop.position_idx[e]
        slots = cat.target_slot[position]  # block × T × J
        in_standard = slots >= 0
        lv = np.take_along_axis(
            levels[e], np.maximum(slots, 0).reshape(len(e), -1), axis=1
        ).reshape(slots.shape)
        gap = np.where(in_standard, np.maximum(cat.target_level[None] - lv, 0.0), 0.0)
        remote = pop.remote[e][:, None]
        if mech.selection == "popularity":
            relevance = 0.15 + in_standard.sum(-1) + 0.8 * gap.sum(-1)
            weight = (
                popularity[None]
                * relevance
                * np.where(remote, access[None], 1.0)
                * cat.policy[pop.ptype_idx[e]]
            )
        else:
            weight = selection_weight(
                mech.selection,
                gap=gap,
                in_standard=in_standard,
                popularity=popularity,
                offered=offered,
                remote_access=np.where(remote, access[None], 1.0),
                policy=cat.policy[pop.ptype_idx[e]],
                ability=pop.ability[e],
                quality_z=quality_z,
                unit_picks=None
                if cat.unit_picks is None
                else cat.unit_picks[year - FIRST_ACTIVITY_YEAR][pop.unit_idx[e]],
            )
        cum = weight.cumsum(1)
        u = rng.random(len(e)) * cum[:, -1]
        chosen[block : block + len(e)] = (cum < u[:, None]).sum(1)
    # Start dates through the year; end dates from the JP.
    start = np.datetime64(f"{year}-01-01") + rng.integers(0, 365 - 10, len(emp)).astype(
        "timedelta64[D]"
    )
    per_day = np.array([_JP_PER_DAY[m] for m in MODALITIES])[cat.modality_idx[chosen]]
    days = np.ceil(tr["hours_jp"].to_numpy()[chosen] / per_day).astype(int)
    end = start + (np.maximum(days, 1) - 1).astype("timedelta64[D]")
    end_ts = pd.DatetimeIndex(end)
    effect_h = 2 * end_ts.year.to_numpy() + (end_ts.month.to_numpy() > 6)
    modality = np.array(MODALITIES)[cat.modality_idx[chosen]]
    remote = pop.remote[emp]
    p_drop = dropout_probability(
        modality, remote, pop.ability[emp], tr["hours_jp"].to_numpy()[chosen]
    )
    dropped = rng.random(len(emp)) < p_drop
    return {
        "emp": emp,
        "t": chosen,
        "start": start,
        "end": end,
        "end_year": end_ts.year.to_numpy(),
        "effect_h": effect_h,
        "status_code": dropped.astype(np.int8),  # 0 completed, 1 dropped; in_progress later
        "pre_level": np.full(len(emp), np.nan),
        "gain_level": np.full(len(emp), np.nan),
        "true_gain": np.full(len(emp), np.nan),
    }


#: "need" selection: how sharply HR prefers the training closing the biggest gap (power).
_NEED_SHARPNESS = 4.0
#: "ability" selection: log-weight per (ability sd × quality sd) of a course.
_ABILITY_QUALITY_TILT = 1.5


def selection_weight(
    selection: str,
    *,
    gap: np.ndarray,
    in_standard: np.ndarray,
    popularity: np.ndarray,
    offered: np.ndarray,
    remote_access: np.ndarray,
    policy: np.ndarray,
    ability: np.ndarray,
    quality_z: np.ndarray,
    unit_picks: np.ndarray | None,
) -> np.ndarray:
    """Relative chance that each enrollment (rows) is in each training (columns), by the
    mechanism's ``selection`` other than the demo's "popularity".

    ``gap`` and ``in_standard`` are rows × trainings × targets (levels up to each target, and
    whether the target is in the person's standard); ``popularity`` (already 0 when not
    offered), ``offered`` and ``quality_z`` (standardised log quality) are per training;
    ``remote_access``, ``policy`` and ``unit_picks`` (the unit's picked courses) are rows ×
    trainings; ``ability`` per row.
    """
    if selection == "need":
        need = gap.sum(-1)
        return offered[None] * (1e-3 + need**_NEED_SHARPNESS) * remote_access * policy
    if selection == "ability":
        relevance = 0.15 + in_standard.sum(-1) + 0.8 * gap.sum(-1)
        tilt = np.exp(_ABILITY_QUALITY_TILT * ability[:, None] * quality_z[None])
        return popularity[None] * relevance * remote_access * policy * tilt
    if selection == "supervisor":
        if unit_picks is None:
            raise ValueError('"supervisor" selection needs the units\' picks (Catalog.unit_picks)')
        return unit_picks * offered[None] * policy
    raise ValueError(f"unknown selection {selection!r}")


def _standardised_log(values: np.ndarray) -> np.ndarray:
    """(log v − mean) / sd, or zeros where every value is equal."""
    logs = np.log(values)
    sd = logs.std()
    return (logs - logs.mean()) / sd if sd > 1e-12 else np.zeros_like(logs)


def supervisor_picks(
    rng: np.random.Generator, cat: Catalog, n_units: int, history_end: pd.Timestamp
) -> np.ndarray:
    """The one or two courses each unit's supervisor picks each year, years (from
    FIRST_ACTIVITY_YEAR) × units × trainings (bool): offered, not a leadership programme,
    chosen with chance ∝ √popularity."""
    tr = cat.trainings
    n_t = len(tr)
    general = (cat.policy == 1.0).all(0)
    years = range(FIRST_ACTIVITY_YEAR, history_end.year + 1)
    picks = np.zeros((len(years), n_units, n_t), dtype=bool)
    for yi, year in enumerate(years):
        offered = ~tr["is_new"].to_numpy() & (
            tr["active"].to_numpy() | (year <= DISCONTINUED_AFTER)
        )
        ok = offered & general
        log_w = np.where(ok, 0.5 * np.log(tr["popularity"].to_numpy()), -np.inf)
        keys = log_w[None] + rng.gumbel(size=(n_units, n_t))  # Gumbel top-k: weighted draws
        order = np.argsort(-keys, axis=1)
        n_picked = np.minimum(1 + (rng.random(n_units) < 0.5), ok.sum())
        for k in range(2):
            rows = np.flatnonzero(n_picked > k)
            picks[yi, rows, order[rows, k]] = True
    return picks


def dropout_probability(
    modality: np.ndarray, remote: np.ndarray, ability: np.ndarray, hours_jp: np.ndarray
) -> np.ndarray:
    """Chance that an enrollment is dropped."""
    online = np.isin(modality, ("e_learning",))
    mixed = modality == "blended"
    return (
        0.04
        + 0.16 * online
        + remote * (0.15 * online + 0.08 * mixed)
        + 0.05 * (ability < -1.0)
        + 0.03 * (hours_jp > 100)
    )


def _apply_trainings(
    rng: np.random.Generator,
    batch: dict[str, np.ndarray],
    due: np.ndarray,
    pop: Population,
    cat: Catalog,
    levels: np.ndarray,
    recent: np.ndarray,
    mech: Mechanism,
) -> None:
    """Apply completed trainings in rounds, so that two trainings of one person in the same
    half-year act one after the other."""
    emp = batch["emp"][due]
    order = np.argsort(emp, kind="stable")
    due, emp = due[order], emp[order]
    first = np.r_[True, emp[1:] != emp[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(emp)), 0))
    round_no = np.arange(len(emp)) - group_start
    n_slots = levels.shape[1]
    for r in range(int(round_no.max()) + 1):
        sel = due[round_no == r]
        e = batch["emp"][sel]
        t = batch["t"][sel]
        target = target_matrix(cat, pop.position_idx[e], t, n_slots)
        strength = enrollment_strength(cat, pop, e, t, recent[e] + r, mech)
        before = levels[e]
        delta = training_delta(before, target, strength[:, None], mech)
        touched = target > 0
        n_touched = np.maximum(touched.sum(1), 1)
        batch["pre_level"][sel] = np.where(
            touched.any(1), (before * touched).sum(1) / n_touched, before.mean(1)
        )
        batch["gain_level"][sel] = (delta * touched).sum(1) / n_touched
        position = pop.position_idx[e]
        batch["true_gain"][sel] = gain_in_points(
            before, delta, cat.required[position], cat.weights[position], mech
        )
        levels[e] = np.minimum(before + delta, 5.0)


def _enrollment_frame(
    rng: np.random.Generator,
    batch: dict[str, np.ndarray],
    pop: Population,
    cat: Catalog,
    history_end: pd.Timestamp,
) -> pd.DataFrame:
    """The contract rows of one year's enrollments, Kirkpatrick scores included."""
    tr = cat.trainings
    t = batch["t"]
    n = len(t)
    in_progress = batch["end"] > np.datetime64(history_end.date())
    status = np.where(
        in_progress, "in_progress", np.where(batch["status_code"] == 1, "dropped", "completed")
    )
    modality = tr["modality"].to_numpy()[t]
    tested = np.isin(modality, ("klasikal", "blended", "e_learning", "workshop"))
    pre_level = np.where(np.isnan(batch["pre_level"]), 2.5, batch["pre_level"])
    gain = np.nan_to_num(batch["gain_level"], nan=0.0)
    pre = np.clip(15 + 15 * pre_level + rng.normal(0, 7, n), 0, 100).round(1)
    post = np.clip(pre + 4 + 55 * gain + rng.normal(0, 5, n), 0, 100).round(1)
    quality = tr["quality"].to_numpy()[t]
    popularity = tr["popularity"].to_numpy()[t]
    reaction = np.clip(
        3.7 + 0.35 * np.log(popularity) + 0.4 * (quality - 0.28) + rng.normal(0, 0.45, n), 1, 5
    ).round(1)
    behavior = np.clip(2.6 + 6 * gain + rng.normal(0, 0.5, n), 1, 5).round(1)
    completed = status == "completed"
    has_test = rng.random(n) < np.where(tested, 0.75, 0.2)
    frame = pd.DataFrame(
        {
            "nip": pop.employees["nip"].to_numpy()[batch["emp"]],
            "training_id": tr["training_id"].to_numpy()[t],
            "start_date": batch["start"],
            "end_date": batch["end"],
            "status": status,
            "pre_score": np.where(has_test & (status != "in_progress"), pre, np.nan),
            "post_score": np.where(has_test & completed, post, np.nan),
            "reaction_score": np.where((rng.random(n) < 0.85) & ~in_progress, reaction, np.nan),
            "behavior_score": np.where((rng.random(n) < 0.45) & completed, behavior, np.nan),
        }
    )
    return frame


# ----------------------------------------------------------------------------- mentoring

#: Share of junior staff (pelaksana, fungsional) who start a mentorship in a year.
MENTORING_RATE = 0.09


def _decide_mentorships(
    rng: np.random.Generator, pop: Population, in_service: np.ndarray, year: int
) -> dict[str, np.ndarray]:
    """Who is mentored by whom this year: mostly the supervisor or a senior nearby, not
    the mentor who would help most."""
    staff = np.flatnonzero(in_service & (pop.hire_year < year))
    junior = staff[pop.seniority[staff] < 200]  # pelaksana, fungsional
    mentees = junior[rng.random(len(junior)) < MENTORING_RATE]
    sup_idx = _supervisor_index(pop)
    mentor = np.full(len(mentees), -1)
    route = rng.random(len(mentees))
    # 1) the direct supervisor
    via_sup = route < 0.5
    cand = sup_idx[mentees[via_sup]]
    cand_ok = (cand >= 0) & in_service[np.maximum(cand, 0)]
    mentor[np.flatnonzero(via_sup)[cand_ok]] = cand[cand_ok]
    # 2) a random senior of the same agency, 3) of the same unit; else any agency senior
    via_agency = (route >= 0.5) & (route < 0.8)
    via_unit = route >= 0.8
    for route_mask, group in ((via_agency, pop.agency_idx), (via_unit, pop.unit_idx)):
        mentor[route_mask] = _random_senior(rng, staff, group, pop.seniority, mentees[route_mask])
    fallback = mentor < 0
    mentor[fallback] = _random_senior(rng, staff, pop.agency_idx, pop.seniority, mentees[fallback])
    keep = mentor >= 0
    mentees, mentor = mentees[keep], mentor[keep]
    start = np.datetime64(f"{year}-01-01") + rng.integers(0, 350, len(mentees)).astype(
        "timedelta64[D]"
    )
    end = start + rng.integers(90, 271, len(mentees)).astype("timedelta64[D]")
    end_ts = pd.DatetimeIndex(end)
    load = np.bincount(mentor, minlength=len(pop))[mentor]
    return {
        "mentee": mentees,
        "mentor": mentor,
        "start": start,
        "end": end,
        "effect_h": 2 * end_ts.year.to_numpy() + (end_ts.month.to_numpy() > 6),
        "load": load,
        "focus_code": np.full(len(mentees), -1),
        "gain_level": np.zeros(len(mentees)),
    }


def _supervisor_index(pop: Population) -> np.ndarray:
    nip = pop.employees["nip"].to_numpy()
    lookup = pd.Series(np.arange(len(nip)), index=nip)
    sup = pop.employees["supervisor_nip"]
    idx = np.full(len(nip), -1)
    has = sup.notna().to_numpy()
    idx[has] = lookup.loc[sup[has].to_numpy()].to_numpy()
    return idx


def _random_senior(
    rng: np.random.Generator,
    staff: np.ndarray,
    group: np.ndarray,
    seniority: np.ndarray,
    mentees: np.ndarray,
) -> np.ndarray:
    """A random member of the mentee's group at least two grade steps more senior, or -1."""
    key = group[staff].astype(np.int64) * 1000 + seniority[staff]
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    lo_key = group[mentees].astype(np.int64) * 1000 + seniority[mentees] + 2
    hi_key = group[mentees].astype(np.int64) * 1000 + 999
    lo = np.searchsorted(sorted_key, lo_key, side="left")
    hi = np.searchsorted(sorted_key, hi_key, side="right")
    pick = lo + np.floor(rng.random(len(mentees)) * (hi - lo)).astype(int)
    out = np.full(len(mentees), -1)
    ok = hi > lo
    out[ok] = staff[order[pick[ok]]]
    return out


def mentor_levels_on_mentee_slots(
    cat: Catalog, pop: Population, levels: np.ndarray, mentee: np.ndarray, mentor: np.ndarray
) -> np.ndarray:
    """The mentor's level in each of the mentee's slot competencies (NaN where the mentor's
    standard lacks it)."""
    mentee_codes = cat.slot_codes[pop.position_idx[mentee]]
    mentor_codes = cat.slot_codes[pop.position_idx[mentor]]
    match = mentee_codes[:, :, None] == mentor_codes[:, None, :]
    lv = np.take_along_axis(levels[mentor], match.argmax(-1), axis=1)
    return np.where(match.any(-1), lv, np.nan)


def mentoring_strength(
    pop: Population, mentee: np.ndarray, mentor: np.ndarray, load: np.ndarray, mech: Mechanism
) -> np.ndarray:
    """Mentor skill × distance × the mentee's learning rate × load penalty (by
    ``mech.mentoring``: :func:`recsys.simulation.mechanism.mentoring_strength_of`)."""
    return mentoring_strength_of(
        pop.mentor_skill[mentor],
        pop.unit_idx[mentee] == pop.unit_idx[mentor],
        pop.region_code[mentee] == pop.region_code[mentor],
        pop.remote[mentee],
        pop.learn_rate[mentee],
        load,
        mech,
    )


def _apply_mentorships(
    batch: dict[str, np.ndarray],
    due: np.ndarray,
    pop: Population,
    cat: Catalog,
    levels: np.ndarray,
    mech: Mechanism,
) -> None:
    mentee, mentor = batch["mentee"][due], batch["mentor"][due]
    req = cat.required[pop.position_idx[mentee]]
    mentor_lv = mentor_levels_on_mentee_slots(cat, pop, levels, mentee, mentor)
    before = levels[mentee]
    focus = focus_slot(before, mentor_lv, req)
    strength = mentoring_strength(pop, mentee, mentor, batch["load"][due], mech)
    delta = mentoring_delta(before, mentor_lv, focus, strength[:, None], mech)
    batch["focus_code"][due] = cat.slot_codes[pop.position_idx[mentee]][focus]
    batch["gain_level"][due] = delta.sum(1)
    # a mentee with two mentorships ending together: apply the larger
    np.maximum.at(levels, mentee, np.minimum(before + delta, 5.0))


def _mentorship_frame(
    rng: np.random.Generator,
    batch: dict[str, np.ndarray],
    pop: Population,
    cat: Catalog,
    history_end: pd.Timestamp,
) -> pd.DataFrame:
    n = len(batch["mentee"])
    nip = pop.employees["nip"].to_numpy()
    ongoing = batch["end"] > np.datetime64(history_end.date())
    skill = pop.mentor_skill[batch["mentor"]]
    rating = np.clip(2.4 + 2.4 * skill / (skill + 0.25) + rng.normal(0, 0.6, n), 1, 5).round(1)
    named = (batch["focus_code"] >= 0) & (rng.random(n) < 0.8)
    focus = pd.Series(cat.competency_codes[np.maximum(batch["focus_code"], 0)]).where(named)
    return pd.DataFrame(
        {
            "mentor_nip": nip[batch["mentor"]],
            "mentee_nip": nip[batch["mentee"]],
            "competency": focus,
            "start_date": batch["start"],
            "end_date": pd.Series(batch["end"]).where(~ongoing),
            "mentee_rating": np.where((rng.random(n) < 0.7) & ~ongoing, rating, np.nan),
        }
    )


# ----------------------------------------------------------------------------- measurement


def _assessment_schedule(
    rng: np.random.Generator,
    hire_h: np.ndarray,
    h_first: int,
    h_last: int,
    mech: Mechanism = MECHANISM,
) -> np.ndarray:
    """Half-year of each employee's first and second assessment (-1: none).

    The first falls anywhere after hiring (earlier the staler ``mech.assessment_staleness``),
    the second 2–5 years later (further apart the staler); ``mech.never_assessed_share``
    are never assessed, ``mech.reassess_share`` of the others twice.
    """
    n = len(hire_h)
    lo = np.maximum(hire_h + 1, h_first)
    when = rng.random(n)
    if mech.assessment_staleness:
        when = when ** (1.0 + mech.assessment_staleness)
    first = lo + np.floor(when * np.maximum(h_last + 1 - lo, 0)).astype(int)
    first = np.where((rng.random(n) < mech.never_assessed_share) | (lo > h_last), -1, first)
    gap = rng.integers(4, 11, n)
    if mech.assessment_staleness:
        gap = np.round(gap * (1.0 + mech.assessment_staleness / 2)).astype(gap.dtype)
    second = first + gap
    second = np.where(
        (first >= 0) & (rng.random(n) < mech.reassess_share) & (second <= h_last), second, -1
    )
    return np.stack([first, second], axis=1)


def _assess(
    rng: np.random.Generator,
    emp: np.ndarray,
    h: int,
    cat: Catalog,
    position: np.ndarray,
    levels: np.ndarray,
) -> pd.DataFrame:
    year, half = divmod(h, 2)
    day0 = np.datetime64(f"{year}-{'01' if half == 0 else '07'}-01")
    dates = day0 + rng.integers(0, 180, len(emp)).astype("timedelta64[D]")
    codes = cat.slot_codes[position[emp]]
    measured = np.clip(np.round(levels[emp] + rng.normal(0, 0.3, levels[emp].shape), 1), 1, 5)
    n_slots = codes.shape[1]
    return pd.DataFrame(
        {
            "emp": np.repeat(emp, n_slots),
            "competency": cat.competency_codes[codes.reshape(-1)],
            "level": measured.reshape(-1),
            "assessed_on": np.repeat(dates, n_slots),
        }
    )


def _appraise(
    rng: np.random.Generator, pop: Population, staff: np.ndarray, year: int, score: np.ndarray
) -> pd.DataFrame:
    score = np.clip(score, 0, 120).round(1)
    rating = rating_from_score(score)
    missing_score = rng.random(len(staff)) < 0.02
    return pd.DataFrame(
        {
            "emp": staff,
            "period_end": np.datetime64(f"{year}-12-31"),
            "rating": rating,
            "score": np.where(missing_score, np.nan, score),
        }
    )
