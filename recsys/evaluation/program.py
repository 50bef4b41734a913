"""The yearly program judged on a demo world's truth.

``_truth/training_gain.parquet`` gives the true gain of one training for one person; a plan
gives a person a *set* of trainings, whose worth is less than the sum when two close the same
gap. :class:`TrainingTruth` rebuilds the world's state at the end of its history (the same
files :class:`recsys.simulation.oracle.MentorOracle` reads, with its loaders) and applies a
person's trainings exactly as the history applies several trainings that end in the same
half-year (:func:`recsys.simulation.history._apply_trainings`): one after the other, each
acting on the levels the ones before left, its strength divided by one more recent training
for each one completed before it; each is completed with its own chance (one minus
:func:`~recsys.simulation.history.dropout_probability`), so a set's true *expected* gain sums
over which of its trainings are completed.

* :func:`bundle_values`: the true expected gain (SKP points) of each person's set;
* :func:`oracle_items`: each person's candidate items with their *true* marginal gains, in
  :func:`recsys.planning.program.plan_items`' format, so that
  :func:`~recsys.planning.program.solve` on them is the oracle's plan under the same limits;
* :func:`true_plan_gain`: the true gain a plan realizes;
* :func:`check_limits`: the limits a plan breaks.

Only evaluation may use it: it reads the hidden truth.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recsys.data import Dataset, load_dataset
from recsys.data.contract import GRADES, POSITION_TYPES
from recsys.planning.program import (
    CLASSROOM,
    FILLER_MODALITIES,
    ITEM_COLUMNS,
    JP_FILLERS,
    MAX_ITEMS_PER_PERSON,
    QUARTERS,
    Plan,
    PlanLimits,
    item_table,
)
from recsys.simulation.catalog import POSITION_RANK
from recsys.simulation.history import (
    Catalog,
    dropout_probability,
    enrollment_strength,
    target_matrix,
)
from recsys.simulation.mechanism import (
    Mechanism,
    fit_groups,
    gain_in_points,
    modality_fit_table,
    training_delta,
)
from recsys.simulation.oracle import MentorOracle, _levels, _required_levels
from recsys.simulation.people import Population
from recsys.simulation.world import TRUTH_DIR

log = logging.getLogger(__name__)

#: People whose sets are valued at once (bounds the working memory).
BLOCK_PEOPLE = 1_000
#: Candidates the oracle's greedy weighs per person: the best by single true expected gain,
#: and the best e-learning ones (the fillers). A training's marginal gain never exceeds its
#: single gain, so a pick is exact whenever it beats every candidate left out.
ORACLE_POOL = 24
ORACLE_FILLER_POOL = JP_FILLERS + 2
#: Smallest true marginal gain (SKP points) of an oracle item (the champion's are > 0).
MIN_GAIN = 1e-6
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class TrainingTruth:
    """A demo world's true training effects, per employee row and training column.

    Build it with :meth:`load`. ``cat`` and ``pop`` hold what the simulator's formulas read
    (the catalog's targets, quality and modality fit; each employee's position, learning
    rate and fit group); ``levels`` are the true levels at the end of the history.
    """

    nips: pd.Index  # employee row -> NIP
    training_ids: pd.Index  # training column -> id
    cat: Catalog
    pop: Population
    levels: np.ndarray  # employees × slots of their standard
    recent: np.ndarray  # trainings completed in the last 24 months, per employee row
    p_complete: np.ndarray  # employees × trainings
    develops: np.ndarray  # positions × trainings: develops a competency of the standard
    completed: pd.MultiIndex  # (employee row, training column) completed in the history
    mech: Mechanism

    @classmethod
    def load(cls, world_dir: Path, ds: Dataset | None = None) -> TrainingTruth:
        """Read a demo world folder (``ds``: its data set, if already loaded)."""
        world_dir = Path(world_dir)
        truth = world_dir / TRUTH_DIR
        mentor = MentorOracle.load(world_dir)  # checks the truth files are there
        params = json.loads((truth / "params.json").read_text())
        mech = mentor.mech
        ds = ds if ds is not None else load_dataset(world_dir)

        weights = pd.read_parquet(truth / "competency_weights.parquet")
        positions = pd.Index(weights["position"].unique())
        competencies = pd.Index(weights["competency"].unique())
        slot = weights.groupby("position", sort=False).cumcount().to_numpy()
        codes = np.empty(mentor.required.shape, dtype=np.int64)
        codes[positions.get_indexer(pd.Index(weights["position"])), slot] = (
            competencies.get_indexer(pd.Index(weights["competency"]))
        )
        required = _required_levels(ds.competency_standards, positions, competencies, codes)

        quality = pd.read_parquet(truth / "trainings.parquet").set_index("training_id")
        trainings = ds.trainings.assign(
            training_id=ds.trainings["training_id"].astype(str),
            title=ds.trainings["title"].astype(str),
            modality=ds.trainings["modality"].astype(str),
            hours_jp=ds.trainings["hours_jp"].astype(float),
        )
        trainings["quality"] = quality["quality"].reindex(trainings["training_id"]).to_numpy()
        links = ds.training_competencies.assign(
            training_id=ds.training_competencies["training_id"].astype(str),
            competency=ds.training_competencies["competency"].astype(str),
        )
        links = links[links["competency"].isin(competencies)]
        cat = Catalog.build(
            trainings.reset_index(drop=True),
            links,
            pd.DataFrame({"position": positions}),
            np.asarray(competencies)[codes],
            required,
            mentor.weights,
            list(competencies),
            modality_fit_table(mech.fit_attribute),
        )

        employees = ds.employees.assign(nip=ds.employees["nip"].astype(str))
        employees = employees.set_index("nip").reindex(mentor.nips)
        traits = pd.read_parquet(truth / "employees.parquet").set_index("nip").reindex(mentor.nips)
        history_end = pd.Timestamp(params["history_end"])
        # the contract keeps whole days of age: mid-day of the birthday's day
        age = ((history_end - employees["birth_date"]).dt.days.to_numpy() + 0.5) / 365.25
        remote = employees["remote_area"].fillna(False).to_numpy(dtype=bool)
        ptype = employees["position_type"].astype(str).to_numpy()
        rank = np.array([POSITION_RANK[p] for p in ptype])
        grade = pd.Index(GRADES).get_indexer(pd.Index(employees["grade"].astype(str)))
        pop = Population(
            employees=employees.reset_index(),
            unit_idx=pd.factorize(employees["unit"])[0],
            position_idx=mentor.position,
            ptype_idx=pd.Index(POSITION_TYPES).get_indexer(pd.Index(ptype)),
            agency_idx=pd.factorize(employees["agency"])[0],
            region_code=mentor.region,
            remote=remote,
            # not read by the training formulas: the unit's seat in the capital
            central=np.zeros(len(remote), dtype=bool),
            grade_idx=grade,
            hire_year=employees["hire_date"].dt.year.to_numpy(),
            exit_year=np.where(employees["active"].fillna(True), 9999, 0),
            ability=traits["ability"].to_numpy(dtype=np.float64),
            learn_rate=traits["learn_rate"].to_numpy(dtype=np.float64),
            mentor_skill=traits["mentor_skill"].to_numpy(dtype=np.float64),
            person_effect=traits["person_effect"].to_numpy(dtype=np.float64),
            seniority=rank * 100 + grade,
            fit_group=fit_groups(
                mech.fit_attribute, remote, employees["education"].astype(str).to_numpy(), age
            ),
        )
        ids = pd.Index(trainings["training_id"])
        tr = cat.trainings
        p_complete = 1.0 - dropout_probability(
            tr["modality"].astype(str).to_numpy()[None, :],
            remote[:, None],
            pop.ability[:, None],
            tr["hours_jp"].to_numpy(dtype=float)[None, :],
        )
        done = ds.enrollments[ds.enrollments["status"] == "completed"]
        rows = mentor.nips.get_indexer(pd.Index(done["nip"].astype(str)))
        cols = ids.get_indexer(pd.Index(done["training_id"].astype(str)))
        ok = (rows >= 0) & (cols >= 0)
        levels = _levels(
            truth / "competency_levels.parquet", mentor.nips, mentor.position, codes, competencies
        )
        return cls(
            nips=mentor.nips,
            training_ids=ids,
            cat=cat,
            pop=pop,
            levels=levels.astype(np.float64),
            recent=traits["recent_trainings"].to_numpy(dtype=np.float64),
            p_complete=p_complete,
            develops=np.asarray((cat.target_slot >= 0).any(-1)),
            completed=pd.MultiIndex.from_arrays([rows[ok], cols[ok]]).unique(),
            mech=mech,
        )

    def rows(self, nips: pd.Series | np.ndarray) -> np.ndarray:
        """Employee rows of ``nips``; ``KeyError`` naming those not in the world."""
        at = self.nips.get_indexer(pd.Index(np.asarray(nips, dtype=object).astype(str)))
        if (at < 0).any():
            raise KeyError(f"{int((at < 0).sum())} NIPs are not employees of this world")
        return at

    def columns(self, training_ids: pd.Series | np.ndarray) -> np.ndarray:
        """Training columns of ``training_ids``; ``KeyError`` naming unknown ones."""
        at = self.training_ids.get_indexer(pd.Index(np.asarray(training_ids).astype(str)))
        if (at < 0).any():
            raise KeyError(f"{int((at < 0).sum())} training ids are not in this world's catalog")
        return at

    def marginals(self, emp: np.ndarray, sequence: np.ndarray) -> np.ndarray:
        """True expected marginal gain (SKP points) of each training of each person's
        ``sequence`` (people × positions, training columns, -1: none) given the ones before
        it, applied in that order as the history applies them. Rows sum to the sequence's
        true expected gain."""
        out = np.zeros(sequence.shape)
        for start in range(0, len(emp), BLOCK_PEOPLE):
            block = slice(start, start + BLOCK_PEOPLE)
            state = self._start(emp[block])
            for i in range(sequence.shape[1]):
                out[block, i], state = self._step(emp[block], sequence[block, i], state)
        return out

    def _start(self, emp: np.ndarray) -> _State:
        n = len(emp)
        return _State(self.levels[emp][:, None, :], np.ones((n, 1)), self.recent[emp][:, None])

    def _gain(
        self, emp: np.ndarray, t: np.ndarray, state: _State
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per person, state and training ``t`` (people × candidates): the gain if completed
        (people × candidates × states), the rise in levels and the chance to complete."""
        n, c = t.shape
        m = state.prob.shape[1]
        column = np.maximum(t, 0)
        position = self.pop.position_idx[emp]
        target = target_matrix(
            self.cat, np.repeat(position, c), column.reshape(-1), self.levels.shape[1]
        ).reshape(n, c, 1, -1)
        strength = enrollment_strength(
            self.cat,
            self.pop,
            np.repeat(emp, c * m),
            np.repeat(column.reshape(-1), m),
            np.broadcast_to(state.recent[:, None, :], (n, c, m)).reshape(-1),
            self.mech,
        ).reshape(n, c, m, 1)
        levels = state.levels[:, None]
        delta = training_delta(levels, target, strength, self.mech)
        required = self.cat.required[position][:, None, None, :]
        weights = self.cat.weights[position][:, None, None, :]
        gain = gain_in_points(levels, delta, required, weights, self.mech)
        p = np.where(t >= 0, self.p_complete[emp[:, None], column], 0.0)
        return gain, delta, p

    def _step(self, emp: np.ndarray, t: np.ndarray, state: _State) -> tuple[np.ndarray, _State]:
        """The expected marginal gain of ``t`` (one training per person) and the states
        after it (completed or not)."""
        gain, delta, p = self._gain(emp, t[:, None], state)
        marginal = p[:, 0] * (state.prob * gain[:, 0]).sum(1)
        return marginal, state.after(delta[:, 0], p[:, 0])


@dataclass(frozen=True)
class _State:
    """Each person's possible levels after the trainings so far: one per set of them
    completed (people × states × slots), its chance and the recent trainings it counts."""

    levels: np.ndarray
    prob: np.ndarray
    recent: np.ndarray

    def after(self, delta: np.ndarray, p: np.ndarray) -> _State:
        done = np.minimum(self.levels + delta, 5.0)
        return _State(
            np.concatenate([self.levels, done], axis=1),
            np.concatenate([self.prob * (1 - p[:, None]), self.prob * p[:, None]], axis=1),
            np.concatenate([self.recent, self.recent + 1], axis=1),
        )


# ----------------------------------------------------------------------------- values


def bundle_values(truth: TrainingTruth, sets: pd.DataFrame) -> pd.Series:
    """True expected gain (SKP points, ≥ 0) of each person's set of trainings, by NIP.

    ``sets``: rows (``nip``, ``training_id``); a person's set is all their rows (a training
    listed twice counts once). The trainings end in the same half-year and are taken the
    most useful alone first (by true single expected gain, then id), so a set's value does
    not depend on who listed it in which order.
    """
    if sets.empty:
        return pd.Series(dtype=float, name="true_gain")
    frame = pd.DataFrame(
        {"emp": truth.rows(sets["nip"]), "t": truth.columns(sets["training_id"])}
    ).drop_duplicates()
    emp, t = frame["emp"].to_numpy(), frame["t"].to_numpy()
    single = truth.marginals(emp, t[:, None])[:, 0]
    order = np.lexsort((t, -single, emp))
    emp, t = emp[order], t[order]
    people, first = np.unique(emp, return_index=True)
    slot = np.arange(len(emp)) - np.repeat(first, np.diff(np.r_[first, len(emp)]))
    sequence = np.full((len(people), int(slot.max()) + 1), -1)
    sequence[np.searchsorted(people, emp), slot] = t
    value = truth.marginals(people, sequence).sum(1)
    return pd.Series(value, index=pd.Index(truth.nips[people], name="nip"), name="true_gain")


def true_plan_gain(items: pd.DataFrame, world: Path | TrainingTruth) -> float:
    """The true expected gain (SKP points) a plan realizes: the sum over people of the true
    value of the set of trainings it gives them (:func:`bundle_values`). ``items``: the
    plan's items (``nip``, ``training_id``)."""
    truth = world if isinstance(world, TrainingTruth) else TrainingTruth.load(world)
    return float(bundle_values(truth, items[["nip", "training_id"]]).sum())


# ----------------------------------------------------------------------------- oracle


def oracle_items(
    world: Path | TrainingTruth, people: pd.DataFrame, catalog: pd.DataFrame
) -> pd.DataFrame:
    """Each person's candidate items with their TRUE marginal gains, in
    :func:`~recsys.planning.program.plan_items`' columns (:data:`ITEM_COLUMNS`).

    ``people``: the staff planned for (``nip``, ``unit``, ``remote_area``), in order;
    ``catalog``: the trainings a plan may buy (``training_id``, ``modality``, ``hours_jp``,
    ``cost_idr``). Candidates: trainings of ``catalog`` the person has not completed that
    develop a competency of their standard. The list is the greedy order of the true set
    value (each item the one adding most to the items above it, its gain what it adds),
    :data:`MAX_ITEMS_PER_PERSON` long, with ``plan_items``' filler rule: after the first
    ``MAX_ITEMS_PER_PERSON − JP_FILLERS`` items, e-learning items first while any adds
    gain. Only items adding more than :data:`MIN_GAIN` are listed. ``gain_lower`` and
    ``gain_upper`` equal ``gain`` (the truth has no error).
    """
    truth = world if isinstance(world, TrainingTruth) else TrainingTruth.load(world)
    emp = truth.rows(people["nip"])
    offered = truth.columns(catalog["training_id"])
    filler = np.isin(catalog["modality"].astype(str).to_numpy(), FILLER_MODALITIES)
    parts, inexact = [], 0
    for start in range(0, len(emp), BLOCK_PEOPLE):
        block = np.arange(start, min(start + BLOCK_PEOPLE, len(emp)))
        pool = _pool(truth, emp[block], offered, filler)
        chosen, gains, misses = _greedy(truth, emp[block], offered, filler, pool)
        inexact += misses
        slot = np.nonzero(chosen >= 0)
        parts.append(
            pd.DataFrame(
                {
                    "person": block[slot[0]],
                    "rank": slot[1] + 1,
                    "column": chosen[slot],
                    "gain": gains[slot],
                }
            )
        )
    if inexact:
        log.warning("oracle: %d picks may not be the greedy's best (pool too small)", inexact)
    found = pd.concat(parts, ignore_index=True)
    rows = catalog.iloc[found["column"].to_numpy()]
    gain = found["gain"].to_numpy(dtype=float)
    items = item_table(
        people,
        found["person"].to_numpy(),
        training_id=rows["training_id"].astype(str).to_numpy(),
        rank=found["rank"].to_numpy(dtype=int),
        gain=gain,
        gain_lower=gain,
        gain_upper=gain,
        trainings=rows,
    )
    return items[list(ITEM_COLUMNS)]


def _pool(
    truth: TrainingTruth, emp: np.ndarray, offered: np.ndarray, filler: np.ndarray
) -> np.ndarray:
    """Catalog positions (people × pool, -1: none) of each person's candidates the greedy
    weighs: the best by single true expected gain and the best e-learning ones, then the
    best single gain left out (last column, for the exactness check)."""
    n = len(emp)
    allowed = truth.develops[truth.pop.position_idx[emp]][:, offered]
    done = pd.MultiIndex.from_arrays([np.repeat(emp, len(offered)), np.tile(offered, n)]).isin(
        truth.completed
    )
    allowed &= ~done.reshape(n, len(offered))
    columns = np.broadcast_to(offered, (n, len(offered)))
    single = truth.marginals(np.repeat(emp, len(offered)), columns.reshape(-1, 1))
    single = np.where(allowed, single.reshape(n, len(offered)), -np.inf)
    order = np.argsort(-single, axis=1, kind="stable")
    best = order[:, :ORACLE_POOL]
    by_filler = np.argsort(-np.where(filler[None], single, -np.inf), axis=1, kind="stable")
    fill = by_filler[:, :ORACLE_FILLER_POOL]
    pool = np.concatenate([best, fill], axis=1)
    value = np.take_along_axis(single, pool, axis=1)
    pool = np.where(np.isfinite(value), pool, -1)
    # drop a filler already among the best
    dup = (pool[:, ORACLE_POOL:, None] == best[:, None, :]).any(-1)
    pool[:, ORACLE_POOL:][dup] = -1
    left_out = np.full((n, 1), -np.inf)
    if len(offered) > ORACLE_POOL:
        rest = np.take_along_axis(single, order[:, ORACLE_POOL:], axis=1)
        in_fill = (order[:, ORACLE_POOL:, None] == fill[:, None, :]).any(-1)
        left_out[:, 0] = np.where(in_fill, -np.inf, rest).max(axis=1)
    return np.concatenate([pool, left_out], axis=1)


def _greedy(
    truth: TrainingTruth,
    emp: np.ndarray,
    offered: np.ndarray,
    filler: np.ndarray,
    pool_and_bound: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Greedy lists (people × MAX_ITEMS_PER_PERSON catalog positions, -1: none), their
    marginal gains and how many picks the pool may have made inexact."""
    pool = pool_and_bound[:, :-1].astype(int)
    left_out = pool_and_bound[:, -1]
    n = len(emp)
    column = np.where(pool >= 0, offered[np.maximum(pool, 0)], -1)
    is_filler = (pool >= 0) & filler[np.maximum(pool, 0)]
    open_ = pool >= 0
    chosen = np.full((n, MAX_ITEMS_PER_PERSON), -1)
    gains = np.zeros((n, MAX_ITEMS_PER_PERSON))
    state = truth._start(emp)
    misses = 0
    everyone = np.arange(n)
    for k in range(MAX_ITEMS_PER_PERSON):
        gain, _, p = truth._gain(emp, np.where(open_, column, -1), state)
        marginal = np.where(open_, p * (state.prob[:, None, :] * gain).sum(-1), -np.inf)
        pick = np.argmax(marginal, axis=1)
        useful = np.zeros(n, dtype=bool)
        if k >= MAX_ITEMS_PER_PERSON - JP_FILLERS:  # e-learning first, while it adds gain
            fill = np.where(is_filler, marginal, -np.inf)
            useful = fill.max(axis=1) > MIN_GAIN
            pick = np.where(useful, np.argmax(fill, axis=1), pick)
        best = marginal[everyone, pick]
        take = best > MIN_GAIN
        misses += int((take & ~useful & (best < left_out - _TOLERANCE)).sum())
        chosen[take, k] = pool[take, pick[take]]
        gains[take, k] = best[take]
        t = np.where(take, column[everyone, pick], -1)
        open_[everyone[take], pick[take]] = False
        _, state = truth._step(emp, t, state)
    return chosen, gains, misses


# ----------------------------------------------------------------------------- limits


def check_limits(
    plan: Plan, people: pd.DataFrame, catalog: pd.DataFrame, limits: PlanLimits
) -> list[str]:
    """The limits ``plan`` breaks, one message each (empty when it keeps them all): the
    budget, unit budgets, seats, the JP cap (a person beyond it only with a single item),
    the share of a unit's staff away in classroom training per quarter, one classroom item
    per person and quarter, and the remote staff's share of the spending."""
    items = plan.items
    broken: list[str] = []
    cost = items["cost_idr"].to_numpy(dtype=float)
    if cost.sum() > limits.budget_idr * (1 + _TOLERANCE) + _TOLERANCE:
        broken.append(f"budget: {cost.sum():,.0f} IDR > {limits.budget_idr:,.0f}")
    spent = items.groupby(items["unit"].astype(str))["cost_idr"].sum()
    for unit, amount in (limits.unit_budgets or {}).items():
        if spent.get(unit, 0.0) > amount * (1 + _TOLERANCE) + _TOLERANCE:
            broken.append(f"unit budget {unit}: {spent.get(unit, 0.0):,.0f} > {amount:,.0f}")
    seats = _seats(catalog, limits.seats or {})
    used = items["training_id"].astype(str).value_counts()
    full = used.reindex(seats.index).fillna(0) > seats
    for training in seats.index[full.to_numpy()]:
        broken.append(f"seats {training}: {int(used[training])} > {seats[training]:.0f}")
    unknown = set(used.index) - set(catalog["training_id"].astype(str))
    if unknown:
        broken.append(f"trainings outside the catalog: {sorted(unknown)[:5]}")
    strangers = set(items["nip"].astype(str)) - set(people["nip"].astype(str))
    if strangers:
        broken.append(f"{len(strangers)} people outside the staff planned for")
    per_person = items.groupby(items["nip"].astype(str))["hours_jp"].agg(["sum", "size"])
    over = per_person[
        (per_person["sum"] > limits.max_jp_per_person + _TOLERANCE) & (per_person["size"] > 1)
    ]
    if len(over):
        broken.append(
            f"JP cap: {len(over)} people over {limits.max_jp_per_person:g} JP with several items"
        )
    classroom = items[items["modality"].astype(str).isin(CLASSROOM)]
    if len(classroom):
        quarter = classroom["quarter"].to_numpy(dtype=int)
        if ((quarter < 1) | (quarter > QUARTERS)).any():
            broken.append("classroom items without a quarter 1–4")
        staff = people.groupby(people["unit"].astype(str)).size()
        away = pd.Series(
            np.maximum(1, np.floor(limits.classroom_share * staff.to_numpy())), index=staff.index
        )
        count = classroom.groupby([classroom["unit"].astype(str), quarter]).size()
        allowed = away.reindex(count.index.get_level_values(0)).to_numpy()
        crowded = count[count.to_numpy() > allowed]
        if len(crowded):
            broken.append(f"classroom share: {len(crowded)} unit-quarters over their share away")
        twice = classroom.groupby([classroom["nip"].astype(str), quarter]).size()
        if (twice > 1).any():
            broken.append(f"classroom: {int((twice > 1).sum())} people twice in a quarter")
    if limits.remote_budget_share > 0 and cost.sum() > 0:
        remote = items["remote"].to_numpy(dtype=bool)
        share = cost[remote].sum() / cost.sum()
        if share < limits.remote_budget_share - _TOLERANCE:
            broken.append(f"remote share: {share:.3f} < {limits.remote_budget_share:.3f}")
    return broken


def _seats(catalog: pd.DataFrame, override: Mapping[str, int]) -> pd.Series:
    """Seats per training that has a limit (the override first, then ``capacity``)."""
    seats = pd.to_numeric(
        catalog.set_index(catalog["training_id"].astype(str))["capacity"], errors="coerce"
    ).astype(float)
    for training, value in override.items():
        seats[str(training)] = float(value)
    return seats[seats.notna()]
