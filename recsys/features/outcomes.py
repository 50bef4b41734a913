"""Outcomes: the change in performance that an activity is judged by.

As the data contract defines it: the change in SKP score from the last appraisal period
ending before the activity starts to the first period ending at least six months after it
ends. Control windows give the same change for people who did nothing in between, which is
what an activity's effect is measured against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.data.contract import OUTCOME_LAG_MONTHS

#: Column names of outcome frames.
BASELINE_PERIOD = "baseline_period"
BASELINE_SCORE = "baseline_score"
OUTCOME_PERIOD = "outcome_period"
OUTCOME_SCORE = "outcome_score"
OUTCOME = "outcome"
HORIZON_DAYS = "horizon_days"


def scored_appraisals(performance: pd.DataFrame) -> pd.DataFrame:
    """Appraisals with a score, sorted for as-of joins."""
    scored = performance.loc[performance["score"].notna(), ["nip", "period_end", "score"]]
    return scored.sort_values("period_end", kind="stable").reset_index(drop=True)


def appraisals_before(
    performance: pd.DataFrame, nips: pd.Series, before: pd.Series
) -> pd.DataFrame:
    """The last scored appraisal of each person ending strictly before ``before`` (aligned
    with ``nips``): columns ``period_end`` and ``score``, NaT / NaN where there is none."""
    scored = scored_appraisals(performance)
    asked = pd.DataFrame(
        {
            "nip": pd.Series(nips).astype(str).to_numpy(),
            "_before": pd.Series(before).to_numpy(),
            "_row": np.arange(len(nips)),
        }
    ).sort_values("_before", kind="stable")
    found = pd.merge_asof(
        asked,
        scored.assign(nip=scored["nip"].astype(str)),
        left_on="_before",
        right_on="period_end",
        by="nip",
        direction="backward",
        allow_exact_matches=False,
    ).sort_values("_row")
    return found[["period_end", "score"]].reset_index(drop=True)


def activity_outcomes(
    activities: pd.DataFrame,
    performance: pd.DataFrame,
    *,
    key: str,
    lag_months: int = OUTCOME_LAG_MONTHS,
) -> pd.DataFrame:
    """The outcome of each activity (training enrollment or mentorship).

    ``activities`` needs ``key`` (its id), ``nip`` (the person judged: the participant or
    the mentee), ``start_date`` and ``end_date``. Returns one row per activity, in the same
    order, with ``key``, :data:`BASELINE_PERIOD`, :data:`BASELINE_SCORE`,
    :data:`OUTCOME_PERIOD`, :data:`OUTCOME_SCORE`, :data:`OUTCOME` (SKP score points, NaN
    where either appraisal is missing, e.g. not yet due) and :data:`HORIZON_DAYS`.
    An activity with no end date (still running) has no outcome yet.
    """
    scored = scored_appraisals(performance)
    frame = activities[[key, "nip", "start_date", "end_date"]].copy()
    frame["_order"] = np.arange(len(frame))
    frame["_due"] = frame["end_date"] + pd.DateOffset(months=lag_months)
    # Last scored period ending strictly before the start.
    before = pd.merge_asof(
        frame.sort_values("start_date", kind="stable"),
        scored.rename(columns={"period_end": BASELINE_PERIOD, "score": BASELINE_SCORE}),
        left_on="start_date",
        right_on=BASELINE_PERIOD,
        by="nip",
        direction="backward",
        allow_exact_matches=False,
    )
    # First scored period ending on or after end + lag.
    due = before[before["_due"].notna()].sort_values("_due", kind="stable")
    after = pd.merge_asof(
        due,
        scored.rename(columns={"period_end": OUTCOME_PERIOD, "score": OUTCOME_SCORE}),
        left_on="_due",
        right_on=OUTCOME_PERIOD,
        by="nip",
        direction="forward",
    )
    out = before.merge(
        after[["_order", OUTCOME_PERIOD, OUTCOME_SCORE]], on="_order", how="left"
    ).sort_values("_order")
    out[OUTCOME] = out[OUTCOME_SCORE] - out[BASELINE_SCORE]
    out[HORIZON_DAYS] = (out[OUTCOME_PERIOD] - out[BASELINE_PERIOD]).dt.days
    columns = [key, BASELINE_PERIOD, BASELINE_SCORE, OUTCOME_PERIOD, OUTCOME_SCORE]
    return out[[*columns, OUTCOME, HORIZON_DAYS]].reset_index(drop=True)


def control_windows(
    performance: pd.DataFrame,
    busy: pd.DataFrame,
    *,
    horizons: tuple[int, ...] = (1, 2),
) -> pd.DataFrame:
    """Score changes over windows in which a person took part in no activity.

    For every pair of a person's scored periods ``horizons`` appraisals apart (1 = the next
    appraisal, 2 = the one after), the change in score, kept only if no activity of theirs
    in ``busy`` (columns ``nip``, ``start_date``, ``end_date``; end may be missing) overlaps
    the window from the baseline period to the outcome period. Columns: ``nip``,
    :data:`BASELINE_PERIOD`, :data:`BASELINE_SCORE`, :data:`OUTCOME_PERIOD`,
    :data:`OUTCOME_SCORE`, :data:`OUTCOME`, :data:`HORIZON_DAYS`.
    """
    scored = scored_appraisals(performance).sort_values(["nip", "period_end"], kind="stable")
    parts = []
    grouped = scored.groupby("nip", sort=False)
    for step in horizons:
        later = grouped[["period_end", "score"]].shift(-step)
        pair = pd.DataFrame(
            {
                "nip": scored["nip"],
                BASELINE_PERIOD: scored["period_end"],
                BASELINE_SCORE: scored["score"],
                OUTCOME_PERIOD: later["period_end"],
                OUTCOME_SCORE: later["score"],
            }
        ).dropna(subset=[OUTCOME_PERIOD])
        parts.append(pair)
    windows = pd.concat(parts, ignore_index=True)
    windows["_id"] = np.arange(len(windows))
    spans = busy[["nip", "start_date", "end_date"]].copy()
    spans["end_date"] = spans["end_date"].fillna(pd.Timestamp.max)
    hits = windows[["_id", "nip", BASELINE_PERIOD, OUTCOME_PERIOD]].merge(spans, on="nip")
    overlaps = (hits["start_date"] < hits[OUTCOME_PERIOD]) & (
        hits["end_date"] > hits[BASELINE_PERIOD]
    )
    clean = windows[~windows["_id"].isin(hits.loc[overlaps, "_id"])].drop(columns="_id")
    clean[OUTCOME] = clean[OUTCOME_SCORE] - clean[BASELINE_SCORE]
    clean[HORIZON_DAYS] = (clean[OUTCOME_PERIOD] - clean[BASELINE_PERIOD]).dt.days
    return clean.reset_index(drop=True)
