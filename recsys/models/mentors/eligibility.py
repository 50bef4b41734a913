"""Who may mentor whom.

A candidate mentor of a mentee is chosen by the mentoring policy of the mentee's agency
(:mod:`~recsys.models.mentors.policy`). Rules no policy can lift: the mentor is an active
employee, never the mentee, at least ``senior_steps`` steps more senior (position type, then
grade: :func:`seniority`), of the mentee's agency if the policy says so (``same_agency``),
and not the mentee's direct supervisor unless it allows it (``allow_supervisor``). The one
rule evidence can lift: the mentor's last appraisal is one of the policy's ``ratings``, or
(the evidence rule, ``evidence``) the mentees of their completed mentorships rated them
well (:func:`mentoring_record`). The :class:`Roster` holds the facts these rules need and
yields eligible pairs block by block, agency by agency.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from recsys.data.contract import GRADES, ID_DTYPE, POSITION_SENIORITY
from recsys.data.loading import Dataset
from recsys.features.competency_state import AS_OF, id_isin, id_positions
from recsys.features.mentor import DISTANCES, distance_class
from recsys.features.person import appraisal_features
from recsys.features.population import agency_staff
from recsys.models.mentors.policy import MentorPolicies, MentorPolicy
from recsys.models.requests import UnknownEmployeeError, decision_date, unique_nips

#: Steps a mentor is at least above the mentee by default (a position type above counts as
#: more); each agency's policy sets its own (``senior_steps``).
SENIOR_STEPS = MentorPolicy().senior_steps
#: Last appraisal ratings a mentor has by default (each agency's policy: ``ratings``).
GOOD_RATINGS = MentorPolicy().ratings
#: Pairs looked at a time (bounds memory: a block's eligibility matrix is this many bytes;
#: larger blocks spread the mentor search's per-block set-up over more mentees).
PAIR_BLOCK = 4_000_000


def unit_scoped(ds: Dataset, policies: MentorPolicies, agencies: Iterable[str]) -> np.ndarray:
    """Whether each of ``agencies`` searches mentors unit by unit: its active staff is above
    its policy's ``unit_search_above``."""
    staff = agency_staff(ds)
    return np.array(
        [
            int(staff.get(a, 0)) > policies.policy_for(a).unit_search_above
            for a in map(str, agencies)
        ],
        dtype=bool,
    )


def matching_groups(ds: Dataset, policies: MentorPolicies, nips: pd.Series) -> np.ndarray:
    """The group each of ``nips`` (known employees) is matched with mentors in: their
    agency, or ``agency|unit`` where the agency searches unit by unit (:func:`unit_scoped`)."""
    employees = ds.employees
    rows = id_positions(pd.Series(nips, dtype=ID_DTYPE), employees["nip"])
    agency = employees["agency"].astype(str).to_numpy(dtype=object)[rows]
    names = pd.unique(agency)
    by_unit = np.isin(agency, names[unit_scoped(ds, policies, names)])
    groups = agency.copy()
    unit = employees["unit"].astype(str).to_numpy(dtype=object)[rows[by_unit]]
    groups[by_unit] = agency[by_unit] + "|" + unit
    return groups


def seniority(employees: pd.DataFrame) -> np.ndarray:
    """Position-type rank × 100 + grade index, per employee (NaN where unknown): one step
    is one golongan ruang; a higher position type is always more senior."""
    rank = employees["position_type"].astype(str).map(POSITION_SENIORITY).to_numpy(dtype=float)
    grade = pd.Categorical(employees["grade"].astype(str), categories=GRADES).codes.astype(float)
    grade[grade < 0] = np.nan
    return rank * 100 + grade


def mentoring_record(ds: Dataset, nips: pd.Series, when: pd.Timestamp) -> pd.DataFrame:
    """Each NIP's record as a mentor from mentorships that ended before ``when``, one row
    per NIP in order: ``n_completed``, ``n_rated`` (those with a mentee rating) and
    ``rating_mean`` (their plain mean mentee rating, 1–5; NaN without any): what the
    evidence rule reads (unlike the effect model's feature, not shrunk: a rule HR can
    check by hand)."""
    m = ds.mentorships
    m = m[id_isin(m["mentor_nip"], nips)]  # only their own
    ended = m[m["end_date"].notna() & (m["end_date"] < pd.Timestamp(when))]
    grouped = ended.groupby(ended["mentor_nip"].astype(str), sort=False)["mentee_rating"]
    stats = pd.DataFrame(
        {"n_completed": grouped.size(), "n_rated": grouped.count(), "rating_mean": grouped.mean()}
    )
    out = stats.reindex(pd.Series(nips).astype(str).to_numpy())
    out[["n_completed", "n_rated"]] = out[["n_completed", "n_rated"]].fillna(0).astype("int64")
    out["rating_mean"] = out["rating_mean"].astype(float)
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Roster:
    """Who may mentor whom: the employees of a data set (or a chosen set of them) with the
    facts eligibility needs, as of one date, and the policies that decide."""

    nip: pd.Series
    agency: np.ndarray  # code of the agency; names in agency_names
    agency_names: np.ndarray
    unit: np.ndarray
    region: np.ndarray
    remote: np.ndarray
    seniority: np.ndarray
    supervisor: np.ndarray  # row of the direct supervisor, -1 if none in the roster
    active: np.ndarray
    last_rating: np.ndarray  # index into RATINGS of the last appraisal, -1 if none
    n_rated: np.ndarray  # completed mentorships rated by the mentee (mentoring_record)
    rating_mean: np.ndarray  # their mean mentee rating, NaN without any
    policies: MentorPolicies
    index: pd.Index
    unit_scoped: np.ndarray  # per agency code: mentors are searched unit by unit

    @classmethod
    def build(
        cls,
        ds: Dataset,
        people: pd.Series | None,
        when: pd.Timestamp,
        agencies: np.ndarray | None = None,
        policies: MentorPolicies | None = None,
        groups: np.ndarray | None = None,
    ) -> Roster:
        """The roster of ``people`` (None: every active employee, of ``agencies`` and of
        the matching ``groups`` (:func:`matching_groups`) if given) under ``policies``
        (None: the built-in default). Policies for agencies that are not in ``ds`` are a
        :class:`~recsys.models.mentors.policy.PolicyError`."""
        policies = MentorPolicies() if policies is None else policies
        policies.check_agencies(agency_staff(ds).index)  # the whole data set's, in a part
        emp = ds.employees
        if people is None:
            emp = emp[emp["active"]]
            if agencies is not None:
                emp = emp[emp["agency"].astype(str).isin(agencies)]
            if groups is not None:
                emp = emp[np.isin(matching_groups(ds, policies, emp["nip"]), groups)]
        else:
            wanted = pd.Index(pd.Series(people).astype(ID_DTYPE), name="nip")
            emp = emp.set_index("nip").reindex(wanted).reset_index()
        emp = emp.reset_index(drop=True)
        nip = emp["nip"].astype(ID_DTYPE)
        index = pd.Index(nip.astype(str))
        last = appraisal_features(ds, pd.DataFrame({"nip": nip, AS_OF: when}))
        rank = last["last_rating_rank"].to_numpy(dtype=float)
        record = mentoring_record(ds, nip, when)
        agency, agency_names = pd.factorize(emp["agency"].astype(str))
        return cls(
            nip=nip,
            agency=agency,
            agency_names=np.asarray(agency_names, dtype=object),
            unit=pd.factorize(emp["agency"].astype(str) + "|" + emp["unit"].astype(str))[0],
            region=pd.factorize(emp["region"].astype(str))[0],
            remote=emp["remote_area"].to_numpy(dtype=bool),
            seniority=seniority(emp),
            supervisor=index.get_indexer(pd.Index(emp["supervisor_nip"].astype(object).fillna(""))),
            active=emp["active"].to_numpy(dtype=bool),
            last_rating=np.where(np.isnan(rank), -1, np.nan_to_num(rank)).astype(int),
            n_rated=record["n_rated"].to_numpy(),
            rating_mean=record["rating_mean"].to_numpy(),
            policies=policies,
            index=index,
            unit_scoped=unit_scoped(ds, policies, agency_names),
        )

    @cached_property
    def nip_text(self) -> pd.api.extensions.ExtensionArray:
        """:attr:`nip` as pandas' default text (``str``, what a frame of Python strings
        holds), made once: scored pairs take their NIPs from it by roster row."""
        return self.nip.astype("str").array

    @cached_property
    def can_mentor(self) -> np.ndarray:
        """Who may mentor some mentee of the roster's agencies by their agency's policy
        (:meth:`may_mentor`, within the agency where the policy says so), before the
        pair rules."""
        can = np.zeros(len(self.nip), dtype=bool)
        qualified: dict[MentorPolicy, np.ndarray] = {}
        for code in range(len(self.agency_names)):
            policy = self.policy(code)
            if policy not in qualified:
                qualified[policy] = self.may_mentor(policy)
            mask = qualified[policy]
            can |= mask & (self.agency == code) if policy.same_agency else mask
        return can

    def policy(self, agency: int) -> MentorPolicy:
        """The policy of the agency with code ``agency``."""
        return self.policies.policy_for(self.agency_names[agency])

    def may_mentor(self, policy: MentorPolicy) -> np.ndarray:
        """Who may mentor under ``policy``, before the pair rules (seniority, agency,
        supervisor): active, with a last appraisal in its ratings or, by the evidence rule,
        a good mentoring record."""
        return self.active & policy.qualifies(self.last_rating, self.n_rated, self.rating_mean)

    def by_record(self, policy: MentorPolicy) -> np.ndarray:
        """Who may mentor under ``policy`` only thanks to the evidence rule (their last
        appraisal alone would leave them out)."""
        rated_well = policy.by_record(self.n_rated, self.rating_mean)
        return self.active & rated_well & ~np.isin(self.last_rating, policy.rating_ranks)

    def row(self, nips: pd.Series) -> np.ndarray:
        """Roster rows of ``nips``; unknown ones are an :class:`UnknownEmployeeError`."""
        rows = id_positions(nips, self.index)
        if (rows < 0).any():
            wanted = pd.Series(nips).astype(str).to_numpy()
            raise UnknownEmployeeError(sorted(set(wanted[rows < 0])))
        return rows

    def matrices(
        self,
        mentee_rows: np.ndarray,
        *,
        any_performance: bool = False,
        only: np.ndarray | None = None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """A block of mentees of one agency (or of one unit, where the agency searches unit
        by unit) at a time: (mentee rows, the mentor rows their agency's policy allows, the
        eligibility matrix). Eligible by the mentee's agency's policy (module docstring);
        with ``any_performance`` whatever the mentor's appraisal and record; and (if
        ``only`` is given: a mask over the roster) in that pool."""
        order = np.argsort(self.agency[mentee_rows], kind="stable")
        mentee_rows = mentee_rows[order]
        qualified: dict[MentorPolicy, np.ndarray] = {}
        for agency in pd.unique(self.agency[mentee_rows]):
            policy = self.policy(agency)
            if policy not in qualified:
                qualified[policy] = self.active if any_performance else self.may_mentor(policy)
            pool = qualified[policy]
            if only is not None:
                pool = pool & only
            if policy.same_agency:
                pool = pool & (self.agency == agency)
            group = mentee_rows[self.agency[mentee_rows] == agency]
            if not self.unit_scoped[agency]:
                yield from self._matrices(group, np.flatnonzero(pool), policy)
                continue
            for unit in pd.unique(self.unit[group]):
                yield from self._matrices(
                    group[self.unit[group] == unit],
                    np.flatnonzero(pool & (self.unit == unit)),
                    policy,
                )

    def _matrices(
        self, group: np.ndarray, mentors: np.ndarray, policy: MentorPolicy
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """:meth:`matrices` of mentees ``group`` among ``mentors``, block by block."""
        step = max(1, PAIR_BLOCK // max(len(mentors), 1))
        for start in range(0, len(group), step):
            block = group[start : start + step]
            senior = self.seniority[block][:, None] + policy.senior_steps
            ok = self.seniority[mentors][None, :] >= senior
            ok &= mentors[None, :] != block[:, None]
            if not policy.allow_supervisor:
                ok &= mentors[None, :] != self.supervisor[block][:, None]
            yield block, mentors, ok

    def blocks(
        self,
        mentee_rows: np.ndarray,
        *,
        any_performance: bool = False,
        only: np.ndarray | None = None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Eligible (mentee row, mentor row) pairs (see :meth:`matrices`)."""
        for block, mentors, ok in self.matrices(
            mentee_rows, any_performance=any_performance, only=only
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
    policies: MentorPolicies | None = None,
    allow_supervisor: bool | None = None,
    any_performance: bool = False,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Every eligible (mentee, mentor) pair of active mentees ``nips`` (columns nip,
    mentor_nip, distance), by the rules of the module docstring under ``policies`` (None:
    the built-in default); ``allow_supervisor`` (if given) replaces every agency's
    supervisor rule; with ``any_performance`` a mentor's last appraisal and record do not
    matter (the oracle's view)."""
    policies = MentorPolicies() if policies is None else policies
    if allow_supervisor is not None:
        policies = policies.replace_all(allow_supervisor=allow_supervisor)
    roster = Roster.build(ds, None, decision_date(ds, as_of), policies=policies)
    rows = roster.row(unique_nips(nips))
    parts = [
        pd.DataFrame(
            {
                "nip": roster.nip.to_numpy()[i],
                "mentor_nip": roster.nip.to_numpy()[j],
                "distance": np.asarray(DISTANCES, dtype=object)[roster.distance(i, j)],
            }
        )
        for i, j in roster.blocks(rows, any_performance=any_performance)
    ]
    if not parts:
        return pd.DataFrame(columns=["nip", "mentor_nip", "distance"])
    return pd.concat(parts, ignore_index=True)
