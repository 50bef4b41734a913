"""Features of a person (and of a person–training pair) as of a decision date.

Everything is computed from records dated strictly before the decision date, so a feature
never leaks what happened after it: appraisals whose period ended before, assessments taken
before, activities that ended before.

Competency levels come from the latest assessment, raised by what the completed trainings
since then imply: each closes :data:`IMPLIED_STEP` of the remaining gap to its target level
(a prior; the outcome models learn how much trainings really do). Gaps are measured against
the position's standard.

No protected attribute (gender, religion, ethnicity, region) is a feature: people are never
ranked by them. ``remote_area`` is, because it decides which modalities work.
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
#: Pair features describing what a training would do for this person.
PAIR_FEATURES = (
    "n_targets",
    "n_targets_in_standard",
    "n_targets_unassessed",
    "gap_to_target",
    "gap_closable",
    "target_above_standard",
    "times_taken",
    "gap_closable_technical",
    "gap_closable_managerial",
    "past_participants",
    "past_dropout_rate",
    "past_learning_gain",
    "past_behavior_score",
    "past_reaction_score",
    "modality",
    "hours_jp",
    "cost_idr",
    "training_id",
)


def _queries(queries: pd.DataFrame) -> pd.DataFrame:
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
    q = _queries(queries).merge(ds.employees[["nip", "position"]], on="nip", how="left")
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


def person_features(ds: Dataset, queries: pd.DataFrame) -> pd.DataFrame:
    """:data:`PERSON_FEATURES` for each query (``nip``, ``as_of``), in query order.

    An unknown nip gives a row of missing values (the caller decides what that means).
    """
    q = _queries(queries)
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


def pair_features(
    ds: Dataset,
    queries: pd.DataFrame,
    training_ids: pd.Series,
    state: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:data:`PAIR_FEATURES` for (query i, training ``training_ids[i]``) pairs.

    ``queries`` and ``training_ids`` are aligned row by row. ``state`` is
    :func:`competency_state` of the same queries, if already computed.
    """
    q = _queries(queries)
    q["training_id"] = training_ids.astype(ID_DTYPE).reset_index(drop=True)
    if state is None:
        state = competency_state(ds, queries)
    targets = q[[QUERY, "training_id"]].merge(ds.training_competencies, on="training_id")
    kinds = ds.competencies.set_index("code")["kind"].astype(str)
    technical = targets["competency"].map(kinds).eq("teknis").to_numpy()
    levels = state[[QUERY, "competency", "required_level", "implied_level", "level_estimate"]]
    joined = targets.merge(levels, on=[QUERY, "competency"], how="left")
    in_standard = joined["required_level"].notna()
    gap_to_target = (joined["target_level"] - joined["level_estimate"]).clip(lower=0)
    closable = (
        np.minimum(joined["target_level"], joined["required_level"]) - joined["level_estimate"]
    ).clip(lower=0)
    grouped = (
        pd.DataFrame(
            {
                QUERY: joined[QUERY],
                "n_targets": 1.0,
                "n_targets_in_standard": in_standard.astype(float),
                "n_targets_unassessed": (in_standard & joined["implied_level"].isna()).astype(
                    float
                ),
                "gap_to_target": gap_to_target.where(in_standard, 0.0).fillna(0.0),
                "gap_closable": closable.where(in_standard, 0.0).fillna(0.0),
                "gap_closable_technical": closable.where(in_standard & technical, 0.0).fillna(0.0),
                "gap_closable_managerial": closable.where(in_standard & ~technical, 0.0).fillna(
                    0.0
                ),
                "target_above_standard": (joined["target_level"] - joined["required_level"])
                .where(in_standard, 0.0)
                .fillna(0.0),
            }
        )
        .groupby(QUERY)
        .sum()
    )
    out = grouped.reindex(range(len(q))).fillna(0.0).astype(float)
    out["times_taken"] = _times_taken(ds, q)
    out = out.join(track_record(ds, q[["training_id", AS_OF]]))
    catalog = ds.trainings.set_index("training_id").reindex(q["training_id"])
    out["modality"] = catalog["modality"].reset_index(drop=True)
    out["hours_jp"] = catalog["hours_jp"].to_numpy(dtype=float)
    out["cost_idr"] = catalog["cost_idr"].to_numpy(dtype=float)
    out["training_id"] = pd.Categorical(
        q["training_id"].to_numpy(), categories=ds.trainings["training_id"].to_numpy()
    )
    return out[list(PAIR_FEATURES)]


def _times_taken(ds: Dataset, q: pd.DataFrame) -> np.ndarray:
    """How often each query's person completed that training before as_of."""
    done = ds.enrollments.loc[
        ds.enrollments["status"] == "completed", ["nip", "training_id", "end_date"]
    ]
    joined = q[[QUERY, "nip", "training_id", AS_OF]].merge(done, on=["nip", "training_id"])
    before = joined[joined["end_date"] < joined[AS_OF]]
    counts = before.groupby(QUERY).size()
    return counts.reindex(range(len(q)), fill_value=0).to_numpy(dtype=float)


#: Track-record columns: what the training's earlier participants experienced.
TRACK_RECORD = (
    "past_participants",
    "past_dropout_rate",
    "past_learning_gain",
    "past_behavior_score",
    "past_reaction_score",
)


def track_record(ds: Dataset, queries: pd.DataFrame) -> pd.DataFrame:
    """Each training's record among enrollments that ended before ``as_of``.

    ``queries``: columns ``training_id`` and ``as_of``. Returns, in query order:
    past_participants (count), past_dropout_rate (0–1), past_learning_gain (mean
    post − pre test score, Kirkpatrick level 2, points on 0–100), past_behavior_score and
    past_reaction_score (means, 1–5). NaN where there is no record yet (new trainings).
    """
    enr = ds.enrollments[ds.enrollments["status"] != "in_progress"]
    rec = pd.DataFrame(
        {
            "training_id": enr["training_id"],
            "end_date": enr["end_date"],
            "n": 1.0,
            "dropped": (enr["status"] == "dropped").astype(float),
            "learn": enr["post_score"] - enr["pre_score"],
            "behavior": enr["behavior_score"],
            "reaction": enr["reaction_score"],
        }
    ).sort_values(["training_id", "end_date"], kind="stable")
    grouped = rec.groupby("training_id", sort=False)
    cum = pd.DataFrame({"training_id": rec["training_id"], "end_date": rec["end_date"]})
    for col in ("n", "dropped", "learn", "behavior", "reaction"):
        cum[f"sum_{col}"] = grouped[col].cumsum().fillna(0.0)
        if col not in ("n", "dropped"):
            cum[f"cnt_{col}"] = rec[col].notna().groupby(rec["training_id"]).cumsum()
    # ended strictly before as_of: shift end dates by one nanosecond for the as-of join
    q = pd.DataFrame(
        {
            "training_id": queries["training_id"].astype(ID_DTYPE).reset_index(drop=True),
            AS_OF: pd.to_datetime(queries[AS_OF]).reset_index(drop=True),
            "_order": np.arange(len(queries)),
        }
    )
    joined = pd.merge_asof(
        q.sort_values(AS_OF, kind="stable"),
        cum.sort_values("end_date", kind="stable"),
        left_on=AS_OF,
        right_on="end_date",
        by="training_id",
        direction="backward",
        allow_exact_matches=False,
    ).sort_values("_order")
    n = joined["sum_n"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "past_participants": n.fillna(0.0).to_numpy(),
                "past_dropout_rate": (joined["sum_dropped"] / n).to_numpy(),
                "past_learning_gain": (joined["sum_learn"] / joined["cnt_learn"]).to_numpy(),
                "past_behavior_score": (joined["sum_behavior"] / joined["cnt_behavior"]).to_numpy(),
                "past_reaction_score": (joined["sum_reaction"] / joined["cnt_reaction"]).to_numpy(),
            }
        )
    return out.replace([np.inf, -np.inf], np.nan)
