"""Features of a person as of a decision date (model inputs of the outcome models).

Computed from records dated strictly before the decision date. No protected attribute
(gender, religion, ethnicity, region) is a feature: people are never ranked by them.
``remote_area`` is, because it decides which modalities work.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.data.loading import Dataset
from recsys.features.competency_state import (
    AS_OF,
    QUERY,
    as_queries,
    asked_about,
    competency_state,
    id_positions,
)

#: Person features, in model order. Units: years, SKP score points, counts, JP, levels.
PERSON_FEATURES = (
    "tenure_years",
    "grade_rank",
    "education_rank",
    "position_type",
    "remote_area",
    "last_score",
    "last_rating_rank",
    "score_trend",
    "n_appraisals",
    "trainings_12m",
    "trainings_24m",
    "jp_12m",
    "dropped_24m",
    "mentored_24m",
    "mean_gap",
    "max_gap",
    "n_below_standard",
    "share_assessed",
    "years_since_assessment",
)


def person_features(
    ds: Dataset, queries: pd.DataFrame, *, state: pd.DataFrame | None = None
) -> pd.DataFrame:
    """:data:`PERSON_FEATURES` for each query (``nip``, ``as_of``), in query order.

    An unknown nip gives a row of missing values (the caller decides what that means).
    ``state``: the queries' :func:`~recsys.features.competency_state.competency_state`, if
    the caller has it already (it is the costly part).
    """
    q = as_queries(queries)
    emp = ds.employees.set_index("nip")
    person = emp.reindex(q["nip"])
    out = pd.DataFrame(index=pd.RangeIndex(len(q)))
    out["tenure_years"] = (
        (q[AS_OF].to_numpy() - person["hire_date"].to_numpy()) / np.timedelta64(1, "D") / 365.25
    )
    out["grade_rank"] = _rank(person["grade"])
    out["education_rank"] = _rank(person["education"])
    out["position_type"] = person["position_type"].reset_index(drop=True)
    out["remote_area"] = person["remote_area"].astype("float").to_numpy()
    out = out.join(_performance_features(ds, q))
    out = out.join(_activity_features(ds, q))
    if state is None:
        state = competency_state(ds, queries)
    out = out.join(_gap_features(state, len(q)))
    return out[list(PERSON_FEATURES)]


def appraisal_features(ds: Dataset, queries: pd.DataFrame) -> pd.DataFrame:
    """The appraisal features of :data:`PERSON_FEATURES` (``last_score``,
    ``last_rating_rank``, ``score_trend``, ``n_appraisals``) for each query, in query order:
    :func:`person_features`' values, without computing the rest."""
    return _performance_features(ds, as_queries(queries))


def _rank(values: pd.Series) -> np.ndarray:
    codes = values.cat.codes.to_numpy().astype(float)
    codes[codes < 0] = np.nan
    return codes


def _performance_features(ds: Dataset, q: pd.DataFrame) -> pd.DataFrame:
    people = ds.employees["nip"]
    asked = id_positions(q["nip"], people)
    who = id_positions(ds.performance["nip"], people)
    mine = asked_about(who, asked, len(people))
    perf = pd.DataFrame(
        {
            "_who": who[mine],
            "period_end": ds.performance["period_end"].to_numpy()[mine],
            "rating_rank": ds.performance["rating"].cat.codes.to_numpy().astype(float)[mine],
            "score": ds.performance["score"].to_numpy(dtype=float)[mine],
        }
    ).sort_values(["_who", "period_end"], kind="stable")
    perf = perf.assign(
        prev_score=perf.groupby("_who", sort=False)["score"].shift(1),
        n_appraisals=perf.groupby("_who", sort=False).cumcount() + 1,
    )
    queries = pd.DataFrame(
        {
            QUERY: q[QUERY].to_numpy(),
            "_who": asked,
            AS_OF: q[AS_OF].to_numpy(),
        }
    )
    last = (
        pd.merge_asof(
            queries.sort_values(AS_OF, kind="stable"),
            perf.sort_values("period_end", kind="stable"),
            left_on=AS_OF,
            right_on="period_end",
            by="_who",
            direction="backward",
            allow_exact_matches=False,
        )
        .set_index(QUERY)
        .sort_index()
    )
    return pd.DataFrame(
        {
            "last_score": last["score"].to_numpy(),
            "last_rating_rank": last["rating_rank"].to_numpy(),
            "score_trend": (last["score"] - last["prev_score"]).to_numpy(),
            "n_appraisals": last["n_appraisals"].fillna(0).to_numpy(dtype=float),
        }
    )


def _count_window(
    events: pd.DataFrame, q: pd.DataFrame, months: int, weight: str | None = None
) -> np.ndarray:
    """Per query: events of that person ending in the ``months`` before as_of (sum of
    weight). Both frames carry ``_who`` (the person's integer code) to join on."""
    joined = q[[QUERY, "_who", AS_OF]].merge(events[events["_who"] >= 0], on="_who")
    start = joined[AS_OF] - pd.DateOffset(months=months)
    inside = ((joined["end_date"] < joined[AS_OF]) & (joined["end_date"] >= start)).to_numpy()
    values = joined[weight].to_numpy(dtype=float)[inside] if weight else None
    return np.bincount(joined[QUERY].to_numpy()[inside], weights=values, minlength=len(q)).astype(
        float
    )


def _activity_features(ds: Dataset, q: pd.DataFrame) -> pd.DataFrame:
    def who(nips: pd.Series) -> np.ndarray:
        return id_positions(nips, ds.employees["nip"])

    asked = who(q["nip"])
    mine = asked_about(who(ds.enrollments["nip"]), asked, len(ds.employees))
    enrolled = ds.enrollments.loc[mine, ["nip", "training_id", "status", "end_date"]].merge(
        ds.trainings[["training_id", "hours_jp"]], on="training_id"
    )
    enrolled = pd.DataFrame(
        {
            "_who": who(enrolled["nip"]),
            "status": enrolled["status"].to_numpy(),
            "end_date": enrolled["end_date"].to_numpy(),
            "hours_jp": enrolled["hours_jp"].to_numpy(dtype=float),
        }
    )
    completed = enrolled[enrolled["status"] == "completed"]
    dropped = enrolled[enrolled["status"] == "dropped"]
    mentored = ds.mentorships.dropna(subset=["end_date"])
    mentored = pd.DataFrame(
        {"_who": who(mentored["mentee_nip"]), "end_date": mentored["end_date"].to_numpy()}
    )
    q = q.assign(_who=asked)
    return pd.DataFrame(
        {
            "trainings_12m": _count_window(completed, q, 12),
            "trainings_24m": _count_window(completed, q, 24),
            "jp_12m": _count_window(completed, q, 12, weight="hours_jp"),
            "dropped_24m": _count_window(dropped, q, 24),
            "mentored_24m": _count_window(mentored, q, 24),
        }
    )


def _gap_features(state: pd.DataFrame, n_queries: int) -> pd.DataFrame:
    by_query = state.groupby(QUERY)
    assessed = state["implied_level"].notna()
    frame = pd.DataFrame(
        {
            "mean_gap": by_query["gap"].mean(),
            "max_gap": by_query["gap"].max(),
            "n_below_standard": (state["gap"] > 0).groupby(state[QUERY]).sum(),
            "share_assessed": assessed.groupby(state[QUERY]).mean(),
            "years_since_assessment": ((state[AS_OF] - state["assessed_on"]).dt.days / 365.25)
            .groupby(state[QUERY])
            .min(),
        }
    )
    frame.loc[frame["share_assessed"] == 0, "n_below_standard"] = np.nan  # unknown, not 0
    return frame.reindex(range(n_queries)).astype(float)
