"""The scoring pool: a :class:`~recsys.models.mentors.eligibility.Roster` with competency
profiles and mentor effectiveness, all that scoring pairs needs.

Expected gain of a pair = coverage × effectiveness (SKP points). A block of mentees is
first shortlisted on the whole block at once (:meth:`Pool.shortlist`), then the shortlist
is scored exactly (:meth:`Pool.score`) and given intervals (:meth:`Pool.add_intervals`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.data.loading import Dataset
from recsys.features.competency_state import AS_OF
from recsys.features.mentor import DISTANCES, distance_class
from recsys.models.importance import CompetencyImportance
from recsys.models.mentors.coverage import Profiles, block_coverage, coverage, profiles
from recsys.models.mentors.effect import (
    EFFECT_FEATURES,
    EffectModel,
    Effects,
    context,
    context_features,
    effect_table,
    gain_interval,
)
from recsys.models.mentors.eligibility import Roster
from recsys.models.mentors.policy import MentorPolicies

#: Candidates per mentee scored exactly beyond the ``top`` asked for (the shortlist).
SHORTLIST_EXTRA = 20
#: Columns of scored pairs (:meth:`Pool.add_intervals`).
SCORE_COLUMNS = (
    "nip",
    "mentor_nip",
    "expected_gain",
    "gain_lower",
    "gain_upper",
    "coverage",
    "distance",
    "is_supervisor",
    "has_record",
)


@dataclass(frozen=True)
class Pool:
    """A roster with competency profiles and mentor effectiveness: all that scoring needs."""

    roster: Roster
    profiles: Profiles
    effects: Effects
    mentor_slot: np.ndarray  # roster row → row of the effect table (-1: none)

    @classmethod
    def build(
        cls,
        ds: Dataset,
        people: pd.Series | None,
        when: pd.Timestamp,
        *,
        importance: CompetencyImportance,
        vocabulary: np.ndarray,
        effect_model: EffectModel,
        agencies: np.ndarray | None = None,
        policies: MentorPolicies | None = None,
    ) -> Pool:
        """The pool of ``people`` (None: every active employee, of ``agencies`` if given),
        with a fitted recommender's importance, competency dictionary and effect model;
        eligibility by ``policies`` (None: the built-in default)."""
        roster = Roster.build(ds, people, when, agencies, policies)
        # a what-if (explicit people) may ask about anyone; a candidate search only mentors
        mentor_rows = (
            np.flatnonzero(roster.can_mentor) if people is None else np.arange(len(roster.nip))
        )
        slot = np.full(len(roster.nip), -1)
        slot[mentor_rows] = np.arange(len(mentor_rows))
        query = pd.DataFrame({"nip": roster.nip, AS_OF: when})
        return cls(
            roster=roster,
            profiles=profiles(ds, query, importance, vocabulary),
            effects=effect_table(
                effect_model, ds, roster.nip.iloc[mentor_rows].reset_index(drop=True), when
            ),
            mentor_slot=slot,
        )

    def _lookup(
        self, mentee_rows: np.ndarray, mentor_rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Coverage, effectiveness, distance, supervisor flag, context and effect-table row
        of aligned (mentee row, mentor row) pairs."""
        roster = self.roster
        cover, _ = coverage(self.profiles, mentee_rows, self.profiles, mentor_rows)
        distance = roster.distance(mentee_rows, mentor_rows)
        supervisor = roster.supervisor[mentee_rows] == mentor_rows
        ctx = context(distance, roster.remote[mentee_rows], supervisor)
        slot = self.mentor_slot[mentor_rows]
        known = slot >= 0
        gain_per_cover = np.full(len(slot), np.nan)
        gain_per_cover[known] = self.effects.point[slot[known], ctx[known]]
        return cover, gain_per_cover, distance, supervisor, ctx, slot

    def shortlist(
        self, block: np.ndarray, mentors: np.ndarray, ok: np.ndarray, top: int | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs worth scoring exactly: each mentee's eligible mentors, or, with ``top``,
        the :data:`SHORTLIST_EXTRA` + ``top`` best by the forecast computed for the whole
        block at once (:func:`~recsys.models.mentors.coverage.block_coverage`). Returns
        mentee rows, mentor rows and each mentee's number of eligible mentors who cover a
        gap."""
        cover = block_coverage(self.profiles, block, mentors)
        useful = ok & (cover > 0)
        counts = useful.sum(axis=1)
        width = len(mentors) if top is None else min(len(mentors), top + SHORTLIST_EXTRA)
        if width >= len(mentors):
            i, j = np.nonzero(useful)
            return block[i], mentors[j], counts[i]
        roster = self.roster
        same_unit = roster.unit[block][:, None] == roster.unit[mentors][None, :]
        same_region = roster.region[block][:, None] == roster.region[mentors][None, :]
        supervisor = roster.supervisor[block][:, None] == mentors[None, :]
        ctx = context(
            distance_class(same_unit, same_region), roster.remote[block][:, None], supervisor
        )
        table = self.effects.point[self.mentor_slot[mentors]]  # mentors × contexts
        gain_per_cover = table[np.arange(len(mentors))[None, :], ctx]
        score = np.where(useful, cover * gain_per_cover, -np.inf)
        best = np.argpartition(-score, width - 1, axis=1)[:, :width]
        rows = np.repeat(np.arange(len(block)), width)
        cols = best.reshape(-1)
        keep = np.isfinite(score[rows, cols])
        rows, cols = rows[keep], cols[keep]
        return block[rows], mentors[cols], counts[rows]

    def expected(
        self, mentee_rows: np.ndarray, mentor_rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Coverage and expected gain of aligned pairs (arrays only: for bulk ranking)."""
        cover, gain_per_cover, *_ = self._lookup(mentee_rows, mentor_rows)
        return cover, cover * gain_per_cover

    def score(self, mentee_rows: np.ndarray, mentor_rows: np.ndarray) -> pd.DataFrame:
        """Point forecast for aligned (mentee row, mentor row) pairs."""
        roster = self.roster
        cover, gain_per_cover, distance, supervisor, ctx, slot = self._lookup(
            mentee_rows, mentor_rows
        )
        known = slot >= 0
        return pd.DataFrame(
            {
                "nip": roster.nip.to_numpy()[mentee_rows],
                "mentor_nip": roster.nip.to_numpy()[mentor_rows],
                "expected_gain": cover * gain_per_cover,
                "coverage": cover,
                "distance": np.asarray(DISTANCES, dtype=object)[distance],
                "is_supervisor": supervisor,
                "has_record": np.where(known, self.effects.has_record[np.maximum(slot, 0)], False),
                "_slot": slot,
                "_ctx": ctx,
            }
        )

    def add_intervals(
        self,
        scored: pd.DataFrame,
        alpha: float,
        *,
        bootstrap: Sequence[EffectModel],
        relative_error: float,
    ) -> pd.DataFrame:
        """``gain_lower`` and ``gain_upper`` for scored pairs
        (:func:`~recsys.models.mentors.effect.gain_interval`): the spread of the
        effectiveness over the ``bootstrap`` refits (only the mentors and contexts present
        are predicted) and the forecast's multiplicative ``relative_error`` (log-sd)."""
        slot, ctx = scored["_slot"].to_numpy(), scored["_ctx"].to_numpy()
        expected = scored["expected_gain"].to_numpy()
        spread = np.zeros(len(scored))
        known = slot >= 0
        if known.any() and bootstrap:
            keys = pd.DataFrame({"slot": slot[known], "ctx": ctx[known]})
            unique = keys.drop_duplicates().reset_index(drop=True)
            x = self.effects.features.iloc[unique["slot"].to_numpy()].reset_index(drop=True)
            contexts = context_features(unique["ctx"].to_numpy())
            for name in contexts.columns:
                x[name] = contexts[name].to_numpy()
            x = x[list(EFFECT_FEATURES)]
            samples = np.column_stack([m.raw(x) for m in bootstrap]).std(axis=1)
            lookup = pd.Series(samples, index=pd.MultiIndex.from_frame(unique))
            spread[known] = lookup.reindex(pd.MultiIndex.from_frame(keys)).to_numpy()
        cover = scored["coverage"].to_numpy()
        lower, upper = gain_interval(expected, cover * spread, relative_error, alpha)
        out = scored.assign(gain_lower=lower, gain_upper=upper)
        return out[list(SCORE_COLUMNS)]
