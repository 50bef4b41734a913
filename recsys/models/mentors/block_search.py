"""The best mentors of each mentee in a block, in one compiled pass.

A block's shortlist (:meth:`recsys.models.mentors.pool.Pool.shortlist`) needs, for every
(mentee, eligible mentor) combination, the forecast coverage × effectiveness, and then each
mentee's best few. Done with whole-block numpy arrays, that swept several mentees × mentors
matrices once per competency and once more to select: most of a large agency's scoring time,
and memory-bound. Here (numba) each mentee's coverage of every mentor is summed over the
mentee's open competencies only, each over the mentors' contiguous levels, and the best are
kept in a small heap as the mentors are read: 4× faster on the largest agency of the 100k
demo world, with no large temporary array.

The numbers are those of the whole-block computation, bit for bit (the tests keep it as
their reference): float32, the competencies added in dictionary order, the effectiveness
looked up in float32, the same products. Ties at the shortlist's edge go to the mentor of
the lower row, and a mentee's shortlist is given in mentor order.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from recsys.models.mentors.coverage import Profiles
from recsys.models.mentors.effect import CONTEXTS


def open_slots(profiles_: Profiles, mentee_rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """The mentees' competencies where they can improve (non-zero weight), in dictionary
    order: codes (−1 past each mentee's last), levels and weights (float32), and how many
    each mentee has."""
    weight = profiles_.open_weight[mentee_rows]
    codes = np.where(weight != 0, profiles_.codes[mentee_rows], np.iinfo(np.int64).max)
    order = np.argsort(codes, axis=1, kind="stable")
    codes = np.take_along_axis(codes, order, axis=1)
    count = (weight != 0).sum(axis=1).astype(np.int64)
    codes = np.where(codes == np.iinfo(np.int64).max, -1, codes).astype(np.int64)
    level = np.take_along_axis(profiles_.level32[mentee_rows], order, axis=1)
    return codes, np.ascontiguousarray(level), np.take_along_axis(weight, order, axis=1), count


def best_mentors(
    profiles_: Profiles,
    block: np.ndarray,
    mentors: np.ndarray,
    ok: np.ndarray,
    effectiveness: np.ndarray,
    place: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    width: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each mentee's (roster rows ``block``) ``width`` best mentors among ``mentors`` by
    forecast gain (coverage × effectiveness), of those ``ok`` (mentees × mentors) who cover
    a gap.

    ``effectiveness``: gain per point of coverage of each mentor (mentors × contexts,
    float32); ``place``: the roster's unit, region, remote flag and supervisor row (a pair's
    context: :func:`~recsys.models.mentors.effect.context`). Returns the pairs' block
    positions and mentor positions (by mentee, then mentor) and each mentee's number of
    eligible mentors who cover a gap.
    """
    unit, region, remote, supervisor = place
    codes, level, weight, count = open_slots(profiles_, block)
    return _search(
        codes,
        level,
        weight,
        count,
        np.ascontiguousarray(profiles_.dense32[mentors].T),
        np.ascontiguousarray(effectiveness, dtype=np.float32),
        unit[block].astype(np.int64),
        region[block].astype(np.int64),
        remote[block].astype(np.int64),
        supervisor[block].astype(np.int64),
        unit[mentors].astype(np.int64),
        region[mentors].astype(np.int64),
        mentors.astype(np.int64),
        np.ascontiguousarray(ok),
        int(width),
    )


def compile_search() -> None:
    """Compile the search now (or load it from numba's cache, beside this module): a
    process's first block otherwise pays for it (about 2 s to compile, 0.2 s to load)."""
    empty_i, empty_f = np.zeros((1, 1), dtype=np.int64), np.zeros((1, 1), dtype=np.float32)
    one_i = np.zeros(1, dtype=np.int64)
    _search(
        empty_i,
        empty_f,
        empty_f,
        one_i,
        empty_f,
        np.zeros((1, len(CONTEXTS)), dtype=np.float32),
        one_i,
        one_i,
        one_i,
        one_i,
        one_i,
        one_i,
        one_i,
        np.zeros((1, 1), dtype=bool),
        1,
    )


@njit(cache=True, nogil=True)
def _search(  # compiled by numba: plain arrays only
    codes,
    level,
    weight,
    count,
    mentor_level,
    effectiveness,
    unit,
    region,
    remote,
    supervisor,
    mentor_unit,
    mentor_region,
    mentor_row,
    ok,
    width,
):
    n, m = ok.shape
    zero = np.float32(0.0)
    cover = np.empty(m, dtype=np.float32)
    heap_loss = np.empty(max(width, 1), dtype=np.float32)
    heap_col = np.empty(max(width, 1), dtype=np.int64)
    rows = np.empty(n * min(width, m), dtype=np.int64)
    cols = np.empty(n * min(width, m), dtype=np.int64)
    useful = np.zeros(n, dtype=np.int64)
    found = 0
    for i in range(n):
        # coverage of every mentor: the open competencies in dictionary order, each over
        # the mentors' contiguous levels (vectorised)
        cover[:] = zero
        for s in range(count[i]):
            ahead = mentor_level[codes[i, s]]
            lvl, w = level[i, s], weight[i, s]
            for j in range(m):
                lead = ahead[j] - lvl
                cover[j] += (lead if lead > zero else zero) * w
        # the best ``width`` by (loss, mentor): a max-heap whose top is the worst kept
        size = 0
        for j in range(m):
            if not ok[i, j] or not cover[j] > zero:
                continue
            useful[i] += 1
            if width >= m:  # every one, whatever the forecast
                rows[found] = i
                cols[found] = j
                found += 1
                continue
            if mentor_unit[j] == unit[i]:
                distance = 0
            elif mentor_region[j] == region[i]:
                distance = 1
            else:
                distance = 2
            ctx = distance * 4 + remote[i] * 2 + (1 if mentor_row[j] == supervisor[i] else 0)
            value = -(effectiveness[j, ctx] * cover[j])
            if not np.isfinite(value):
                continue
            if size < width:
                at = size  # sift up
                size += 1
                while at > 0:
                    parent = (at - 1) // 2
                    if heap_loss[parent] > value:  # equal: the later mentor (j) is worse
                        break
                    heap_loss[at], heap_col[at] = heap_loss[parent], heap_col[parent]
                    at = parent
                heap_loss[at], heap_col[at] = value, j
            elif value < heap_loss[0]:
                at = 0  # replace the top, sift down
                while True:
                    child = 2 * at + 1
                    if child >= size:
                        break
                    if child + 1 < size and (
                        heap_loss[child + 1] > heap_loss[child]
                        or (
                            heap_loss[child + 1] == heap_loss[child]
                            and heap_col[child + 1] > heap_col[child]
                        )
                    ):
                        child += 1
                    if heap_loss[child] < value or (
                        heap_loss[child] == value and heap_col[child] < j
                    ):
                        break
                    heap_loss[at], heap_col[at] = heap_loss[child], heap_col[child]
                    at = child
                heap_loss[at], heap_col[at] = value, j
        kept = np.sort(heap_col[:size])
        for q in range(size):
            rows[found] = i
            cols[found] = kept[q]
            found += 1
    return rows[:found], cols[:found], useful
