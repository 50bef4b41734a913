"""Features of a person as of a decision date (model inputs of the outcome models).

Computed from records dated strictly before the decision date. No protected attribute
(gender, religion, ethnicity, region) is a feature: people are never ranked by them.
``remote_area`` is, because it decides which modalities work.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.data.loading import Dataset
from recsys.features.competency_state import AS_OF, QUERY, as_queries, competency_state

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


def person_features(ds: Dataset, queries: pd.DataFrame) -> pd.DataFrame:
    """:data:`PERSON_FEATURES` for each query (``nip``, ``as_of``), in query order.

    An unknown nip gives a row of missing values (the caller decides what that means).
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
    out = out.join(_gap_features(competency_state(ds, queries), len(q)))
    return out[list(PERSON_FEATURES)]


def _rank(values: pd.Series) -> np.ndarray:
    codes = values.cat.codes.to_numpy().astype(float)
    codes[codes < 0] = np.nan
    return codes


def _performance_features(ds: Dataset, q: pd.DataFrame) -> pd.DataFrame:
    perf = ds.performance[["nip", "period_end", "rating", "score"]].sort_values(
        ["nip", "period_end"], kind="stable"
    )
    perf = perf.assign(
        rating_rank=perf["rating"].cat.codes.astype(float),
        prev_score=perf.groupby("nip", sort=False)["score"].shift(1),
        n_appraisals=perf.groupby("nip", sort=False).cumcount() + 1,
    )
    last = (
        pd.merge_asof(
            q.sort_values(AS_OF, kind="stable"),
            perf.sort_values("period_end", kind="stable"),
            left_on=AS_OF,
            right_on="period_end",
            by="nip",
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
    """Per query: events of that nip ending in the ``months`` before as_of (sum of weight)."""
    joined = q[[QUERY, "nip", AS_OF]].merge(events, on="nip")
    start = joined[AS_OF] - pd.DateOffset(months=months)
    inside = (joined["end_date"] < joined[AS_OF]) & (joined["end_date"] >= start)
    values = joined.loc[inside, weight] if weight else inside[inside].astype(float)
    totals = values.groupby(joined.loc[inside, QUERY]).sum()
    return totals.reindex(range(len(q)), fill_value=0.0).to_numpy(dtype=float)


def _activity_features(ds: Dataset, q: pd.DataFrame) -> pd.DataFrame:
    enrolled = ds.enrollments.merge(ds.trainings[["training_id", "hours_jp"]], on="training_id")
    completed = enrolled[enrolled["status"] == "completed"]
    dropped = enrolled[enrolled["status"] == "dropped"]
    mentored = ds.mentorships.rename(columns={"mentee_nip": "nip"}).dropna(subset=["end_date"])
    return pd.DataFrame(
        {
            "trainings_12m": _count_window(completed, q, 12),
            "trainings_24m": _count_window(completed, q, 24),
            "jp_12m": _count_window(completed, q, 12, weight="hours_jp"),
            "dropped_24m": _count_window(dropped, q, 24),
            "mentored_24m": _count_window(mentored[["nip", "end_date"]], q, 24),
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
