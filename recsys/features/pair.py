"""Features of a person–training pair as of a decision date: what the training would do
for this person, and its track record among earlier participants."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.data.contract import ID_DTYPE
from recsys.data.loading import Dataset
from recsys.features.competency_state import AS_OF, QUERY, as_queries, competency_state

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
    q = as_queries(queries)
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


#: The context table of a part of a data set: the whole one's running sums of each
#: training's record, at the end of each end date.
TRACK_RECORDS = "track_records"


#: The context table of a part of a data set: the trainings anyone of the whole one
#: enrolled in.
ENROLLED_TRAININGS = "enrolled_trainings"


def enrolled_trainings(ds: Dataset) -> set[str]:
    """The trainings anybody has enrolled in (of the whole data set when ``ds`` is a part
    of one): the others are new, forecast from similar trainings."""
    whole = ds.context.get(ENROLLED_TRAININGS)
    ids = ds.enrollments["training_id"] if whole is None else whole["training_id"]
    return set(pd.Series(ids.unique()).astype(str))  # unique first: millions of rows


def track_records(ds: Dataset) -> pd.DataFrame:
    """``ds``'s :data:`TRACK_RECORDS`: per training and end date, the cumulative sums
    :func:`track_record` reads (a few rows per training and date, whatever the size)."""
    cum = _running_record(ds)
    return cum.groupby(["training_id", "end_date"], sort=False).tail(1).reset_index(drop=True)


def _running_record(ds: Dataset) -> pd.DataFrame:
    """Running sums of each training's record over ``ds``'s ended enrollments, in
    training and date order."""
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
    return cum


def track_record(ds: Dataset, queries: pd.DataFrame) -> pd.DataFrame:
    """Each training's record among enrollments that ended before ``as_of``.

    ``queries``: columns ``training_id`` and ``as_of``. Returns, in query order:
    past_participants (count), past_dropout_rate (0–1), past_learning_gain (mean
    post − pre test score, Kirkpatrick level 2, points on 0–100), past_behavior_score and
    past_reaction_score (means, 1–5). NaN where there is no record yet (new trainings).
    When ``ds`` is a part of a larger data set, the record is the whole one's (its context).
    """
    cum = ds.context.get(TRACK_RECORDS)
    if cum is None:
        cum = _running_record(ds)
    # ended strictly before as_of: the as-of join below excludes exact matches
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
