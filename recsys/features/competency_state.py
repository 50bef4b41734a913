"""A person's competency levels and gaps against their position's standard, as of a
decision date.

Everything is computed from records dated strictly before the decision date, so a feature
never leaks what happened after it: assessments taken before, trainings that ended before.

Competency levels come from the latest assessment, raised by what the completed trainings
since then imply: each closes :data:`IMPLIED_STEP` of the remaining gap to its target level
(a prior; the outcome models learn how much trainings really do). Gaps are measured against
the position's standard.

Queries: frames with a ``nip`` and an ``as_of`` column, one row per question; results carry
the query's row number in :data:`QUERY`. The state of some queries is the state of a larger
set of queries cut down to them (:func:`state_of`), so a caller with many questions about the
same people computes it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recsys.data.contract import DATE_DTYPE, ID_DTYPE
from recsys.data.loading import Dataset

#: Share of the remaining gap to its target level that one completed training is assumed
#: to close, before any outcome is learned.
IMPLIED_STEP = 0.3
QUERY = "query"  # row number of a query in the frames below
AS_OF = "as_of"


IdValues = pd.Series | pd.Index | np.ndarray | Sequence[str]


def _id_array(ids: IdValues) -> pa.Array:
    """``ids`` as one Arrow text array (no copy of ids that have the contract's dtype)."""
    return pa.array(pd.Series(ids, dtype=ID_DTYPE).array)


def id_positions(ids: IdValues, within: IdValues) -> np.ndarray:
    """Position of each of ``ids`` in ``within`` (distinct ids), −1 where absent (a missing
    id is found where ``within`` has one, as pandas finds it).

    A hash join on the Arrow text: looking ids up through a pandas index copies both sides
    to Python strings first, which costs several times more at 100k people."""
    found = pc.index_in(_id_array(ids), value_set=_id_array(within))
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)


def id_isin(ids: IdValues, values: IdValues) -> np.ndarray:
    """Whether each of ``ids`` is among ``values``, looked up as by :func:`id_positions`."""
    found = pc.is_in(_id_array(ids), value_set=_id_array(values))
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)


def asked_about(who: np.ndarray, asked: np.ndarray, n_people: int) -> np.ndarray:
    """Whether each record's person (employee row ``who``, -1 if unknown) is one of the
    ``asked`` employee rows (-1 ignored): the records of other people join no query, so
    they are dropped before the sorts and joins (a person's features read only their own
    records)."""
    wanted = np.zeros(n_people + 1, dtype=bool)  # the last entry: unknown people
    wanted[asked[asked >= 0]] = True
    return wanted[who]


def as_queries(queries: pd.DataFrame) -> pd.DataFrame:
    q = pd.DataFrame(
        {
            "nip": queries["nip"].astype(ID_DTYPE).reset_index(drop=True),
            AS_OF: pd.to_datetime(queries[AS_OF]).astype(DATE_DTYPE).reset_index(drop=True),
        }
    )
    q[QUERY] = np.arange(len(q))
    return q


#: The state's value columns, after its keys (query, nip, as_of, competency).
STATE_VALUES = (
    "required_level",
    "assessed_level",
    "assessed_on",
    "implied_level",
    "gap",
    "level_estimate",
)


class _Keys:
    """Integer codes for the joins below: employee (row of ``ds.employees``; -1 unknown),
    competency (sorted, so that code order is name order) and their pair."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self.people = ds.employees["nip"]
        names = pd.concat(
            [
                ds.competency_standards["competency"],
                ds.assessments["competency"],
                ds.training_competencies["competency"],
            ],
            ignore_index=True,
        )
        self.competencies = pd.Index(pd.unique(names.astype(ID_DTYPE))).sort_values()
        self.n_competencies = max(len(self.competencies), 1)

    def person(self, nips: pd.Series) -> np.ndarray:
        return id_positions(nips, self.people)

    def competency(self, names: pd.Series) -> np.ndarray:
        return id_positions(names, self.competencies)

    def pair(self, person: np.ndarray, competency: np.ndarray) -> np.ndarray:
        return np.where(person >= 0, person * self.n_competencies + competency, -1)

    @cached_property
    def assessed_person(self) -> np.ndarray:
        """:meth:`person` of each assessment (the largest table: looked up once)."""
        return self.person(self.ds.assessments["nip"])

    @cached_property
    def assessed_competency(self) -> np.ndarray:
        """:meth:`competency` of each assessment."""
        return self.competency(self.ds.assessments["competency"])


def competency_state(ds: Dataset, queries: pd.DataFrame) -> pd.DataFrame:
    """Each query's standard competencies with their level and gap, as of the query date.

    ``queries``: columns ``nip`` and ``as_of`` (one row per question). Returns one row per
    (query, standard competency): ``query``, ``competency``, ``required_level``,
    ``assessed_level`` (NaN: never assessed before as_of), ``assessed_on``,
    ``implied_level`` (assessed level raised by completed trainings since), ``gap``
    (required − implied, ≥ 0; NaN if unassessed) and ``level_estimate`` (the implied level,
    or for an unassessed competency the standard plus the mean shortfall of everyone
    assessed in it before as_of — the cold-start estimate).

    The joins run on integer codes (employee row, competency), and the text columns are
    made once at the end: joins on text columns cost several times more at 100k people.
    """
    q = as_queries(queries)
    keys = _Keys(ds)
    who = keys.person(q["nip"])
    position_codes, positions = pd.factorize(ds.employees["position"].astype(ID_DTYPE))
    q_position = np.where(who >= 0, position_codes[np.maximum(who, 0)], -1)
    standards = ds.competency_standards
    std = pd.DataFrame(
        {
            "_position": pd.Index(positions).get_indexer(standards["position"].astype(ID_DTYPE)),
            "_competency": keys.competency(standards["competency"]),
            "required_level": standards["required_level"].to_numpy(),
        }
    )
    left = pd.DataFrame(
        {QUERY: q[QUERY].to_numpy(), "_who": who, AS_OF: q[AS_OF], "_position": q_position}
    )
    # queries in date order first: the merge keeps it, as the as-of joins need
    left = left[left["_position"] >= 0].sort_values(AS_OF, kind="stable")
    state = left.merge(std[std["_position"] >= 0], on="_position", how="inner")
    state["_key"] = keys.pair(state["_who"].to_numpy(), state["_competency"].to_numpy())
    assessments = ds.assessments
    mine = asked_about(keys.assessed_person, who, len(keys.people))  # others' join no query
    assessed = pd.DataFrame(
        {
            "_key": keys.pair(keys.assessed_person[mine], keys.assessed_competency[mine]),
            "assessed_level": assessments["level"].to_numpy(dtype=float)[mine],
            "assessed_on": assessments["assessed_on"].to_numpy()[mine],
        }
    )
    assessed = assessed[assessed["_key"] >= 0].sort_values("assessed_on", kind="stable")
    state = pd.merge_asof(
        state,
        assessed,
        left_on=AS_OF,
        right_on="assessed_on",
        by="_key",
        direction="backward",
        allow_exact_matches=False,
    )
    state = _apply_completed_trainings(ds, keys, state)
    state["gap"] = (state["required_level"] - state["implied_level"]).clip(lower=0)
    state = _estimate_unassessed(ds, keys, position_codes, positions, state)
    order = np.lexsort((state["_competency"].to_numpy(), state[QUERY].to_numpy()))
    query = state[QUERY].to_numpy()[order]
    out = {QUERY: query, "nip": q["nip"].take(query).reset_index(drop=True)}
    for column in (AS_OF, "_competency", *STATE_VALUES):
        out[column] = state[column].to_numpy()[order]
    out["competency"] = pd.Series(
        keys.competencies.array.take(np.asarray(out.pop("_competency"))), dtype=ID_DTYPE
    )
    return pd.DataFrame(out)[[QUERY, "nip", AS_OF, "competency", *STATE_VALUES]]


def state_of(state: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The part of a :func:`competency_state` about the queries at ``rows`` (positions among
    the queries it was computed for; any order, repeats allowed), numbered from 0 in that
    order: what :func:`competency_state` returns for those queries alone (a query's rows
    depend on nothing but the query and the data set)."""
    rows = np.asarray(rows, dtype=np.int64)
    query = state[QUERY].to_numpy()
    size = max(int(query.max()) + 1 if len(query) else 0, int(rows.max()) + 1 if len(rows) else 0)
    counts = np.bincount(query, minlength=size)  # the state is sorted by query
    starts = np.cumsum(counts) - counts
    taken = counts[rows]
    first = np.repeat(starts[rows], taken)
    within = np.arange(int(taken.sum())) - np.repeat(np.cumsum(taken) - taken, taken)
    out = state.take(first + within).reset_index(drop=True)
    out[QUERY] = np.repeat(np.arange(len(rows), dtype=query.dtype), taken)
    return out


#: Level relative to the standard assumed for a competency nobody has been assessed in yet.
DEFAULT_RELATIVE_LEVEL = -0.5


def _estimate_unassessed(
    ds: Dataset,
    keys: _Keys,
    position_codes: np.ndarray,
    positions: pd.Index,
    state: pd.DataFrame,
) -> pd.DataFrame:
    """Add ``level_estimate``: the implied level, else the standard plus the mean
    (level − standard) of all assessments of that competency made before as_of (of the
    whole data set's, from its context, when ``ds`` is a part of it)."""
    whole = ds.context.get(ASSESSMENT_LEVELS)
    if whole is not None:
        running = pd.DataFrame(
            {
                "_competency": keys.competency(whole["competency"]),
                "_when": whole["assessed_on"].to_numpy(),
                "_sum": whole["sum"].to_numpy(),
                "_n": whole["n"].to_numpy(),
            }
        )
        running = running[running["_competency"] >= 0].sort_values("_when", kind="stable")
    else:
        running = _running_levels(ds, keys, position_codes, positions)
    state = pd.merge_asof(
        state,  # still in date order (the joins since kept it)
        running,
        left_on=AS_OF,
        right_on="_when",
        by="_competency",
        direction="backward",
        allow_exact_matches=False,
    )
    population = (state["_sum"] / state["_n"]).fillna(DEFAULT_RELATIVE_LEVEL)
    state["level_estimate"] = state["implied_level"].fillna(state["required_level"] + population)
    return state.drop(columns=["_when", "_sum", "_n"])


#: The context table of a part of a data set: the whole one's running sums of assessed
#: level − standard per competency, at the end of each assessment date.
ASSESSMENT_LEVELS = "assessment_levels"


def assessment_levels(ds: Dataset) -> pd.DataFrame:
    """``ds``'s :data:`ASSESSMENT_LEVELS`: competency, assessed_on, sum, n (cumulative over
    the competency's assessments up to and including that date; a few rows per competency
    and date, whatever the staff's size)."""
    keys = _Keys(ds)
    position_codes, positions = pd.factorize(ds.employees["position"].astype(ID_DTYPE))
    running = _running_levels(ds, keys, position_codes, positions)
    last = running.groupby(["_competency", "_when"], sort=False).tail(1)
    return pd.DataFrame(
        {
            "competency": pd.Series(
                keys.competencies.array.take(last["_competency"].to_numpy()), dtype=ID_DTYPE
            ),
            "assessed_on": last["_when"].to_numpy(),
            "sum": last["_sum"].to_numpy(),
            "n": last["_n"].to_numpy(),
        }
    )


def _running_levels(
    ds: Dataset, keys: _Keys, position_codes: np.ndarray, positions: pd.Index
) -> pd.DataFrame:
    """Running sums of (level − standard) per competency over ``ds``'s assessments, in
    date order: _competency, _when, _sum, _n."""
    who = keys.assessed_person
    assessed = pd.DataFrame(
        {
            "_position": np.where(who >= 0, position_codes[np.maximum(who, 0)], -1),
            "_competency": keys.assessed_competency,
            "level": ds.assessments["level"].to_numpy(dtype=float),
            "assessed_on": ds.assessments["assessed_on"].to_numpy(),
        }
    )
    standards = pd.DataFrame(
        {
            "_position": pd.Index(positions).get_indexer(
                ds.competency_standards["position"].astype(ID_DTYPE)
            ),
            "_competency": keys.competency(ds.competency_standards["competency"]),
            "required_level": ds.competency_standards["required_level"].to_numpy(),
        }
    )
    assessed = assessed[assessed["_position"] >= 0].merge(
        standards[standards["_position"] >= 0], on=["_position", "_competency"]
    )
    assessed = assessed.sort_values("assessed_on", kind="stable")
    relative = assessed["level"] - assessed["required_level"]
    by_comp = relative.groupby(assessed["_competency"], sort=False)
    return pd.DataFrame(
        {
            "_competency": assessed["_competency"].to_numpy(),
            "_when": assessed["assessed_on"].to_numpy(),
            "_sum": by_comp.cumsum().to_numpy(),
            "_n": (by_comp.cumcount() + 1).to_numpy(),
        }
    )


def _completed_targets(ds: Dataset, keys: _Keys, asked: np.ndarray) -> pd.DataFrame:
    """Completed enrollments of the ``asked`` employee rows × the competencies they
    develop: nip, competency, end, target (other people's could not join)."""
    enrollments = ds.enrollments
    completed = (enrollments["status"] == "completed").to_numpy(dtype=bool)
    mine = completed & asked_about(keys.person(enrollments["nip"]), asked, len(keys.people))
    done = enrollments.loc[mine, ["nip", "training_id", "end_date"]]
    return done.merge(ds.training_competencies, on="training_id")[
        ["nip", "competency", "end_date", "target_level"]
    ]


def _apply_completed_trainings(ds: Dataset, keys: _Keys, state: pd.DataFrame) -> pd.DataFrame:
    """Raise assessed levels by the completed trainings between assessment and as_of."""
    state = state.reset_index(drop=True)
    done = _completed_targets(ds, keys, state["_who"].to_numpy())
    targets = pd.DataFrame(
        {
            "_key": keys.pair(keys.person(done["nip"]), keys.competency(done["competency"])),
            "end_date": done["end_date"].to_numpy(),
            "target_level": done["target_level"].to_numpy(dtype=float),
        }
    )
    assessed = state["assessed_level"].notna().to_numpy()
    hits = pd.DataFrame(
        {
            "_row": np.flatnonzero(assessed),
            "_key": state["_key"].to_numpy()[assessed],
            AS_OF: state[AS_OF].to_numpy()[assessed],
            "assessed_on": state["assessed_on"].to_numpy()[assessed],
        }
    ).merge(targets[targets["_key"] >= 0], on="_key")
    since = (hits["end_date"] >= hits["assessed_on"]) & (hits["end_date"] < hits[AS_OF])
    rows = hits.loc[since, "_row"].to_numpy()
    n_since = np.bincount(rows, minlength=len(state)).astype(float)
    target_max = np.full(len(state), -np.inf)
    np.maximum.at(target_max, rows, hits.loc[since, "target_level"].to_numpy())
    level = state["assessed_level"].to_numpy(dtype=float)
    headroom = np.where(n_since > 0, np.clip(target_max - level, 0, None), 0.0)
    headroom = np.nan_to_num(headroom, nan=0.0)
    state["implied_level"] = level + headroom * (1.0 - (1.0 - IMPLIED_STEP) ** n_since)
    return state
