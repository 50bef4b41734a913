"""The people of the demo world: who they are, where they work, what they can do.

One call makes one chunk of employees; chunks are independent slices of the same population,
so any number of employees is made a chunk at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.data import nip as nipcodes
from recsys.data.contract import EDUCATION_LEVELS, GRADES, POSITION_TYPES
from recsys.simulation.catalog import AGENCIES, POSITION_RANK
from recsys.simulation.mechanism import (
    MECHANISM,
    MENTOR_SKILL_MEDIAN,
    MENTOR_SKILL_SD,
    Mechanism,
    fit_groups,
)

_FIRST_M = (
    "Budi",
    "Agus",
    "Ahmad",
    "Andi",
    "Rudi",
    "Hendra",
    "Dedi",
    "Joko",
    "Eko",
    "Bambang",
    "Yusuf",
    "Rizky",
    "Fajar",
    "Arif",
    "Hadi",
    "Irwan",
    "Syahrul",
    "Fauzi",
    "Zulkifli",
    "Afrizal",
    "Yuliandri",
    "Dodi",
    "Teguh",
    "Wahyu",
    "Slamet",
    "Sutrisno",
    "Gilang",
    "Taufik",
    "Ilham",
    "Muhammad",
    "Reza",
    "Aditya",
    "Bayu",
    "Dimas",
    "Heru",
    "Iwan",
    "Rahmat",
    "Syafri",
    "Nofriadi",
    "Erwin",
)
_FIRST_F = (
    "Siti",
    "Sri",
    "Dewi",
    "Rina",
    "Yuli",
    "Nurul",
    "Fitri",
    "Wulan",
    "Ratna",
    "Lestari",
    "Ayu",
    "Indah",
    "Putri",
    "Novi",
    "Desi",
    "Rahmawati",
    "Yusnita",
    "Elfi",
    "Mardiana",
    "Suryani",
    "Endang",
    "Tuti",
    "Nur",
    "Dian",
    "Anisa",
    "Ika",
    "Maya",
    "Vivi",
    "Rosmaini",
    "Fadhila",
    "Nelly",
    "Winda",
    "Linda",
    "Mega",
    "Retno",
    "Kartika",
    "Yeni",
    "Hasnah",
    "Murni",
    "Erna",
)
_LAST = (
    "Santoso",
    "Saputra",
    "Hidayat",
    "Pratama",
    "Wijaya",
    "Kurniawan",
    "Setiawan",
    "Nugroho",
    "Siregar",
    "Harahap",
    "Nasution",
    "Lubis",
    "Putra",
    "Rahman",
    "Syahputra",
    "Susanto",
    "Wibowo",
    "Hartono",
    "Gunawan",
    "Firmansyah",
    "Maulana",
    "Prasetyo",
    "Utomo",
    "Handayani",
    "Permata",
    "Sari",
    "Anggraini",
    "Wahyuni",
    "Lestari",
    "Marlina",
    "Yanti",
    "Fitriani",
    "Rahmadani",
    "Hasibuan",
    "Chaniago",
    "Piliang",
    "Tanjung",
    "Koto",
    "Sikumbang",
    "Caniago",
)

#: Share of staff by position type; units without a head of agency turn jpt into
#: administrator.
_PTYPE_SHARE = {
    "jpt": 0.008,
    "administrator": 0.045,
    "pengawas": 0.12,
    "pelaksana": 0.45,
    "fungsional": 0.377,
}
_EDU_BY_PTYPE = {
    "jpt": {"S1": 0.15, "S2": 0.7, "S3": 0.15},
    "administrator": {"S1": 0.4, "S2": 0.55, "S3": 0.05},
    "pengawas": {"D3": 0.05, "D4": 0.05, "S1": 0.7, "S2": 0.2},
    "pelaksana": {"SD": 0.02, "SMP": 0.03, "SMA": 0.4, "D3": 0.2, "S1": 0.35},
    "fungsional": {"D3": 0.1, "D4": 0.1, "S1": 0.65, "S2": 0.15},
}
#: Entry grade index (into GRADES) by education.
_ENTRY_GRADE = {"SD": 0, "SMP": 2, "SMA": 4, "D3": 6, "D4": 8, "S1": 8, "S2": 9, "S3": 10}
_GRADE_BOUNDS = {
    "jpt": (13, 16),
    "administrator": (11, 15),
    "pengawas": (9, 13),
    "pelaksana": (0, 11),
    "fungsional": (6, 15),
}
_MIN_AGE = {
    "jpt": 45.0,
    "administrator": 38.0,
    "pengawas": 30.0,
    "pelaksana": 21.0,
    "fungsional": 23.0,
}
_MIN_TENURE = {
    "jpt": 15.0,
    "administrator": 10.0,
    "pengawas": 5.0,
    "pelaksana": 0.0,
    "fungsional": 0.0,
}
#: Share of staff hired in the last two years of the history (no record yet: cold start).
NEW_HIRE_SHARE = 0.05
#: Share who left the service during the history (active = false).
LEFT_SHARE = 0.03
RETIREMENT_AGE = 58.0


@dataclass
class Population:
    """One chunk of employees: the contract table and the latent traits behind it."""

    employees: pd.DataFrame  # contract columns
    unit_idx: np.ndarray
    position_idx: np.ndarray
    ptype_idx: np.ndarray
    agency_idx: np.ndarray
    region_code: np.ndarray
    remote: np.ndarray
    central: np.ndarray
    grade_idx: np.ndarray
    hire_year: np.ndarray
    exit_year: np.ndarray  # last year in service (9999 while active)
    ability: np.ndarray
    learn_rate: np.ndarray
    mentor_skill: np.ndarray
    person_effect: np.ndarray  # SKP points, persistent
    seniority: np.ndarray  # position rank × 100 + grade index
    fit_group: np.ndarray  # group of the mechanism's fit attribute (mechanism.fit_groups)

    def __len__(self) -> int:
        return len(self.employees)


class NipAllocator:
    """Hands out NIP sequence numbers so that NIPs stay unique across chunks."""

    def __init__(self) -> None:
        self._keys = np.empty(0, dtype=np.int64)
        self._counts = np.empty(0, dtype=np.int64)

    def allocate(self, prefixes: np.ndarray) -> np.ndarray:
        """Sequence numbers (1-999) for NIPs sharing ``prefixes`` (int codes of the first
        15 digits)."""
        order = np.argsort(prefixes, kind="stable")
        sorted_prefixes = prefixes[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_prefixes)) + 1]
        group_start = np.repeat(starts, np.diff(np.r_[starts, len(prefixes)]))
        local_rank = np.arange(len(prefixes)) - group_start
        prior = np.zeros(len(prefixes), dtype=np.int64)
        if len(self._keys):
            pos = np.minimum(np.searchsorted(self._keys, sorted_prefixes), len(self._keys) - 1)
            known = self._keys[pos] == sorted_prefixes
            prior[known] = self._counts[pos[known]]
        seq_sorted = prior + local_rank + 1
        if seq_sorted.max(initial=0) > 999:
            raise RuntimeError("more than 999 employees share a NIP prefix")
        sequence = np.empty_like(seq_sorted)
        sequence[order] = seq_sorted
        keys, counts = np.unique(prefixes, return_counts=True)
        all_keys = np.concatenate([self._keys, keys])
        all_counts = np.concatenate([self._counts, counts])
        self._keys, inverse = np.unique(all_keys, return_inverse=True)
        self._counts = np.bincount(inverse, weights=all_counts).astype(np.int64)
        return sequence


def _choice_by_group(
    rng: np.random.Generator, groups: np.ndarray, options: dict[int, tuple[np.ndarray, np.ndarray]]
) -> np.ndarray:
    """For each row, draw from ``options[group] = (values, probabilities)``."""
    out = np.empty(len(groups), dtype=np.int64)
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        values, probs = options[int(g)]
        out[rows] = rng.choice(values, size=len(rows), p=probs)
    return out


def make_population(
    rng: np.random.Generator,
    n: int,
    units: pd.DataFrame,
    positions: pd.DataFrame,
    history_end: pd.Timestamp,
    nips: NipAllocator,
    mech: Mechanism = MECHANISM,
) -> Population:
    """Make ``n`` employees as they stand at ``history_end``."""
    agency_weight = units["agency_idx"].map(lambda i: AGENCIES[i].weight).to_numpy()
    unit_p = units["weight"].to_numpy() * agency_weight
    unit_idx = rng.choice(len(units), size=n, p=unit_p / unit_p.sum())
    domain = units["domain"].to_numpy()[unit_idx]

    ptypes = np.array(POSITION_TYPES)
    share = np.array([_PTYPE_SHARE[p] for p in POSITION_TYPES])
    ptype_idx = rng.choice(len(ptypes), size=n, p=share)
    no_head = np.isin(domain, ("KECAMATAN", "PUSKESMAS"))
    ptype_idx[no_head & (ptype_idx == 0)] = 1

    # Position: one of the domain's positions of that type (3 in 4), or a shared one.
    domain_code, domain_names = pd.factorize(domain)
    group = domain_code * 10 + ptype_idx
    options = {
        int(g): _position_options(positions, str(domain_names[g // 10]), POSITION_TYPES[g % 10])
        for g in np.unique(group)
    }
    position_idx = _choice_by_group(rng, group, options)
    pos_type = positions["position_type"].to_numpy()
    ptype_idx = np.array([POSITION_TYPES.index(t) for t in pos_type[position_idx]])
    ptype_names = ptypes[ptype_idx]

    gender = np.where(rng.random(n) < 0.52, "M", "F")
    first = np.where(
        gender == "M",
        np.array(_FIRST_M)[rng.integers(0, len(_FIRST_M), n)],
        np.array(_FIRST_F)[rng.integers(0, len(_FIRST_F), n)],
    )
    last = np.array(_LAST)[rng.integers(0, len(_LAST), n)]
    name = np.char.add(np.char.add(first.astype(str), " "), last.astype(str))

    # Age at the end of the history, age at hire (TMT CPNS, 18.5-35) and tenure.
    min_tenure = np.array([_MIN_TENURE[p] for p in ptype_names])
    new_hire = (rng.random(n) < NEW_HIRE_SHARE) & (min_tenure == 0)
    min_age = np.array([_MIN_AGE[p] for p in ptype_names])
    age = rng.uniform(min_age, RETIREMENT_AGE)
    hire_age = np.clip(19.0 + rng.gamma(2.0, 2.5, n), 18.5, 35.0)
    # seniors were hired young enough to have their minimum tenure
    hire_age = np.maximum(np.minimum(hire_age, age - min_tenure - rng.uniform(0, 2, n)), 18.5)
    age = np.where(new_hire, hire_age + rng.uniform(0.1, 2.0, n), age)
    tenure = age - hire_age
    birth = history_end - pd.to_timedelta(np.floor(age * 365.25), unit="D")
    hire_exact = birth + pd.to_timedelta(np.ceil(hire_age * 365.25), unit="D")
    hire = pd.DatetimeIndex(hire_exact).to_period("M").to_timestamp()  # TMT: 1st of a month

    education = np.array(EDUCATION_LEVELS)
    edu = np.empty(n, dtype=object)
    for p in POSITION_TYPES:
        rows = np.flatnonzero(ptype_names == p)
        levels, probs = zip(*_EDU_BY_PTYPE[p].items(), strict=True)
        edu[rows] = rng.choice(levels, size=len(rows), p=probs)
    edu = edu.astype(str)
    assert set(np.unique(edu)) <= set(education)

    grade_idx = np.array([_ENTRY_GRADE[e] for e in edu]) + np.floor(
        tenure / rng.uniform(3.5, 5.5, n)
    ).astype(int)
    lo = np.array([_GRADE_BOUNDS[p][0] for p in ptype_names])
    hi = np.array([_GRADE_BOUNDS[p][1] for p in ptype_names])
    grade_idx = np.clip(grade_idx, lo, hi)

    hire_year = hire.year.to_numpy()
    left = (rng.random(n) < LEFT_SHARE) & (tenure > 3)
    exit_year = np.where(left, rng.integers(2021, history_end.year + 1, n), 9999)

    u = units.iloc[unit_idx]
    sequence = nips.allocate(
        birth.strftime("%Y%m%d").astype(np.int64).to_numpy() * 10_000_000
        + hire.strftime("%Y%m").astype(np.int64).to_numpy() * 10
        + np.where(gender == "M", 1, 2)
    )
    gender_s = pd.Series(gender)
    employees = pd.DataFrame(
        {
            "nip": nipcodes.compose(pd.Series(birth), pd.Series(hire), gender_s, sequence),
            "name": name,
            "gender": gender,
            "birth_date": birth.normalize(),
            "agency": u["agency"].to_numpy(),
            "unit": u["unit"].to_numpy(),
            "region": u["region"].to_numpy(),
            "remote_area": u["remote_area"].to_numpy(),
            "position": positions["position"].to_numpy()[position_idx],
            "position_type": ptype_names,
            "grade": np.array(GRADES)[grade_idx],
            "education": edu,
            "hire_date": hire,
            "supervisor_nip": pd.array([None] * n, dtype="string[pyarrow]"),
            "active": exit_year == 9999,
        }
    )
    rank = np.array([POSITION_RANK[p] for p in ptype_names])
    seniority = rank * 100 + grade_idx
    unit_arr = np.asarray(unit_idx)
    sup = _pick_supervisors(rng, unit_arr, rank)
    has_sup = sup >= 0
    employees.loc[has_sup, "supervisor_nip"] = employees["nip"].to_numpy()[sup[has_sup]]

    ability = rng.standard_normal(n)
    struggling = rng.random(n) < mech.struggling_share
    person_effect = (
        mech.ability_points * ability
        + mech.person_points * rng.standard_normal(n)
        + np.where(struggling, mech.struggling_points, 0.0)
    )
    region_codes = pd.factorize(u["region"])[0]
    return Population(
        employees=employees,
        unit_idx=unit_arr,
        position_idx=position_idx,
        ptype_idx=ptype_idx,
        agency_idx=u["agency_idx"].to_numpy(),
        region_code=region_codes,
        remote=u["remote_area"].to_numpy().astype(bool),
        central=u["central"].to_numpy().astype(bool),
        grade_idx=grade_idx,
        hire_year=hire_year,
        exit_year=exit_year,
        ability=ability,
        learn_rate=np.exp(0.3 * rng.standard_normal(n)),
        mentor_skill=np.clip(
            rng.lognormal(np.log(MENTOR_SKILL_MEDIAN), MENTOR_SKILL_SD, n), 0.02, 1.0
        ),
        person_effect=person_effect,
        seniority=seniority,
        fit_group=fit_groups(mech.fit_attribute, u["remote_area"].to_numpy(), edu, age),
    )


def _position_options(
    positions: pd.DataFrame, domain: str, ptype: str
) -> tuple[np.ndarray, np.ndarray]:
    """Positions open to someone of ``ptype`` in ``domain``, with their probabilities."""
    of_type = positions["position_type"].to_numpy() == ptype
    own = np.flatnonzero(of_type & (positions["domain"].to_numpy() == domain))
    shared = np.flatnonzero(of_type & (positions["domain"].to_numpy() == "*"))
    if len(own) == 0:
        return shared, np.full(len(shared), 1.0 / len(shared))
    if len(shared) == 0:
        return own, np.full(len(own), 1.0 / len(own))
    probs = np.r_[np.full(len(own), 0.75 / len(own)), np.full(len(shared), 0.25 / len(shared))]
    return np.r_[own, shared], probs


def _pick_supervisors(rng: np.random.Generator, unit: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Index of each employee's supervisor (same unit, the next rank up that exists), or -1."""
    n = len(unit)
    sup = np.full(n, -1)
    key = unit.astype(np.int64) * 10 + rank
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    for step in (1, 2, 3, 4):
        need = (sup < 0) & (rank + step <= 4)
        if not need.any():
            break
        want = key[need] + step
        left = np.searchsorted(sorted_key, want, side="left")
        right = np.searchsorted(sorted_key, want, side="right")
        found = right > left
        pick = left + np.floor(rng.random(need.sum()) * (right - left)).astype(int)
        rows = np.flatnonzero(need)[found]
        sup[rows] = order[pick[found]]
    return sup
