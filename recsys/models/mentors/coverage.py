"""Coverage of a (mentee, mentor) pair: in every competency of the mentee's standard where
the mentee can still improve, how far the mentor is ahead, weighted by how much that
competency matters for performance (:class:`~recsys.models.importance.CompetencyImportance`).

Competencies are held as :class:`Profiles` (arrays over a competency dictionary), so
coverage is computed for many aligned pairs at once (:func:`coverage`); every mentee × mentor
combination of a block is searched by :mod:`recsys.models.mentors.block_search`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recsys.data.loading import Dataset
from recsys.features.competency_state import QUERY, competency_state
from recsys.models.importance import SURPLUS_CAP, CompetencyImportance


@dataclass(frozen=True)
class Profiles:
    """Competency profiles of a set of queries (person, date), slot by slot.

    ``codes`` (queries × slots, −1 = padding) index the competency dictionary ``vocabulary``;
    ``level``, ``required`` and ``weight`` are aligned with it (NaN at padding); ``dense``
    holds the level over the whole dictionary plus a trailing NaN column (gather target for
    the padding).
    """

    vocabulary: np.ndarray
    codes: np.ndarray
    level: np.ndarray
    required: np.ndarray
    weight: np.ndarray
    assessed: np.ndarray
    dense: np.ndarray
    room: np.ndarray = field(init=False)
    level32: np.ndarray = field(init=False)
    dense32: np.ndarray = field(init=False)
    open_weight: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        # Scoring arrays (float32, no NaN): a mentor's level 0 where their standard lacks a
        # competency; a mentee's weight 0 where they cannot improve (or at padding).
        with np.errstate(invalid="ignore"):
            room = self.level < np.minimum(self.required + SURPLUS_CAP, 5.0)
        object.__setattr__(self, "room", room)
        object.__setattr__(self, "level32", np.nan_to_num(self.level, nan=5.0).astype(np.float32))
        object.__setattr__(self, "dense32", np.nan_to_num(self.dense, nan=0.0).astype(np.float32))
        object.__setattr__(self, "open_weight", np.where(room, self.weight, 0.0).astype(np.float32))


def profiles(
    ds: Dataset,
    queries: pd.DataFrame,
    importance: CompetencyImportance,
    vocabulary: np.ndarray,
    *,
    state: pd.DataFrame | None = None,
) -> Profiles:
    """:class:`Profiles` of ``queries`` (columns nip, as_of) as of their dates (``state``:
    their :func:`~recsys.features.competency_state.competency_state`, if the caller has it
    already)."""
    if state is None:
        state = competency_state(ds, queries)
    n = len(queries)
    vocab = pd.Index(vocabulary)
    code = vocab.get_indexer(state["competency"].astype(str))
    state = state.assign(_code=code)[code >= 0]
    slot = state.groupby(QUERY).cumcount().to_numpy()
    width = int(slot.max()) + 1 if len(slot) else 1
    rows = state[QUERY].to_numpy()

    def matrix(values: np.ndarray, fill: float) -> np.ndarray:
        out = np.full((n, width), fill)
        out[rows, slot] = values
        return out

    ptype = ds.employees.set_index("nip")["position_type"].astype(str)
    weight = importance.weight(
        ptype.reindex(state["nip"].astype(str)).to_numpy(), state["competency"].astype(str)
    )
    level = state["level_estimate"].to_numpy(dtype=float)
    dense = np.full((n, len(vocab) + 1), np.nan)
    dense[rows, state["_code"].to_numpy()] = level
    return Profiles(
        vocabulary=np.asarray(vocabulary),
        codes=matrix(state["_code"].to_numpy(), -1).astype(np.int64),
        level=matrix(level, np.nan),
        required=matrix(state["required_level"].to_numpy(dtype=float), np.nan),
        weight=matrix(weight, 0.0),
        assessed=matrix(state["implied_level"].notna().to_numpy(dtype=float), 0.0).astype(bool),
        dense=dense,
    )


def coverage(
    mentees: Profiles, mentee_rows: np.ndarray, mentors: Profiles, mentor_rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted lead of each mentor over each mentee where the mentee can still improve.

    Returns ``coverage`` (SKP points per level, summed over the mentee's slots) and the
    per-slot lead (pairs × slots, levels; 0 where the mentor is not ahead or the mentee is
    already above the standard plus :data:`~recsys.models.importance.SURPLUS_CAP`).
    """
    codes = mentees.codes[mentee_rows]
    mentor_level = mentors.dense32[mentor_rows[:, None], codes]  # padding (-1) → 0 column
    lead = np.maximum(mentor_level - mentees.level32[mentee_rows], np.float32(0.0))
    cover = np.einsum("ps,ps->p", lead, mentees.open_weight[mentee_rows]).astype(float)
    return cover, np.where(mentees.room[mentee_rows], lead, 0.0)


def lead_detail(profiles_: Profiles, mentee_rows: np.ndarray, lead: np.ndarray) -> pd.DataFrame:
    """Long frame of the competencies each pair's mentor covers (``lead`` from
    :func:`coverage`): pair, competency, level (mentee), mentor_level, priority (weighted
    lead), assessed. The reasons are written from it."""
    pair, slot = np.nonzero(lead > 0)
    codes = profiles_.codes[mentee_rows[pair], slot]
    level = profiles_.level[mentee_rows[pair], slot]
    return pd.DataFrame(
        {
            "pair": pair,
            "competency": profiles_.vocabulary[codes],
            "level": level,
            "mentor_level": level + lead[pair, slot],
            "priority": lead[pair, slot] * profiles_.weight[mentee_rows[pair], slot],
            "assessed": profiles_.assessed[mentee_rows[pair], slot],
        }
    )
