"""Lists without substitutes: each item credited only with what the items above left open.

Two trainings that close the same gaps are substitutes: taking the second after the first
adds little, because the first has already closed much of the gap. A list ranked by each
training's gain *alone* fills its top places with such pairs (the same course as klasikal
and as blended, say). :func:`marginal_lists` builds each person's list greedily instead:

1. the first item is the training with the largest forecast gain;
2. every later item is the one with the largest *marginal* gain given the items above it:
   its forecast gain times the share of its weighted gap still open after them;
3. a chosen training closes the share ``expected_gain / weighted_gap`` of each of its gaps
   (the forecast's own effectiveness, between 0 and 1), which is what the items below see;
4. the same course in another modality (same title) is an alternative, not a second item:
   it never appears in the same list.

The list's forecast gain is the sum of its items' marginal gains. Intervals are scaled with
the gain they describe: ``open_share`` (the marginal gain's share of the gain alone) is
returned, so a caller may also compute the intervals of the listed items only, afterwards.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Columns added (or overwritten) by :func:`marginal_lists`.
MARGINAL_COLUMNS = ("rank", "expected_gain", "gain_alone", "open_share", "list_gain")
#: Interval columns scaled with the gain when ``scored`` has them.
INTERVAL_COLUMNS = ("gain_lower", "gain_upper")


def marginal_lists(
    scored: pd.DataFrame,
    detail: pd.DataFrame,
    k: int,
    *,
    course: pd.Series | None = None,
) -> pd.DataFrame:
    """Each person's ``k`` best trainings by marginal gain; one row per (nip, rank).

    ``scored``: candidate pairs indexed by pair id, with ``nip``, ``training_id``,
    ``expected_gain`` and ``weighted_gap`` (SKP points if every gap were closed), and
    optionally ``gain_lower`` and ``gain_upper``. ``detail``: the per-competency rows of
    the pairs (``pair``, ``competency``, ``level``, ``closable``, ``weight``) as made by
    :func:`recsys.models.trainings.weighted_gaps`. ``course``: a course key per pair (same
    index as ``scored``; pairs sharing a key are alternatives), default none.

    Returns ``scored``'s rows that were chosen (their index kept), in list order, with
    ``rank``, the marginal ``expected_gain`` (and interval, if given), ``gain_alone`` (the
    gain before the items above were taken into account), ``open_share`` (their ratio:
    the share of the item's weighted gap still open after the items above) and
    ``list_gain`` (the list's total).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if scored.empty:
        return scored.assign(
            rank=pd.Series(dtype=int),
            gain_alone=pd.Series(dtype=float),
            open_share=pd.Series(dtype=float),
            list_gain=0.0,
        )
    n = len(scored)
    person = pd.factorize(scored["nip"].astype(str), sort=False)[0]
    alone = scored["expected_gain"].to_numpy(dtype=float)
    gap = scored["weighted_gap"].to_numpy(dtype=float)
    closed_share = np.clip(np.divide(alone, gap, out=np.zeros(n), where=gap > 0), 0.0, 1.0)
    key = (
        np.zeros(n, dtype=np.int64) - 1
        if course is None
        else pd.factorize(pd.Series(course).reindex(scored.index).astype(str))[0]
    )

    # competency rows of the candidates: which pair, which (person, competency) state
    rows = detail[detail["pair"].isin(scored.index)]
    pos = pd.Index(scored.index).get_indexer(rows["pair"].to_numpy())
    level0 = rows["level"].to_numpy(dtype=float)
    ceiling = level0 + rows["closable"].to_numpy(dtype=float)
    weight = rows["weight"].to_numpy(dtype=float)
    competency = pd.factorize(rows["competency"].astype(str), use_na_sentinel=False)[0]
    state_id = pd.factorize(
        person[pos].astype(np.int64) * (int(competency.max(initial=0)) + 1) + competency
    )[0]
    level = np.zeros(int(state_id.max()) + 1 if len(state_id) else 0)
    np.put(level, state_id, level0)  # every row of one person's competency has the same level
    full = np.bincount(pos, weights=weight * np.maximum(ceiling - level0, 0.0), minlength=n)

    # each person's candidates together (in the order given), for the best of each person
    by_person = np.argsort(person, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(person[by_person]) != 0])
    segment = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, n]))
    chosen = np.zeros(n, dtype=bool)
    blocked = np.zeros(n, dtype=bool)
    rank = np.zeros(n, dtype=int)
    share = np.ones(n)
    for r in range(1, k + 1):
        left = np.bincount(
            pos, weights=weight * np.maximum(ceiling - level[state_id], 0.0), minlength=n
        )
        open_share = np.divide(left, full, out=np.ones(n), where=full > 0)
        marginal = np.where(chosen | blocked, -np.inf, alone * open_share)
        pick = by_person[_best_of_each(marginal[by_person], starts, segment)]
        if len(pick) == 0:
            break
        chosen[pick] = True
        rank[pick] = r
        share[pick] = open_share[pick]
        # the chosen training closes its share of each of its gaps
        picked = np.zeros(n, dtype=bool)
        picked[pick] = True
        hit = picked[pos]
        level_hit = level[state_id[hit]]
        raised = level_hit + closed_share[pos[hit]] * np.maximum(ceiling[hit] - level_hit, 0.0)
        np.maximum.at(level, state_id[hit], raised)
        if course is not None:
            # the person's other candidates of the chosen course
            has_pick = np.zeros(len(starts), dtype=bool)
            course_of = np.zeros(len(starts), dtype=key.dtype)
            has_pick[person[pick]] = True
            course_of[person[pick]] = key[pick]
            same = has_pick[person] & (key == course_of[person])
            blocked |= same & ~chosen

    top = scored[chosen].copy()
    top["rank"] = rank[chosen]
    top["gain_alone"] = alone[chosen]
    s = share[chosen]
    top["open_share"] = s
    for column in ("expected_gain", *INTERVAL_COLUMNS):
        if column in top:
            top[column] = top[column].to_numpy(dtype=float) * s
    top["list_gain"] = top.groupby("nip", sort=False)["expected_gain"].transform("sum")
    top["_person"] = person[chosen]
    top = top.sort_values(["_person", "rank"], kind="stable").drop(columns="_person")
    return top


def _best_of_each(values: np.ndarray, starts: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Position of the largest finite value of each segment (``values`` cut at ``starts``;
    ``segment``: each position's segment), the first one on a tie; none for a segment
    without a finite value (NaN counts as the least)."""
    clean = np.where(np.isnan(values), -np.inf, values)
    best = np.maximum.reduceat(clean, starts)
    at = np.flatnonzero(clean == best[segment])
    first = at[np.r_[True, segment[at][1:] != segment[at][:-1]]]
    return first[np.isfinite(clean[first])]
