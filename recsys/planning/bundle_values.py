"""What a set of one person's trainings is forecast to be worth, overlaps counted once.

The same rule as the champion's lists (:mod:`recsys.models.marginal`), applied to any set:
the set's trainings are taken in the person's list order; each adds its forecast gain alone
times the share of its weighted gap still open after the ones before it, and then closes
its own share (gain alone / weighted gap) of each of its gaps. A training whose gaps an
earlier one has closed adds little; two that close different gaps add up. A list's prefix
is worth exactly the list's marginal gains; a set that skips an item above is worth more
than its items' listed gains (they were discounted for an item it does not take).

``overlaps``: one row per (item, competency it develops) with ``item`` (row of the items
table), ``competency``, ``level`` (the person's level now), ``closable`` (levels the item can
close) and ``weight`` (the competency's weight in the person's performance); the items carry
``gain_alone`` (the forecast gain of the item by itself).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Columns of the overlaps table.
OVERLAP_COLUMNS = ("item", "competency", "level", "closable", "weight")
#: People valued at once (bounds the memory of a size group: sets × people × competencies).
CHUNK_PEOPLE = 4_000


class _Dense:
    """The overlaps of people with ``size`` items each, as dense arrays over their
    competencies: per person and slot the weighted closable gap of each competency."""

    def __init__(
        self, items: pd.DataFrame, overlaps: pd.DataFrame, idx: np.ndarray, size: int
    ) -> None:
        n_people = len(idx)
        alone = items["gain_alone"].to_numpy(dtype=float)[idx]  # people × slots
        slot_of_item = np.full(len(items), -1)
        slot_of_item[idx.ravel()] = np.tile(np.arange(size), n_people)
        owner_of_item = np.full(len(items), -1)
        owner_of_item[idx.ravel()] = np.repeat(np.arange(n_people), size)
        rows = overlaps[owner_of_item[overlaps["item"].to_numpy()] >= 0]
        item = rows["item"].to_numpy()
        owner, slot = owner_of_item[item], slot_of_item[item]
        local = pd.factorize(
            pd.Series(owner).astype(str) + "|" + rows["competency"].astype(str).to_numpy()
        )[0]
        # competencies numbered 0.. within each person
        rank = pd.Series(local).groupby(owner).rank(method="dense").to_numpy(dtype=int) - 1
        n_comp = int(rank.max()) + 1 if len(rank) else 1
        self.level = np.zeros((n_people, n_comp))
        self.ceiling = np.zeros((n_people, size, n_comp))
        self.weight = np.zeros((n_people, size, n_comp))
        level0 = rows["level"].to_numpy(dtype=float)
        self.level[owner, rank] = level0
        self.ceiling[owner, slot, rank] = level0 + rows["closable"].to_numpy(dtype=float)
        self.weight[owner, slot, rank] = rows["weight"].to_numpy(dtype=float)
        self.touch = self.weight > 0
        self.full = (self.weight * np.maximum(self.ceiling - self.level[:, None, :], 0)).sum(2)
        self.alone = alone
        self.closed = np.clip(
            np.divide(alone, self.full, out=np.zeros_like(alone), where=self.full > 0), 0, 1
        )


def subset_values(
    items: pd.DataFrame, overlaps: pd.DataFrame, idx: np.ndarray, masks: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For people whose items are the rows ``idx`` (people × slots, in list order) and
    every set ``masks`` (sets × slots, 0/1): each set's forecast value (sets × people) and
    each item's marginal gain in it (sets × people × slots; 0 outside the set)."""
    n_sets, size = masks.shape
    values = np.zeros((n_sets, len(idx)))
    marginal = np.zeros((n_sets, len(idx), size))
    for start in range(0, len(idx), CHUNK_PEOPLE):
        part = slice(start, start + CHUNK_PEOPLE)
        dense = _Dense(items, overlaps, idx[part], size)
        level = np.broadcast_to(dense.level, (n_sets, *dense.level.shape)).copy()
        for t in range(size):
            taken = masks[:, t][:, None]  # sets × 1
            ceiling, weight = dense.ceiling[:, t, :], dense.weight[:, t, :]
            left = (weight[None] * np.maximum(ceiling[None] - level, 0.0)).sum(axis=2)
            share = np.divide(
                left, dense.full[:, t][None], out=np.ones_like(left), where=dense.full[:, t] > 0
            )
            gain = taken * dense.alone[:, t][None] * share
            marginal[:, part, t] = gain
            values[:, part] += gain
            raised = level + dense.closed[:, t][None, :, None] * np.maximum(
                ceiling[None] - level, 0.0
            )
            step = (taken[:, :, None] > 0) & dense.touch[:, t, :][None]
            level = np.where(step, np.maximum(level, raised), level)
    return values, marginal


def chosen_marginals(items: pd.DataFrame, overlaps: pd.DataFrame, chosen: np.ndarray) -> np.ndarray:
    """Each chosen item's marginal gain within its person's chosen set (0 for the others)."""
    out = np.zeros(len(items))
    person = items["person"].to_numpy()
    picked = np.flatnonzero(chosen)
    if not len(picked):
        return out
    sizes = np.bincount(person[picked])
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    for size in np.unique(sizes[sizes > 0]):
        who = np.flatnonzero(sizes == size)
        idx = picked[starts[who][:, None] + np.arange(size)[None, :]]
        _, marginal = subset_values(items, overlaps, idx, np.ones((1, size)))
        out[idx.ravel()] = marginal[0].ravel()
    return out


def item_overlaps(detail: pd.DataFrame) -> pd.DataFrame:
    """The overlaps table (:data:`OVERLAP_COLUMNS`) from a forecast's per-competency detail
    of the items (``pair``: the item's row)."""
    return pd.DataFrame(
        {
            "item": detail["pair"].to_numpy(dtype=int),
            "competency": detail["competency"].astype(str).to_numpy(),
            "level": detail["level"].to_numpy(dtype=float),
            "closable": detail["closable"].to_numpy(dtype=float),
            "weight": detail["weight"].to_numpy(dtype=float),
        }
    )
