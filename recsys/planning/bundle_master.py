"""The planner's program over bundles, solved by column generation (HiGHS via ``highspy``).

Each person takes exactly one of their bundles (sets of their items they may take; see
:func:`recsys.planning.program._bundles`), and a few hundred rows are shared by everyone
(budget, seats, staff away, remote share). A restricted master holds, per person, only the
bundles that matter: taking nothing and the best bundle at the current prices of the shared
rows. Its LP is solved warm (simplex), every bundle is priced out against its duals at once,
and the best bundle of each person with a positive reduced value joins the master, until
none has one: the master's LP optimum is then the optimum of the LP over *all* bundles, its
upper bound on any plan. At 20,000 people this takes a few seconds and five or six rounds,
where the LP over all bundles at once takes over a minute.

A basic optimum has at most as many people split between bundles as there are shared rows;
:meth:`BundleMaster.solve_mip` branches on the master's bundles only (price and branch),
from a given plan, and its result is measured against the LP bound over all bundles.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import highspy
import numpy as np
from scipy import sparse

#: Reduced value (SKP points) a bundle must bring to join the master.
PRICE_TOLERANCE = 1e-7
#: Most rounds of column generation (it converges in a handful; this only stops a cycle).
MAX_ROUNDS = 200
#: HiGHS's ``primal_solution_status`` of a feasible solution.
FEASIBLE = 2

_banner_shown = False


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS prints a banner to the C stdout the first time a solver is made: send it to
    /dev/null (the CLI's output is for HR)."""
    global _banner_shown
    if _banner_shown:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with Path(os.devnull).open("w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        _banner_shown = True


def new_highs(threads: int = 1) -> highspy.Highs:
    """A silent HiGHS instance."""
    with _quiet_stdout():
        solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("threads", threads)
    return solver


class BundleMaster:
    """Column generation over bundles.

    ``matrix``: rows (shared rows, then one convexity row per person) × bundles; ``lower``
    and ``upper``: the rows' limits; ``value``: each bundle's worth (to maximise);
    ``owner``: each bundle's person; ``start``: bundles in the first master (they must make
    it feasible: every person's empty bundle).
    """

    def __init__(
        self,
        matrix: sparse.csr_matrix,
        lower: np.ndarray,
        upper: np.ndarray,
        value: np.ndarray,
        owner: np.ndarray,
        start: np.ndarray,
    ) -> None:
        self.columns = matrix.tocsc()
        self.value = value
        self.owner = owner
        self.highs = new_highs()
        m = matrix.shape[0]
        inf = highspy.kHighsInf
        self.highs.addRows(
            m,
            np.where(np.isfinite(lower), lower, -inf),
            np.where(np.isfinite(upper), upper, inf),
            0,
            np.zeros(m, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0),
        )
        self.in_master = np.zeros(len(value), dtype=bool)
        self.master: list[int] = []  # bundle index of each master column
        self._add(np.asarray(start))
        self.bound = float("nan")
        self.rounds = 0

    def _add(self, bundles: np.ndarray) -> None:
        bundles = bundles[~self.in_master[bundles]]
        if not len(bundles):
            return
        sub = self.columns[:, bundles]
        self.highs.addCols(
            len(bundles),
            -self.value[bundles],
            np.zeros(len(bundles)),
            np.ones(len(bundles)),
            sub.nnz,
            sub.indptr[:-1].astype(np.int32),
            sub.indices.astype(np.int32),
            sub.data.astype(float),
        )
        self.in_master[bundles] = True
        self.master.extend(bundles.tolist())

    def _best_per_owner(self, score: np.ndarray) -> np.ndarray:
        """Each owner's bundle of the highest ``score``."""
        order = np.lexsort((-score, self.owner))
        return order[np.r_[True, self.owner[order][1:] != self.owner[order][:-1]]]

    def solve_lp(self) -> tuple[float, np.ndarray, np.ndarray]:
        """The LP optimum over all bundles (as a maximum), each bundle's share in it and
        the rows' prices (SKP points per unit of each row's limit: ≥ 0 for a binding upper
        limit, ≤ 0 for a binding lower one)."""
        self.highs.setOptionValue("solver", "simplex")
        for self.rounds in range(1, MAX_ROUNDS + 1):
            self.highs.run()
            status = self.highs.getModelStatus()
            if status != highspy.HighsModelStatus.kOptimal:
                why = self.highs.modelStatusToString(status)
                raise RuntimeError(f"the planner's LP failed: {why}")
            duals = np.asarray(self.highs.getSolution().row_dual)
            reduced = self.value + self.columns.T @ duals  # HiGHS minimises −value
            reduced[self.in_master] = -np.inf
            best = self._best_per_owner(reduced)
            best = best[reduced[best] > PRICE_TOLERANCE]
            if not len(best):
                break
            self._add(best)
        self.bound = -float(self.highs.getInfo().objective_function_value)
        return self.bound, self.shares(), -duals

    def shares(self) -> np.ndarray:
        """Each bundle's value in the master's current solution (0 outside it)."""
        x = np.zeros(len(self.value))
        x[self.master] = np.asarray(self.highs.getSolution().col_value)
        return x

    def solve_mip(
        self,
        start: np.ndarray,
        *,
        abs_gap: float,
        time_limit: float,
        fixed: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """The best choice among the master's bundles (0/1 per bundle, over all bundles) by
        branch and bound, to within ``abs_gap`` SKP points or ``time_limit`` seconds.
        ``start``: a 0/1 choice to start from (or the LP's shares, with ``fixed``);
        ``fixed``: per person, whether their bundles keep ``start``'s values. None if no
        plan was found in time."""
        n = len(self.master)
        master = np.asarray(self.master)
        columns = np.arange(n, dtype=np.int32)
        self.highs.changeColsIntegrality(n, columns, np.full(n, highspy.HighsVarType.kInteger))
        if fixed is not None:
            hold = fixed[self.owner[master]]
            values = np.round(start[master])
            self.highs.changeColsBounds(
                n, columns, np.where(hold, values, 0.0), np.where(hold, values, 1.0)
            )
        else:
            self.highs.setSolution(n, columns, start[master].astype(float))
        self.highs.setOptionValue("mip_abs_gap", float(abs_gap))
        self.highs.setOptionValue("mip_rel_gap", 0.0)
        self.highs.setOptionValue("time_limit", float(time_limit))
        self.highs.run()
        found = self.highs.getInfo().primal_solution_status == FEASIBLE
        if fixed is not None:  # free every column again for a later call
            self.highs.changeColsBounds(n, columns, np.zeros(n), np.ones(n))
        if not found:
            return None
        chosen = np.zeros(len(self.value))
        chosen[master] = np.round(np.asarray(self.highs.getSolution().col_value))
        return chosen

    def improve(
        self, pick: np.ndarray, lower: np.ndarray, upper: np.ndarray, *, passes: int = 3
    ) -> np.ndarray:
        """``pick`` (0/1 per bundle) made better by moving people to a better bundle of
        theirs (any bundle, not only the master's) while every shared limit holds: the
        largest gain first, a few passes. Rounding leaves a little of the budget and seats
        unused; this spends it. ``lower``/``upper``: the shared rows' limits (the first
        rows of the matrix)."""
        shared = len(upper)
        usage = self.columns[:shared].tocsc()
        pick = pick.copy()
        n_people = int(self.owner.max()) + 1
        current = np.full(n_people, -1)
        current[self.owner[pick > 0.5]] = np.flatnonzero(pick > 0.5)
        use = usage @ pick
        for _ in range(passes):
            now_value = np.where(current >= 0, self.value[np.maximum(current, 0)], 0.0)
            delta = self.value - now_value[self.owner]
            candidates = np.flatnonzero(delta > PRICE_TOLERANCE)
            if not len(candidates):
                break
            was = current[self.owner[candidates]]
            change = usage[:, candidates] - _columns_or_zero(usage, was)
            change = change.tocsc()
            fits = _fits_all(change, use, lower, upper)
            candidates, change = candidates[fits], change[:, np.flatnonzero(fits)]
            moved = np.zeros(n_people, dtype=bool)
            changed = False
            for j in np.argsort(-delta[candidates], kind="stable"):
                bundle = candidates[j]
                person = self.owner[bundle]
                if moved[person]:
                    continue
                lo, hi = change.indptr[j], change.indptr[j + 1]
                rows, step = change.indices[lo:hi], change.data[lo:hi]
                after = use[rows] + step
                if ((after > upper[rows] + 1e-6) & (step > 0)).any() or (
                    (after < lower[rows] - 1e-6) & (step < 0)
                ).any():
                    continue
                use[rows] = after
                if current[person] >= 0:
                    pick[current[person]] = 0.0
                pick[bundle] = 1.0
                current[person] = bundle
                moved[person] = True
                changed = True
            if not changed:
                break
        return pick


def _columns_or_zero(matrix: sparse.csc_matrix, columns: np.ndarray) -> sparse.csc_matrix:
    """``matrix``'s ``columns`` (a zero column where the index is −1)."""
    taken = matrix[:, np.maximum(columns, 0)].tocsc()
    keep = np.repeat(columns >= 0, np.diff(taken.indptr))
    return sparse.csc_matrix((taken.data * keep, taken.indices, taken.indptr), shape=taken.shape)


def _fits_all(
    change: sparse.csc_matrix, use: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Per column of ``change``: whether adding it to ``use`` keeps every row within its
    limits (a row outside them may only move towards them)."""
    rows = change.indices
    after = use[rows] + change.data
    bad = ((after > upper[rows] + 1e-6) & (change.data > 0)) | (
        (after < lower[rows] - 1e-6) & (change.data < 0)
    )
    column = np.repeat(np.arange(change.shape[1]), np.diff(change.indptr))
    return np.bincount(column[bad], minlength=change.shape[1]) == 0
