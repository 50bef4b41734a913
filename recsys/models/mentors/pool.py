"""The scoring pool: a :class:`~recsys.models.mentors.eligibility.Roster` with competency
profiles and mentor effectiveness, all that scoring pairs needs.

Expected gain of a pair = coverage × effectiveness (SKP points). A block of mentees is
first shortlisted on the whole block at once (:meth:`Pool.shortlist`), then the shortlist
is scored exactly (:meth:`Pool.score`) and given intervals (:meth:`Pool.add_intervals`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from recsys.data.loading import Dataset
from recsys.features.competency_state import AS_OF, competency_state, state_of
from recsys.features.mentor import DISTANCES
from recsys.models.importance import CompetencyImportance
from recsys.models.mentors.coverage import Profiles, coverage, profiles
from recsys.models.mentors.effect import (
    CONTEXTS,
    EFFECT_FEATURES,
    EffectModel,
    Effects,
    context,
    context_features,
    effect_table,
    gain_interval,
    raw_spread,
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


#: :data:`DISTANCES` as pandas' default text (what a frame of Python strings holds).
_DISTANCE_TEXT = pd.array(DISTANCES, dtype="str")


class Looked(NamedTuple):
    """What :meth:`Pool.lookup` finds for aligned (mentee, mentor) pairs."""

    cover: np.ndarray
    gain_per_cover: np.ndarray
    distance: np.ndarray
    supervisor: np.ndarray
    context: np.ndarray
    slot: np.ndarray

    def take(self, positions: np.ndarray) -> Looked:
        """The pairs at ``positions``."""
        return Looked(*(column[positions] for column in self))


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
        groups: np.ndarray | None = None,
        policies: MentorPolicies | None = None,
    ) -> Pool:
        """The pool of ``people`` (None: every active employee, of ``agencies`` if given),
        with a fitted recommender's importance, competency dictionary and effect model;
        eligibility by ``policies`` (None: the built-in default)."""
        roster = Roster.build(ds, people, when, agencies, policies, groups)
        # a what-if (explicit people) may ask about anyone; a candidate search only mentors
        mentor_rows = (
            np.flatnonzero(roster.can_mentor) if people is None else np.arange(len(roster.nip))
        )
        slot = np.full(len(roster.nip), -1)
        slot[mentor_rows] = np.arange(len(mentor_rows))
        query = pd.DataFrame({"nip": roster.nip, AS_OF: when})
        state = competency_state(ds, query)  # once: profiles and mentor features share it
        return cls(
            roster=roster,
            profiles=profiles(ds, query, importance, vocabulary, state=state),
            effects=effect_table(
                effect_model,
                ds,
                roster.nip.iloc[mentor_rows].reset_index(drop=True),
                when,
                state=state_of(state, mentor_rows),
            ),
            mentor_slot=slot,
        )

    def lookup(self, mentee_rows: np.ndarray, mentor_rows: np.ndarray) -> Looked:
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
        return Looked(cover, gain_per_cover, distance, supervisor, ctx, slot)

    def shortlist(
        self, block: np.ndarray, mentors: np.ndarray, ok: np.ndarray, top: int | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs worth scoring exactly: each mentee's eligible mentors who cover a gap, or,
        with ``top``, the :data:`SHORTLIST_EXTRA` + ``top`` best of them by the forecast
        (float32: :func:`~recsys.models.mentors.block_search.best_mentors`). Returns mentee
        rows, mentor rows (by mentee, then mentor) and each mentee's number of eligible
        mentors who cover a gap."""
        from recsys.models.mentors.block_search import best_mentors  # compiled on first use

        roster = self.roster
        width = len(mentors) if top is None else min(len(mentors), top + SHORTLIST_EXTRA)
        i, j, counts = best_mentors(
            self.profiles,
            block,
            mentors,
            ok,
            self.effects.point[self.mentor_slot[mentors]].astype(np.float32),
            (roster.unit, roster.region, roster.remote, roster.supervisor),
            width,
        )
        return block[i], mentors[j], counts[i]

    def score(
        self, mentee_rows: np.ndarray, mentor_rows: np.ndarray, looked: Looked | None = None
    ) -> pd.DataFrame:
        """Point forecast for aligned (mentee row, mentor row) pairs; ``looked``: their
        :meth:`lookup`, if already made."""
        roster = self.roster
        cover, gain_per_cover, distance, supervisor, ctx, slot = (
            self.lookup(mentee_rows, mentor_rows) if looked is None else looked
        )
        known = slot >= 0
        return pd.DataFrame(
            {
                "nip": roster.nip_text[mentee_rows],
                "mentor_nip": roster.nip_text[mentor_rows],
                "expected_gain": cover * gain_per_cover,
                "coverage": cover,
                "distance": _DISTANCE_TEXT[distance],
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
            # each (mentor, context) once, in order of first appearance
            key = slot[known] * len(CONTEXTS) + ctx[known]
            _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            order = np.argsort(first)
            x = context_features(ctx[known][first[order]])
            mentors = slot[known][first[order]]
            for name in EFFECT_FEATURES:
                if name not in x:  # the mentor's own features
                    x[name] = self.effects.features[name].to_numpy()[mentors]
            samples = raw_spread(bootstrap, x)
            position = np.empty_like(order)
            position[order] = np.arange(len(order))
            spread[known] = samples[position[inverse.reshape(-1)]]
        cover = scored["coverage"].to_numpy()
        lower, upper = gain_interval(expected, cover * spread, relative_error, alpha)
        out = scored.assign(gain_lower=lower, gain_upper=upper)
        return out[list(SCORE_COLUMNS)]
