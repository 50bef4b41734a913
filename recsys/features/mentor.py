"""Features of a would-be mentor as of a decision date, and the distance between a mentee
and a mentor: the inputs of the mentor effectiveness model
(:mod:`recsys.models.mentors.effect`).

Computed from records dated strictly before the decision date: a mentor's record counts
only mentorships that ended before it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.data.contract import ID_DTYPE, POSITION_SENIORITY
from recsys.data.loading import Dataset
from recsys.features.competency_state import AS_OF, QUERY, competency_state, id_isin
from recsys.features.person import person_features

#: Distance classes between a mentee and a mentor, nearest first.
DISTANCES = ("same_unit", "same_region", "far")
#: The managerial competency "Pengembangan Diri dan Orang Lain" (developing self and
#: others) of the national ASN competency dictionary: a mentor's level in it is a feature.
DEVELOPING_OTHERS = "M6"
#: Ratings of a mentor's mentees are shrunk toward the mean of all ratings by this many.
RATING_PRIOR_N = 2.0
#: The context table of a part of a data set: the whole one's :func:`rating_prior` (one
#: row, column ``prior``), so that a part needs only its own people's mentorships.
RATING_PRIOR = "mentor_rating_prior"


def rating_prior(ds: Dataset) -> float:
    """The mean mentee rating of all ended mentorships (NaN without any): what a mentor's
    ratings are shrunk toward. Of the whole data set when ``ds`` is a part of one that
    carries it in its context (:data:`RATING_PRIOR`)."""
    carried = ds.context.get(RATING_PRIOR)
    if carried is not None:
        return float(carried["prior"].iloc[0])
    ratings = ds.mentorships.dropna(subset=["end_date"])["mentee_rating"].dropna()
    return float(ratings.mean()) if len(ratings) else np.nan


def rating_prior_context(ds: Dataset) -> pd.DataFrame:
    """``ds``'s :data:`RATING_PRIOR` context table."""
    return pd.DataFrame({"prior": [rating_prior(ds)]}, dtype="float64")


def mentor_record(ds: Dataset, queries: pd.DataFrame) -> pd.DataFrame:
    """Each query's (nip as mentor, as_of) record from mentorships ended before as_of:
    mentor_n_mentored, mentor_n_rated, mentor_rating_mean (mentee rating 1–5, shrunk toward
    the mean of all ratings by :data:`RATING_PRIOR_N`: :func:`rating_prior`; NaN without
    any rating)."""
    prior = rating_prior(ds)  # of every mentor
    ended = ds.mentorships.dropna(subset=["end_date"])
    ended = ended[id_isin(ended["mentor_nip"], queries["nip"])]  # only the queries' own
    rec = pd.DataFrame(
        {
            "nip": ended["mentor_nip"].astype(ID_DTYPE),
            "end_date": ended["end_date"],
            "n": 1.0,
            "rated": ended["mentee_rating"].notna().astype(float),
            "rating": ended["mentee_rating"].fillna(0.0),
        }
    ).sort_values(["nip", "end_date"], kind="stable")
    grouped = rec.groupby("nip", sort=False)
    cum = pd.DataFrame({"nip": rec["nip"], "end_date": rec["end_date"]})
    for col in ("n", "rated", "rating"):
        cum[f"sum_{col}"] = grouped[col].cumsum()
    q = pd.DataFrame(
        {
            "nip": queries["nip"].astype(ID_DTYPE).reset_index(drop=True),
            AS_OF: pd.to_datetime(queries[AS_OF]).astype("datetime64[ns]").to_numpy(),
            "_order": np.arange(len(queries)),
        }
    )
    joined = pd.merge_asof(
        q.sort_values(AS_OF, kind="stable"),
        cum.sort_values("end_date", kind="stable"),
        left_on=AS_OF,
        right_on="end_date",
        by="nip",
        direction="backward",
        allow_exact_matches=False,
    ).sort_values("_order")
    n_rated = joined["sum_rated"].fillna(0.0).to_numpy()
    total = joined["sum_rating"].fillna(0.0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        shrunk = (total + RATING_PRIOR_N * prior) / (n_rated + RATING_PRIOR_N)
    return pd.DataFrame(
        {
            "mentor_n_mentored": joined["sum_n"].fillna(0.0).to_numpy(),
            "mentor_n_rated": n_rated,
            "mentor_rating_mean": np.where(n_rated > 0, shrunk, np.nan),
        }
    )


def mentor_features(
    ds: Dataset, queries: pd.DataFrame, *, state: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Mentor-level features for (nip, as_of) queries, one row per query: the
    :func:`mentor_record`, last SKP score and rating rank, position rank, tenure (years) and
    ``mentor_developing_others`` (level above the standard in :data:`DEVELOPING_OTHERS`,
    NaN where not in the mentor's standard).

    ``state``: the queries' :func:`~recsys.features.competency_state.competency_state`, if
    the caller has it already (it is the costly part)."""
    if state is None:
        state = competency_state(ds, queries)
    person = person_features(ds, queries, state=state)
    out = mentor_record(ds, queries)
    out["mentor_last_score"] = person["last_score"].to_numpy()
    out["mentor_rating_rank"] = person["last_rating_rank"].to_numpy()
    out["mentor_position_rank"] = (
        person["position_type"].astype(str).map(POSITION_SENIORITY).to_numpy(dtype=float)
    )
    out["mentor_tenure_years"] = person["tenure_years"].to_numpy()
    developing = state[state["competency"].astype(str) == DEVELOPING_OTHERS]
    surplus = developing["level_estimate"] - developing["required_level"]
    out["mentor_developing_others"] = (
        surplus.set_axis(developing[QUERY].to_numpy()).reindex(range(len(queries))).to_numpy()
    )
    return out


def distance_class(same_unit: np.ndarray, same_region: np.ndarray) -> np.ndarray:
    """Index into :data:`DISTANCES` (0 same unit, 1 same region, 2 far)."""
    return np.where(same_unit, 0, np.where(same_region, 1, 2))
