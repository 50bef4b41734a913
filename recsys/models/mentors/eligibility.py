"""Who may mentor whom.

A candidate mentor of a mentee is an active employee of the mentee's agency at least
:data:`SENIOR_STEPS` steps more senior (position type, then grade), whose last appraisal
was ``baik`` or ``sangat_baik``; never the mentee, and not the mentee's direct supervisor
unless allowed (the setting ``RECSYS_MENTOR_ALLOW_SUPERVISOR``). The :class:`Roster` holds
the facts these rules need and yields eligible pairs block by block, agency by agency.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.data.contract import GRADES, ID_DTYPE, POSITION_SENIORITY, RATINGS
from recsys.data.loading import Dataset
from recsys.features.competency_state import AS_OF
from recsys.features.mentor import DISTANCES, distance_class
from recsys.features.person import person_features
from recsys.models.requests import UnknownEmployeeError, decision_date, unique_nips

#: Grade steps a mentor is at least above the mentee (a position type above counts as more).
SENIOR_STEPS = 2
#: Last appraisal ratings a mentor must have (good recent performance).
GOOD_RATINGS = ("baik", "sangat_baik")
#: Pairs looked at a time (bounds memory).
PAIR_BLOCK = 1_000_000


def seniority(employees: pd.DataFrame) -> np.ndarray:
    """Position-type rank × 100 + grade index, per employee (NaN where unknown)."""
    rank = employees["position_type"].astype(str).map(POSITION_SENIORITY).to_numpy(dtype=float)
    grade = pd.Categorical(employees["grade"].astype(str), categories=GRADES).codes.astype(float)
    grade[grade < 0] = np.nan
    return rank * 100 + grade


@dataclass(frozen=True)
class Roster:
    """Who may mentor whom: the employees of a data set (or a chosen set of them) with the
    facts eligibility needs, as of one date."""

    nip: pd.Series
    agency: np.ndarray
    unit: np.ndarray
    region: np.ndarray
    remote: np.ndarray
    seniority: np.ndarray
    supervisor: np.ndarray  # row of the direct supervisor, -1 if none in the roster
    can_mentor: np.ndarray  # active, with a good last appraisal
    index: pd.Index

    @classmethod
    def build(
        cls,
        ds: Dataset,
        people: pd.Series | None,
        when: pd.Timestamp,
        agencies: np.ndarray | None = None,
    ) -> Roster:
        """The roster of ``people`` (None: every active employee, of ``agencies`` if
        given)."""
        emp = ds.employees
        if people is None:
            emp = emp[emp["active"]]
            if agencies is not None:
                emp = emp[emp["agency"].astype(str).isin(agencies)]
        else:
            wanted = pd.Index(pd.Series(people).astype(ID_DTYPE), name="nip")
            emp = emp.set_index("nip").reindex(wanted).reset_index()
        emp = emp.reset_index(drop=True)
        nip = emp["nip"].astype(ID_DTYPE)
        index = pd.Index(nip.astype(str))
        last = person_features(ds, pd.DataFrame({"nip": nip, AS_OF: when}))
        good_ranks = [RATINGS.index(r) for r in GOOD_RATINGS]
        good = np.isin(last["last_rating_rank"].to_numpy(), good_ranks)
        return cls(
            nip=nip,
            agency=pd.factorize(emp["agency"].astype(str))[0],
            unit=pd.factorize(emp["agency"].astype(str) + "|" + emp["unit"].astype(str))[0],
            region=pd.factorize(emp["region"].astype(str))[0],
            remote=emp["remote_area"].to_numpy(dtype=bool),
            seniority=seniority(emp),
            supervisor=index.get_indexer(pd.Index(emp["supervisor_nip"].astype(object).fillna(""))),
            can_mentor=emp["active"].to_numpy(dtype=bool) & good,
            index=index,
        )

    def row(self, nips: pd.Series) -> np.ndarray:
        """Roster rows of ``nips``; unknown ones are an :class:`UnknownEmployeeError`."""
        wanted = pd.Series(nips).astype(str).to_numpy()
        rows = self.index.get_indexer(pd.Index(wanted))
        if (rows < 0).any():
            raise UnknownEmployeeError(sorted(set(wanted[rows < 0])))
        return rows

    def matrices(
        self,
        mentee_rows: np.ndarray,
        *,
        allow_supervisor: bool,
        any_performance: bool = False,
        only: np.ndarray | None = None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """A block of mentees at a time: (mentee rows, the agency's mentor rows, the
        eligibility matrix). Eligible: same agency, at least :data:`SENIOR_STEPS` more
        senior, not the mentee, not the supervisor unless allowed, (unless
        ``any_performance``) able to mentor, and (if ``only`` is given: a mask over the
        roster) in that pool."""
        pool = self.can_mentor if not any_performance else np.ones(len(self.nip), dtype=bool)
        if only is not None:
            pool = pool & only
        order = np.argsort(self.agency[mentee_rows], kind="stable")
        mentee_rows = mentee_rows[order]
        for agency in pd.unique(self.agency[mentee_rows]):
            group = mentee_rows[self.agency[mentee_rows] == agency]
            mentors = np.flatnonzero(pool & (self.agency == agency))
            step = max(1, PAIR_BLOCK // max(len(mentors), 1))
            for start in range(0, len(group), step):
                block = group[start : start + step]
                senior = self.seniority[block][:, None] + SENIOR_STEPS
                ok = self.seniority[mentors][None, :] >= senior
                ok &= mentors[None, :] != block[:, None]
                if not allow_supervisor:
                    ok &= mentors[None, :] != self.supervisor[block][:, None]
                yield block, mentors, ok

    def blocks(
        self,
        mentee_rows: np.ndarray,
        *,
        allow_supervisor: bool,
        any_performance: bool = False,
        only: np.ndarray | None = None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Eligible (mentee row, mentor row) pairs (see :meth:`matrices`)."""
        for block, mentors, ok in self.matrices(
            mentee_rows,
            allow_supervisor=allow_supervisor,
            any_performance=any_performance,
            only=only,
        ):
            i, j = np.nonzero(ok)
            yield block[i], mentors[j]

    def distance(self, mentee_rows: np.ndarray, mentor_rows: np.ndarray) -> np.ndarray:
        """Index into :data:`~recsys.features.mentor.DISTANCES` of each pair."""
        return distance_class(
            self.unit[mentee_rows] == self.unit[mentor_rows],
            self.region[mentee_rows] == self.region[mentor_rows],
        )


def eligible_pairs(
    ds: Dataset,
    nips: pd.Series | list[str],
    *,
    allow_supervisor: bool = False,
    any_performance: bool = False,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Every eligible (mentee, mentor) pair of active mentees ``nips`` (columns nip,
    mentor_nip, distance), by the rules of the module docstring; with ``any_performance``
    a mentor's last appraisal does not matter (the oracle's view)."""
    roster = Roster.build(ds, None, decision_date(ds, as_of))
    rows = roster.row(unique_nips(nips))
    parts = [
        pd.DataFrame(
            {
                "nip": roster.nip.to_numpy()[i],
                "mentor_nip": roster.nip.to_numpy()[j],
                "distance": np.asarray(DISTANCES, dtype=object)[roster.distance(i, j)],
            }
        )
        for i, j in roster.blocks(
            rows, allow_supervisor=allow_supervisor, any_performance=any_performance
        )
    ]
    if not parts:
        return pd.DataFrame(columns=["nip", "mentor_nip", "distance"])
    return pd.concat(parts, ignore_index=True)
