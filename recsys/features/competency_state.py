"""A person's competency levels and gaps against their position's standard, as of a
decision date.

Everything is computed from records dated strictly before the decision date, so a feature
never leaks what happened after it: assessments taken before, trainings that ended before.

Competency levels come from the latest assessment, raised by what the completed trainings
since then imply: each closes :data:`IMPLIED_STEP` of the remaining gap to its target level
(a prior; the outcome models learn how much trainings really do). Gaps are measured against
the position's standard.

Queries: frames with a ``nip`` and an ``as_of`` column, one row per question; results carry
the query's row number in :data:`QUERY`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.data.contract import DATE_DTYPE, ID_DTYPE
from recsys.data.loading import Dataset

#: Share of the remaining gap to its target level that one completed training is assumed
#: to close, before any outcome is learned.
IMPLIED_STEP = 0.3
QUERY = "query"  # row number of a query in the frames below
AS_OF = "as_of"


def as_queries(queries: pd.DataFrame) -> pd.DataFrame:
    q = pd.DataFrame(
        {
            "nip": queries["nip"].astype(ID_DTYPE).reset_index(drop=True),
            AS_OF: pd.to_datetime(queries[AS_OF]).astype(DATE_DTYPE).reset_index(drop=True),
        }
    )
    q[QUERY] = np.arange(len(q))
    return q


def competency_state(ds: Dataset, queries: pd.DataFrame) -> pd.DataFrame:
    """Each query's standard competencies with their level and gap, as of the query date.

    ``queries``: columns ``nip`` and ``as_of`` (one row per question). Returns one row per
    (query, standard competency): ``query``, ``competency``, ``required_level``,
    ``assessed_level`` (NaN: never assessed before as_of), ``assessed_on``,
    ``implied_level`` (assessed level raised by completed trainings since), ``gap``
    (required − implied, ≥ 0; NaN if unassessed) and ``level_estimate`` (the implied level,
    or for an unassessed competency the standard plus the mean shortfall of everyone
    assessed in it before as_of — the cold-start estimate).
    """
    q = as_queries(queries).merge(ds.employees[["nip", "position"]], on="nip", how="left")
    state = q.merge(ds.competency_standards, on="position", how="inner")
    state = state[[QUERY, "nip", AS_OF, "competency", "required_level"]]
    assessments = ds.assessments.rename(columns={"level": "assessed_level"})
    assessments = assessments.sort_values("assessed_on", kind="stable")
    state = pd.merge_asof(
        state.sort_values(AS_OF, kind="stable"),
        assessments,
        left_on=AS_OF,
        right_on="assessed_on",
        by=["nip", "competency"],
        direction="backward",
        allow_exact_matches=False,
    )
    state = _apply_completed_trainings(ds, state)
    state["gap"] = (state["required_level"] - state["implied_level"]).clip(lower=0)
    state = _estimate_unassessed(ds, state)
    return state.sort_values([QUERY, "competency"], kind="stable").reset_index(drop=True)


#: Level relative to the standard assumed for a competency nobody has been assessed in yet.
DEFAULT_RELATIVE_LEVEL = -0.5


def _estimate_unassessed(ds: Dataset, state: pd.DataFrame) -> pd.DataFrame:
    """Add ``level_estimate``: the implied level, else the standard plus the mean
    (level − standard) of all assessments of that competency made before as_of."""
    assessed = ds.assessments.merge(ds.employees[["nip", "position"]], on="nip").merge(
        ds.competency_standards, on=["position", "competency"]
    )
    assessed = assessed.sort_values("assessed_on", kind="stable")
    relative = assessed["level"] - assessed["required_level"]
    by_comp = relative.groupby(assessed["competency"], sort=False)
    running = pd.DataFrame(
        {
            "competency": assessed["competency"],
            "_when": assessed["assessed_on"],
            "_sum": by_comp.cumsum(),
            "_n": by_comp.cumcount() + 1,
        }
    )
    state = pd.merge_asof(
        state.sort_values(AS_OF, kind="stable"),
        running,
        left_on=AS_OF,
        right_on="_when",
        by="competency",
        direction="backward",
        allow_exact_matches=False,
    )
    population = (state["_sum"] / state["_n"]).fillna(DEFAULT_RELATIVE_LEVEL)
    state["level_estimate"] = state["implied_level"].fillna(state["required_level"] + population)
    return state.drop(columns=["_when", "_sum", "_n"])


def _completed_targets(ds: Dataset) -> pd.DataFrame:
    """Completed enrollments × the competencies they develop: nip, competency, end, target."""
    done = ds.enrollments.loc[
        ds.enrollments["status"] == "completed", ["nip", "training_id", "end_date"]
    ]
    return done.merge(ds.training_competencies, on="training_id")[
        ["nip", "competency", "end_date", "target_level"]
    ]


def _apply_completed_trainings(ds: Dataset, state: pd.DataFrame) -> pd.DataFrame:
    """Raise assessed levels by the completed trainings between assessment and as_of."""
    state = state.reset_index(drop=True)
    state["_row"] = np.arange(len(state))
    targets = _completed_targets(ds)
    hits = state.loc[
        state["assessed_level"].notna(), ["_row", "nip", "competency", AS_OF, "assessed_on"]
    ]
    hits = hits.merge(targets, on=["nip", "competency"])
    since = (hits["end_date"] >= hits["assessed_on"]) & (hits["end_date"] < hits[AS_OF])
    hits = hits[since]
    summary = hits.groupby("_row").agg(
        n_since=("target_level", "size"), target_max=("target_level", "max")
    )
    state = state.join(summary, on="_row")
    n_since = state["n_since"].fillna(0).to_numpy()
    headroom = (state["target_max"] - state["assessed_level"]).clip(lower=0).fillna(0.0)
    state["implied_level"] = state["assessed_level"] + headroom * (
        1.0 - (1.0 - IMPLIED_STEP) ** n_since
    )
    return state.drop(columns=["_row", "n_since", "target_max"])
