"""Mentor cohort matching: each mentee gets at most one mentor, each mentor at most a capacity.

The input is a *candidate graph*, one row per eligible (mentee, mentor) edge with the forecast
``expected_gain`` of that pairing in SKP points. :func:`match` picks the set of edges that
maximises the total expected gain of the cohort subject to

* every mentee is matched at most once (being unmatched is allowed),
* every mentor takes at most ``capacity`` mentees,
* only edges with ``expected_gain > 0`` are used (a useless or harmful mentor is never assigned).

This is a capacitated bipartite b-matching, solved exactly as a **min-cost flow** (OR-Tools
``SimpleMinCostFlow``, cost scaling)::

    mentee (supply 1) --cap 1, cost -gain--> mentor --cap capacity, cost 0--> sink (demand n)
    mentee            --cap 1, cost 0 (bypass: "unmatched")----------------> sink

Supplying one unit at each mentee is the usual source → mentee arc of capacity 1 folded into
the node supplies. All capacities are integers, so the min-cost flow has an integral optimum;
each unit of flow through a mentee → mentor arc is one assignment, and the minimum cost is
minus the maximum total gain. Costs must be integers: gains are multiplied by
:data:`COST_SCALE` (10⁻⁶ SKP points resolution, lowered automatically only when the gains are
so large that int64 arithmetic inside the solver could overflow) and rounded, with every
positive gain costing at least one unit so it is always preferred to the bypass. The rounded
optimum is within ``n_matched / scale`` points of the true one.

**Certificate.** The LP relaxation of the same problem (``0 ≤ x_e ≤ 1``; per mentee
``Σ x ≤ 1``; per mentor ``Σ x ≤ capacity``) has the incidence matrix of a bipartite graph as
constraint matrix, which is totally unimodular, so its optimum is attained at an integral
vertex and equals the best matching. :attr:`MatchResult.lp_bound` is that optimum computed
independently by HiGHS (dual simplex); ``gap = (lp_bound − total_gain) / lp_bound`` is ~0 for
:func:`match` (only the integer rounding above and solver tolerances) and measures how far the
:func:`greedy` baseline falls short.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from ortools.graph.python import min_cost_flow
from scipy import sparse
from scipy.optimize import linprog

from recsys.data.contract import ID_DTYPE

log = logging.getLogger(__name__)

ProgressFn = Callable[[str], None]
Mentees = pd.Series | pd.Index | np.ndarray | Sequence[str]
Capacity = int | pd.Series

NIP = "nip"
MENTOR_NIP = "mentor_nip"
GAIN = "expected_gain"
REASON = "reason"
N_CANDIDATES = "n_candidates"
REQUIRED_COLUMNS = (NIP, MENTOR_NIP, GAIN)
#: Columns of :attr:`MatchResult.unmatched`.
UNMATCHED_COLUMNS = (NIP, REASON, N_CANDIDATES)

#: Why a mentee is unmatched: no edge at all; edges but none with a positive gain; positive
#: edges, but each of those mentors' capacity adds more to the total gain elsewhere.
NO_CANDIDATES = "no_candidates"
NO_POSITIVE_GAIN = "no_positive_gain"
CAPACITY = "capacity"
UNMATCHED_REASONS = (NO_CANDIDATES, NO_POSITIVE_GAIN, CAPACITY)

DEFAULT_CAPACITY = 3
#: Integer cost units per SKP point in the min-cost flow.
COST_SCALE = 1_000_000
# Keeps |cost| × (nodes + 1) × (units of flow) below int64's range, the products the
# cost-scaling solver and its total cost can reach.
_INT64_BUDGET = 2**62

MIN_COST_FLOW = "min_cost_flow"
GREEDY = "greedy"


@dataclass(frozen=True)
class MatchResult:
    """A mentor assignment for a cohort, with its optimality certificate.

    Attributes
    ----------
    assignments : DataFrame
        One row per matched mentee: ``nip``, ``mentor_nip``, ``expected_gain`` (SKP points)
        and the candidate graph's other columns, sorted by ``mentor_nip`` then by gain,
        highest first.
    unmatched : DataFrame
        ``nip``, ``reason`` (one of :data:`UNMATCHED_REASONS`), ``n_candidates`` (edges of
        that mentee in the candidate graph), in cohort order.
    total_gain : float
        Sum of ``expected_gain`` over the assignments (SKP points).
    lp_bound : float
        Optimum of the LP relaxation on the same graph (HiGHS): no assignment can do better.
    gap : float
        ``(lp_bound − total_gain) / lp_bound``; 0.0 when ``lp_bound <= 0``.
    unconstrained_bound : float
        Sum over mentees of their best positive edge, i.e. every mentor with unlimited
        capacity.
    n_mentees, n_matched, n_mentors : int
        Cohort size, assigned mentees, distinct mentors in the candidate graph.
    method : str
        ``"min_cost_flow"`` or ``"greedy"``.
    seconds : float
        Wall time of the assignment solver (building its arcs included).
    bound_seconds : float
        Wall time of the LP bound.
    """

    assignments: pd.DataFrame
    unmatched: pd.DataFrame
    total_gain: float
    lp_bound: float
    gap: float
    unconstrained_bound: float
    n_mentees: int
    n_matched: int
    n_mentors: int
    method: str
    seconds: float
    bound_seconds: float = 0.0

    def summary(self) -> dict[str, float | int | str]:
        """Flat figures for logging or tracking, with unmatched counts per reason."""
        counts = self.unmatched[REASON].value_counts()
        out: dict[str, float | int | str] = {
            "method": self.method,
            "n_mentees": self.n_mentees,
            "n_matched": self.n_matched,
            "n_unmatched": self.n_mentees - self.n_matched,
            "n_mentors": self.n_mentors,
            "n_mentors_used": int(self.assignments[MENTOR_NIP].nunique()),
            "total_gain": self.total_gain,
            "lp_bound": self.lp_bound,
            "gap": self.gap,
            "unconstrained_bound": self.unconstrained_bound,
            "seconds": self.seconds,
            "bound_seconds": self.bound_seconds,
        }
        for reason in UNMATCHED_REASONS:
            out[f"unmatched_{reason}"] = int(counts.get(reason, 0))
        return out


@dataclass(frozen=True)
class _Graph:
    """The validated candidate graph as integer arrays.

    ``edges`` is the candidate frame (ids as :data:`ID_DTYPE`, fresh index); ``mentee`` is each
    edge's position in ``cohort``. The positive subgraph (edges ``pos``) is renumbered compactly:
    ``p_mentee`` in ``[0, n_p_mentees)``, ``p_mentor`` in ``[0, len(p_capacity))``.
    """

    cohort: pd.Series
    edges: pd.DataFrame
    mentee: np.ndarray
    n_mentors: int
    pos: np.ndarray
    p_gain: np.ndarray
    p_mentee: np.ndarray
    p_mentor: np.ndarray
    n_p_mentees: int
    p_capacity: np.ndarray


def match(
    candidates: pd.DataFrame,
    mentees: Mentees | None = None,
    capacity: Capacity = DEFAULT_CAPACITY,
    *,
    default_capacity: int = DEFAULT_CAPACITY,
    on_progress: ProgressFn | None = None,
    bound: bool = True,
) -> MatchResult:
    """Assign mentors to maximise the cohort's total expected gain (exact, min-cost flow).

    Parameters
    ----------
    candidates : DataFrame
        One row per eligible edge: ``nip`` (mentee), ``mentor_nip``, ``expected_gain`` (SKP
        points); any other column is carried to the assignment rows.
    mentees : array-like of str, optional
        The whole cohort, including mentees without edges; defaults to the mentees of
        ``candidates``. Every edge's mentee must be in it.
    capacity : int or Series
        Mentees per mentor (≥ 1), for all mentors or per ``mentor_nip`` (Series index).
    default_capacity : int
        Capacity of mentors missing from a ``capacity`` Series.
    on_progress : callable, optional
        Called with ``"graph"``, ``"solve"`` and ``"bound"`` as each stage starts.
    bound : bool
        Also compute the LP bound (the certificate); False where only the assignment is
        needed (serving), which leaves ``lp_bound`` and ``gap`` NaN.

    Returns
    -------
    MatchResult
        With ``method="min_cost_flow"``.

    Raises
    ------
    ValueError
        On invalid input (see :func:`greedy`); RuntimeError if a solver fails.
    """
    progress = on_progress or (lambda _stage: None)
    progress("graph")
    graph = _prepare(candidates, mentees, capacity, default_capacity)
    progress("solve")
    started = time.perf_counter()
    chosen = _solve_flow(graph)
    seconds = time.perf_counter() - started
    progress("bound")
    return _result(graph, chosen, MIN_COST_FLOW, seconds, bound=bound)


def greedy(
    candidates: pd.DataFrame,
    mentees: Mentees | None = None,
    capacity: Capacity = DEFAULT_CAPACITY,
    *,
    default_capacity: int = DEFAULT_CAPACITY,
    bound: bool = True,
) -> MatchResult:
    """Baseline: take edges by gain, highest first, while the mentee is free and the mentor
    has room. Same input, output, checks and ``bound`` as :func:`match`;
    ``method="greedy"``.

    Raises
    ------
    ValueError
        If ``capacity`` (or ``default_capacity``) is below 1 or not an integer, a column is
        missing, an id is missing, a gain is NaN or infinite, an edge is duplicated, a mentee
        is its own mentor, or an edge's mentee is not in ``mentees``.
    """
    graph = _prepare(candidates, mentees, capacity, default_capacity)
    started = time.perf_counter()
    chosen = _solve_greedy(graph)
    return _result(graph, chosen, GREEDY, time.perf_counter() - started, bound=bound)


def _prepare(
    candidates: pd.DataFrame,
    mentees: Mentees | None,
    capacity: Capacity,
    default_capacity: int,
) -> _Graph:
    """Check the input and build the integer arrays of the candidate graph."""
    if not isinstance(candidates, pd.DataFrame):
        raise TypeError(f"candidates must be a pandas DataFrame, got {type(candidates).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in candidates.columns]
    if missing:
        raise ValueError(f"candidates is missing column(s) {missing}; needs {REQUIRED_COLUMNS}")
    _check_capacity_value(default_capacity, "default_capacity")
    if not isinstance(capacity, pd.Series):
        _check_capacity_value(capacity, "capacity")

    edges = candidates.reset_index(drop=True)
    for col in (NIP, MENTOR_NIP):
        if edges[col].isna().any():
            raise ValueError(f"candidates has {int(edges[col].isna().sum())} missing {col!r}")
        edges[col] = edges[col].astype(ID_DTYPE)
    try:
        gain = pd.to_numeric(edges[GAIN]).to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as err:
        raise ValueError(f"candidates {GAIN!r} must be numeric: {err}") from err
    bad = ~np.isfinite(gain)
    if bad.any():
        first = edges.loc[np.flatnonzero(bad)[0]]
        raise ValueError(
            f"candidates has {int(bad.sum())} NaN or infinite {GAIN!r} value(s), e.g. "
            f"nip={first[NIP]}, mentor_nip={first[MENTOR_NIP]}"
        )
    edges[GAIN] = gain
    own = (edges[NIP] == edges[MENTOR_NIP]).to_numpy(dtype=bool)
    if own.any():
        raise ValueError(
            f"candidates has {int(own.sum())} edge(s) where a mentee is listed as its own "
            f"mentor, e.g. nip={edges.loc[np.flatnonzero(own)[0], NIP]}"
        )

    if mentees is None:
        cohort = pd.Series(pd.unique(edges[NIP]), dtype=ID_DTYPE)
    else:
        cohort = pd.Series(np.asarray(mentees, dtype=object), dtype=ID_DTYPE)
        if cohort.isna().any():
            raise ValueError(f"mentees has {int(cohort.isna().sum())} missing NIP(s)")
        cohort = cohort.drop_duplicates().reset_index(drop=True)
    mentee = pd.Index(cohort).get_indexer(edges[NIP])
    if (mentee < 0).any():
        outside = edges.loc[mentee < 0, NIP]
        raise ValueError(
            f"candidates has {len(outside)} edge(s) whose mentee is not in mentees, "
            f"e.g. nip={outside.iloc[0]}"
        )
    mentor, mentors = pd.factorize(edges[MENTOR_NIP])
    key = mentee.astype(np.int64) * max(len(mentors), 1) + mentor
    dup = pd.Series(key).duplicated().to_numpy()
    if dup.any():
        first = edges.loc[np.flatnonzero(dup)[0]]
        raise ValueError(
            f"candidates has {int(dup.sum())} duplicate (nip, mentor_nip) edge(s), e.g. "
            f"({first[NIP]}, {first[MENTOR_NIP]})"
        )
    mentor_capacity = _capacities(capacity, default_capacity, pd.Index(mentors))

    pos = np.flatnonzero(gain > 0)
    p_mentee_ids, p_mentee = _unique_codes(mentee[pos], len(cohort))
    p_mentor_ids, p_mentor = _unique_codes(mentor[pos], len(mentors))
    return _Graph(
        cohort=cohort,
        edges=edges,
        mentee=mentee,
        n_mentors=len(mentors),
        pos=pos,
        p_gain=gain[pos],
        p_mentee=p_mentee.astype(np.int64),
        p_mentor=p_mentor.astype(np.int64),
        n_p_mentees=len(p_mentee_ids),
        p_capacity=mentor_capacity[p_mentor_ids],
    )


def _unique_codes(codes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(codes, return_inverse=True)`` of codes in ``[0, n)``, by counting
    instead of sorting (the graph has millions of edges)."""
    ids = np.flatnonzero(np.bincount(codes, minlength=n))
    renumber = np.zeros(max(n, 1), dtype=np.int64)
    renumber[ids] = np.arange(len(ids))
    return ids, renumber[codes]


def _check_capacity_value(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be an int >= 1 (mentees per mentor), got {value!r}")


def _capacities(capacity: Capacity, default: int, mentors: pd.Index) -> np.ndarray:
    """Capacity of each mentor (int64, aligned with ``mentors``)."""
    if not isinstance(capacity, pd.Series):
        return np.full(len(mentors), int(capacity), dtype=np.int64)
    if capacity.index.has_duplicates:
        dup = capacity.index[capacity.index.duplicated()][0]
        raise ValueError(f"capacity lists mentor_nip {dup} more than once")
    values = pd.to_numeric(capacity, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values) | (values < 1) | (values != np.round(values))
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise ValueError(
            f"capacity must be an int >= 1 for every mentor; {int(bad.sum())} value(s) are not, "
            f"e.g. mentor_nip={capacity.index[i]}: {capacity.iloc[i]!r}"
        )
    per_mentor = pd.Series(values.astype(np.int64), index=capacity.index.astype(ID_DTYPE))
    return per_mentor.reindex(mentors).fillna(default).to_numpy(dtype=np.int64)


def _solve_flow(g: _Graph) -> np.ndarray:
    """Indices (into ``g.edges``) of the edges of a maximum-gain assignment."""
    n_edges, n_mentees, n_mentors = len(g.pos), g.n_p_mentees, len(g.p_capacity)
    if n_edges == 0:
        return np.empty(0, dtype=np.int64)
    sink = n_mentees + n_mentors
    n_nodes = sink + 1
    max_gain = float(g.p_gain.max())
    scale = min(float(COST_SCALE), _INT64_BUDGET / ((n_nodes + 1) * (n_mentees + 1) * max_gain))
    edge_cost = -np.maximum(1, np.rint(g.p_gain * scale)).astype(np.int64)
    degree = np.bincount(g.p_mentor, minlength=n_mentors)
    mentee_nodes = np.arange(n_mentees, dtype=np.int64)
    mentor_nodes = n_mentees + np.arange(n_mentors, dtype=np.int64)
    tails = np.concatenate([g.p_mentee, mentor_nodes, mentee_nodes])
    heads = np.concatenate(
        [n_mentees + g.p_mentor, np.full(n_mentors, sink), np.full(n_mentees, sink)]
    )
    capacities = np.concatenate(
        [np.ones(n_edges, np.int64), np.minimum(g.p_capacity, degree), np.ones(n_mentees, np.int64)]
    )
    costs = np.concatenate([edge_cost, np.zeros(n_mentors + n_mentees, np.int64)])
    supplies = np.zeros(n_nodes, dtype=np.int64)
    supplies[:n_mentees] = 1
    supplies[sink] = -n_mentees

    solver = min_cost_flow.SimpleMinCostFlow()
    arcs = solver.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), capacities, costs
    )
    solver.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min-cost flow did not find an optimum (status {status!r})")
    flows = np.asarray(solver.flows(np.asarray(arcs[:n_edges], dtype=np.int32)))
    return g.pos[flows > 0]


def _solve_greedy(g: _Graph) -> np.ndarray:
    """Indices of the edges taken by the greedy pass (gain desc; ties by mentee, mentor)."""
    order = np.lexsort((g.p_mentor, g.p_mentee, -g.p_gain))
    free = [True] * g.n_p_mentees
    room = g.p_capacity.tolist()
    taken: list[int] = []
    # A plain loop over Python ints: each step depends on the ones before it.
    for e, i, j in zip(
        order.tolist(), g.p_mentee[order].tolist(), g.p_mentor[order].tolist(), strict=True
    ):
        if free[i] and room[j] > 0:
            free[i] = False
            room[j] -= 1
            taken.append(e)
    return g.pos[np.asarray(taken, dtype=np.int64)]


def _lp_bound(g: _Graph) -> float:
    """Optimum of the LP relaxation of the positive subgraph (HiGHS dual simplex)."""
    n_edges, n_mentees = len(g.pos), g.n_p_mentees
    if n_edges == 0:
        return 0.0
    cols = np.arange(n_edges)
    rows = np.concatenate([g.p_mentee, n_mentees + g.p_mentor])
    a_ub = sparse.csc_array(
        (np.ones(2 * n_edges), (rows, np.concatenate([cols, cols]))),
        shape=(n_mentees + len(g.p_capacity), n_edges),
    )
    b_ub = np.concatenate([np.ones(n_mentees), g.p_capacity.astype(np.float64)])
    res = linprog(-g.p_gain, A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs-ds")
    if res.status != 0:
        raise RuntimeError(f"HiGHS could not solve the LP bound: {res.message}")
    return float(-res.fun)


def _result(
    g: _Graph, chosen: np.ndarray, method: str, seconds: float, *, bound: bool = True
) -> MatchResult:
    """Assemble the result: assignments, unmatched reasons, bounds (NaN without ``bound``)."""
    started = time.perf_counter()
    lp_bound = _lp_bound(g) if bound else float("nan")
    bound_seconds = time.perf_counter() - started

    assignments = (
        g.edges.iloc[np.sort(chosen)]
        .sort_values([MENTOR_NIP, GAIN, NIP], ascending=[True, False, True], kind="stable")
        .reset_index(drop=True)
    )
    n_cohort = len(g.cohort)
    n_candidates = np.bincount(g.mentee, minlength=n_cohort)
    n_positive = np.bincount(g.mentee[g.pos], minlength=n_cohort)
    matched = np.zeros(n_cohort, dtype=bool)
    matched[g.mentee[chosen]] = True
    reason = np.where(
        n_candidates == 0, NO_CANDIDATES, np.where(n_positive == 0, NO_POSITIVE_GAIN, CAPACITY)
    )
    unmatched = pd.DataFrame(
        {
            NIP: g.cohort[~matched].to_numpy(),
            REASON: pd.Series(reason[~matched], dtype=ID_DTYPE),
            N_CANDIDATES: n_candidates[~matched].astype(np.int64),
        }
    ).astype({NIP: ID_DTYPE})

    best = np.zeros(n_cohort)
    np.maximum.at(best, g.mentee[g.pos], g.p_gain)
    total = float(g.edges[GAIN].to_numpy()[chosen].sum())
    result = MatchResult(
        assignments=assignments,
        unmatched=unmatched,
        total_gain=total,
        lp_bound=lp_bound,
        gap=(lp_bound - total) / lp_bound if lp_bound > 0 else (0.0 if bound else lp_bound),
        unconstrained_bound=float(best.sum()),
        n_mentees=n_cohort,
        n_matched=len(chosen),
        n_mentors=g.n_mentors,
        method=method,
        seconds=seconds,
        bound_seconds=bound_seconds,
    )
    log.info("mentor matching: %s", result.summary())
    return result
