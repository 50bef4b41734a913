"""Mentor suggestions that respect capacity: the agency's matching first, then mentors with room.

Ranking each person's best mentors on their own sends many people to the same few mentors:
one mentor can be everybody's first choice, and following the first suggestions overloads
them. So :func:`suggest_mentors` first computes the agency's capacity-respecting matching
and builds each person's list from it:

1. **Cohort**: every active employee of the agencies of the people asked about (a mentor's
   time is shared by the whole agency, so the whole agency is matched).
2. **Graph**: each member's :data:`GRAPH_TOP` best candidate mentors
   (:meth:`~recsys.models.mentors.recommender.MentorRecommender.candidates`).
3. **Room**: each mentor's capacity by their agency's policy (the policies the model
   chooses candidates by, or ``capacity`` for all) minus the mentorships they have running
   on the decision date (:func:`~recsys.models.mentors.policy.remaining_capacity`). A
   mentor without room takes no one.
4. **Matching**: the most total forecast gain with every mentor's room respected
   (:func:`recsys.planning.matching.match`, an exact min-cost flow).
5. **Lists**: rank 1 is the mentor the matching assigns (``status="assigned"``); the other
   ranks are *alternatives*: candidates whose mentor still has room once the matching is
   made, best forecast gain first (``status="alternative"``). A person the matching leaves
   out is told why (:data:`recsys.planning.matching.UNMATCHED_REASONS`: no eligible mentor,
   none with a positive forecast gain, or every candidate mentor is full). Because the
   matching is optimal, no mentor with room has a positive-gain edge to a person left out:
   such a person has no alternatives within the graph.

So nobody's first suggestion is a mentor who is already full, and following everybody's
first suggestion keeps every mentor within capacity. Alternatives share the room left: a
mentor with one free place may be an alternative for several people.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.data.contract import ID_DTYPE
from recsys.data.loading import Dataset
from recsys.features.competency_state import id_isin, id_positions
from recsys.models.mentors.coverage import coverage, lead_detail
from recsys.models.mentors.eligibility import matching_groups
from recsys.models.mentors.policy import MentorPolicies, remaining_capacity
from recsys.models.mentors.pool import Pool
from recsys.models.mentors.recommender import RECOMMENDATION_COLUMNS, MentorRecommender
from recsys.models.reasons import explain_mentors, explain_unassigned
from recsys.models.requests import recommend_request
from recsys.planning import matching

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]

#: Candidate mentors per person in the matching graph (the single definition: evaluation,
#: benchmarks and ``match-mentors`` use the same graph). With capacity binding, the best
#: assignment uses mentors far down many people's lists: on the world suite, 30 per person
#: left half the staff unmatched and the best assignment within the graph at 0.72 of the
#: true optimum; 100 reach 0.95 (200: 0.98) at about twice the scoring time of 30.
GRAPH_TOP = 100

#: ``status`` of a suggestion: the mentor the agency's matching assigns (always rank 1), or
#: an alternative whose mentor still has room after the matching.
ASSIGNED = "assigned"
ALTERNATIVE = "alternative"
STATUSES = (ASSIGNED, ALTERNATIVE)
#: ``status`` of a person's row in an export when the matching leaves them out.
UNASSIGNED = "unassigned"

#: Columns of :attr:`MentorSuggestions.suggestions` (then ``reason_<lang>`` and
#: ``distance_<lang>`` per further language).
SUGGESTION_COLUMNS = (*RECOMMENDATION_COLUMNS, "status")
#: Columns of :attr:`MentorSuggestions.unassigned` (then ``reason_<lang>`` per further
#: language): ``reason_code`` is one of :data:`recsys.planning.matching.UNMATCHED_REASONS`.
UNASSIGNED_COLUMNS = ("nip", "reason_code", "reason")
#: Columns of a batch export (``recommend mentors --all``): one row per suggestion and one
#: per person left out (``status="unassigned"``, no mentor, ``reason`` says why); the least
#: personal data a file for HR needs.
SUGGESTION_EXPORT_COLUMNS = (
    "nip",
    "rank",
    "mentor_nip",
    "status",
    "expected_gain",
    "gain_lower",
    "gain_upper",
    "reason",
)


@dataclass(frozen=True)
class MentorSuggestions:
    """Capacity-respecting mentor suggestions for the people asked about.

    Attributes
    ----------
    suggestions : DataFrame
        :data:`SUGGESTION_COLUMNS` (+ translations): one row per (nip, rank), people in the
        order asked, rank 1 first. ``status`` is ``"assigned"`` (rank 1 only) or
        ``"alternative"``; gains in SKP points.
    unassigned : DataFrame
        :data:`UNASSIGNED_COLUMNS` (+ translations): the people asked about whom the
        matching leaves out, in the order asked.
    matching : MatchResult
        The agency's matching the lists come from (its figures: ``matching.summary()``).
    as_of : Timestamp
        The decision date (ongoing mentorships are counted on it).
    people : Series
        The people asked about (unique NIPs, in the order asked).
    seconds : float
        Wall time of the whole call.
    """

    suggestions: pd.DataFrame
    unassigned: pd.DataFrame
    matching: matching.MatchResult
    as_of: pd.Timestamp
    people: pd.Series
    seconds: float = 0.0

    def export(self, columns: Sequence[str] = SUGGESTION_EXPORT_COLUMNS) -> pd.DataFrame:
        """Suggestions and people left out in one frame of ``columns`` (any of the
        suggestions' columns; default :data:`SUGGESTION_EXPORT_COLUMNS`), each person's rows
        together in the order asked. A person left out has one row with
        ``status="unassigned"``, the reason (``reason`` and its translations) and nothing
        else (no rank, no mentor)."""
        unknown = [c for c in columns if c not in self.suggestions.columns]
        if unknown:
            raise ValueError(f"no column(s) {unknown} in the suggestions")
        left_out = self.unassigned.drop(columns="reason_code").assign(status=UNASSIGNED)
        frame = pd.concat([self.suggestions.astype({"rank": "Int64"}), left_out], ignore_index=True)
        frame = frame.astype({"rank": "Int64", "nip": ID_DTYPE, "mentor_nip": ID_DTYPE})
        order = {n: i for i, n in enumerate(self.people.astype(str))}
        frame = frame.assign(_at=frame["nip"].astype(str).map(order)).sort_values(
            ["_at", "rank"], kind="stable"
        )
        return frame[list(columns)].reset_index(drop=True)


def suggest_mentors(
    model: MentorRecommender,
    ds: Dataset,
    nips: pd.Series | Sequence[str],
    *,
    k: int = 3,
    lang: str = "id",
    also_in: Sequence[str] = (),
    as_of: pd.Timestamp | None = None,
    capacity: int | None = None,
    on_progress: ProgressFn | None = None,
) -> MentorSuggestions:
    """Up to ``k`` mentors per person: the agency matching's mentor, then mentors with room.

    Parameters
    ----------
    model : MentorRecommender
        A fitted mentor recommender (forecasts and candidate rules).
    ds : Dataset
        The data; every active employee of the agencies of ``nips`` is matched.
    nips : array-like of str
        The people to suggest mentors to (active employees; repeats are dropped).
    k : int
        Suggestions per person (≥ 1): rank 1 the assigned mentor, then alternatives.
    lang, also_in : str
        Language of ``reason`` and ``distance``; further languages add ``reason_<lang>``
        and ``distance_<lang>`` columns (one scoring pass for all).
    as_of : Timestamp, optional
        Decision date (default: the day after the last appraisal period).
    capacity : int, optional
        Mentees per mentor for every agency (≥ 1); default: each mentor's agency policy,
        from the policies ``model`` chooses candidates by
        (:meth:`~recsys.models.mentors.recommender.MentorRecommender.eligibility_policies`;
        a loaded model has the settings' policies). Ongoing mentorships count against it.
    on_progress : callable, optional
        Called with (people scored, cohort size) while the cohort's candidates are scored.

    Returns
    -------
    MentorSuggestions

    Raises
    ------
    NotFittedError, ValueError, UnknownEmployeeError, InactiveEmployeeError
        As :meth:`MentorRecommender.recommend` (unfitted model, ``k`` < 1, unsupported
        language, unknown or inactive NIPs); ValueError for ``capacity`` < 1.
    """
    started = time.perf_counter()
    request = recommend_request(model, ds, nips, k=k, lang=lang, also_in=also_in, as_of=as_of)
    if capacity is not None and (
        isinstance(capacity, bool) or not isinstance(capacity, int | np.integer) or capacity < 1
    ):
        raise ValueError(f"capacity must be an int >= 1 (mentees per mentor), got {capacity!r}")
    people, when = request.people, request.as_of
    cohort = _cohort(ds, people, model.eligibility_policies())
    # intervals only for the pairs listed (a few of each person's GRAPH_TOP candidates)
    graph, pool = model.candidates_in_pool(
        ds, cohort, top=GRAPH_TOP, as_of=when, alpha=None, on_progress=on_progress
    )
    graph = graph.drop(columns="n_eligible").astype({"nip": ID_DTYPE, "mentor_nip": ID_DTYPE})
    graph["expected_gain"] = graph["expected_gain"].astype(float)

    mentors = pd.Series(pd.unique(graph["mentor_nip"]))
    room = _remaining_capacity(model, ds, mentors, when, capacity)
    edge_room = _at(room, graph["mentor_nip"])
    open_graph = graph[edge_room > 0].reset_index(drop=True)
    result = matching.match(open_graph, cohort, room[room > 0], bound=False)

    assigned = result.assignments.set_index(result.assignments["nip"].astype(str))
    taken = assigned["mentor_nip"].astype(str).value_counts()
    free = room.sub(taken.reindex(room.index, fill_value=0), fill_value=0)
    asked = graph[id_isin(graph["nip"], people)].reset_index(drop=True)
    rows = model.with_intervals(pool, _lists(asked, assigned, free, k))
    suggestions = _explained(ds, pool, rows, request.languages, people)

    left_out = people[~id_isin(people, assigned.index)].astype(str)
    unassigned = _unassigned(graph, left_out, request.languages)
    out = MentorSuggestions(
        suggestions=suggestions,
        unassigned=unassigned,
        matching=result,
        as_of=when,
        people=people,
        seconds=time.perf_counter() - started,
    )
    log.info(
        "mentor suggestions for %d people (cohort %d, %d mentors full) in %.1f s: %s",
        len(people),
        len(cohort),
        int((room == 0).sum()),
        out.seconds,
        result.summary(),
    )
    return out


def _cohort(ds: Dataset, people: pd.Series, policies: MentorPolicies) -> pd.Series:
    """Every active employee matched with ``people``: of their agencies, or of their units
    where the agency searches mentors unit by unit (:func:`~recsys.models.mentors.
    eligibility.matching_groups`), in data set order."""
    employees = ds.employees
    staff = employees.loc[employees["active"].fillna(False).astype(bool), "nip"].astype(ID_DTYPE)
    groups = matching_groups(ds, policies, staff)
    wanted = pd.unique(matching_groups(ds, policies, people))
    return staff[np.isin(groups, wanted)].reset_index(drop=True)


def _remaining_capacity(
    model: MentorRecommender,
    ds: Dataset,
    mentors: pd.Series,
    when: pd.Timestamp,
    capacity: int | None,
) -> pd.Series:
    """Mentees each mentor can still take on ``when`` (≥ 0), indexed by mentor NIP (str):
    their agency's capacity in the policies the model chooses candidates by (or
    ``capacity`` for all) minus their ongoing mentorships."""
    policies = model.eligibility_policies()
    if capacity is not None:
        policies = policies.replace_all(capacity=int(capacity))
    room = remaining_capacity(ds, mentors.astype(str), when, policies)
    room.index = room.index.astype(str)
    return room.astype(np.int64)


def _at(counts: pd.Series, mentor_nips: pd.Series) -> np.ndarray:
    """``counts`` (mentees, indexed by mentor NIP) of each of ``mentor_nips``, 0 where it
    has none."""
    at = id_positions(mentor_nips, counts.index)
    return np.where(at >= 0, counts.to_numpy(dtype=np.int64)[np.maximum(at, 0)], 0)


def _lists(asked: pd.DataFrame, assigned: pd.DataFrame, free: pd.Series, k: int) -> pd.DataFrame:
    """Each asked person's rows: the assigned edge (rank 1), then up to ``k`` − 1 (``k``
    without an assignment) positive-gain edges to other mentors with room, best first.
    Adds ``status``, ``rank`` and ``free_slots`` (the mentor's room after the matching)."""
    # mentors as their position among those with room (``free``'s index: every candidate)
    mentor = id_positions(asked["mentor_nip"], free.index)
    # each person's assigned mentor; -1 (none) for people without an assignment
    theirs = np.append(id_positions(assigned["mentor_nip"], free.index), -1)
    assignment = id_positions(asked["nip"], assigned.index)
    is_assigned = (mentor >= 0) & (mentor == theirs[assignment])
    slots = _at(free, asked["mentor_nip"])
    alternative = ~is_assigned & (slots > 0) & (asked["expected_gain"].to_numpy() > 0)
    keep = is_assigned | alternative
    rows = asked[keep].assign(
        status=np.where(is_assigned[keep], ASSIGNED, ALTERNATIVE),
        free_slots=slots[keep],
        _first=~is_assigned[keep],
    )
    rows = rows.sort_values(
        ["nip", "_first", "expected_gain"], ascending=[True, True, False], kind="stable"
    )
    rows["rank"] = rows.groupby("nip", sort=False).cumcount() + 1
    return rows[rows["rank"] <= k].drop(columns="_first").reset_index(drop=True)


def _explained(
    ds: Dataset,
    pool: Pool,
    rows: pd.DataFrame,
    languages: tuple[str, ...],
    people: pd.Series,
) -> pd.DataFrame:
    """``rows`` with gaps covered (from the profiles of the ``pool`` the candidates were
    found in), reasons and distances in words, in :data:`SUGGESTION_COLUMNS` (+
    translations), people in the order asked."""
    main, *others = languages
    extra = [f"{name}_{language}" for language in others for name in ("reason", "distance")]
    if rows.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype=object) for c in (*SUGGESTION_COLUMNS, *extra)}
        ).astype({"nip": ID_DTYPE, "mentor_nip": ID_DTYPE, "rank": np.int64})
    mentee_rows = pool.roster.row(rows["nip"])
    mentor_rows = pool.roster.row(rows["mentor_nip"])
    _, lead = coverage(pool.profiles, mentee_rows, pool.profiles, mentor_rows)
    detail = lead_detail(pool.profiles, mentee_rows, lead)
    explained = {language: explain_mentors(rows, detail, ds, language) for language in languages}
    rows = rows.copy()
    rows["gaps_covered"], rows["reason"], rows["distance"] = explained[main]
    for language in others:
        _, rows[f"reason_{language}"], rows[f"distance_{language}"] = explained[language]
    order = {n: i for i, n in enumerate(people.astype(str))}
    rows = rows.assign(_at=rows["nip"].astype(str).map(order)).sort_values(
        ["_at", "rank"], kind="stable"
    )
    return rows[[*SUGGESTION_COLUMNS, *extra]].reset_index(drop=True)


def _unassigned(
    graph: pd.DataFrame, left_out: pd.Series, languages: tuple[str, ...]
) -> pd.DataFrame:
    """Why each person left out has no mentor, from the whole candidate graph (a mentor
    full with ongoing mentorships is a capacity reason, not a missing candidate)."""
    nips = graph["nip"].astype(str)
    n_edges = nips.value_counts()
    n_positive = nips[graph["expected_gain"].to_numpy() > 0].value_counts()
    edges = n_edges.reindex(left_out, fill_value=0).to_numpy()
    positive = n_positive.reindex(left_out, fill_value=0).to_numpy()
    codes = np.where(
        edges == 0,
        matching.NO_CANDIDATES,
        np.where(positive == 0, matching.NO_POSITIVE_GAIN, matching.CAPACITY),
    ).tolist()
    main, *others = languages
    frame = pd.DataFrame(
        {
            "nip": pd.Series(left_out.to_numpy(), dtype=ID_DTYPE),
            "reason_code": pd.Series(codes, dtype=object),
            "reason": pd.Series(explain_unassigned(codes, main), dtype=object),
        }
    )
    for language in others:
        frame[f"reason_{language}"] = pd.Series(explain_unassigned(codes, language), dtype=object)
    return frame
