"""Each agency's mentoring policy: who may mentor whom, and how many mentees a mentor takes.

A :class:`MentorPolicy` holds the rules; :class:`MentorPolicies` a default policy and
per-agency overrides, read from one settings source (:func:`policies_from_settings`): the
settings ``RECSYS_MENTOR_ALLOW_SUPERVISOR`` and ``RECSYS_MENTOR_CAPACITY`` give the default
its supervisor rule and capacity, and the policy file named by ``RECSYS_MENTOR_POLICY``
(YAML or TOML; see docs/mentoring-policy.md) overrides any rule, for every agency
(``default:``) or for one (``agencies:``). The mentee's agency decides who may mentor them;
the mentor's agency decides how many mentees the mentor takes (it is their working time).

The built-in default follows Perlan LAN 10/2018 (coaching and mentoring by the direct
supervisor or a senior colleague): the supervisor may mentor, a colleague at least one step
more senior may, if their last appraisal was ``baik`` or better or their past mentees rated
them well (the evidence rule), within the agency, at most three mentees at once.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from recsys.data.contract import ID_DTYPE, RATINGS
from recsys.data.loading import Dataset
from recsys.models.requests import check_known, unique_nips
from recsys.settings import Settings, get_settings

#: Sections of a policy file.
FILE_SECTIONS = ("default", "agencies")
#: Suffixes of a policy file and how each is read.
FILE_SUFFIXES = (".yaml", ".yml", ".toml")


class PolicyError(ValueError):
    """A mentoring policy that cannot be used; the message names the rule (``key``) and,
    for a policy file, the file and the section."""

    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key


def _bad(key: str, expected: str, value: Any) -> PolicyError:
    return PolicyError(f"{key} must be {expected}, got {value!r}", key)


@dataclass(frozen=True)
class MentorPolicy:
    """The mentoring rules of an agency.

    - ``senior_steps``: how many steps more senior than the mentee a colleague must be
      (:func:`~recsys.models.mentors.eligibility.seniority`: a higher position type always
      counts as more senior, then each golongan ruang is a step); 0 = at least as senior.
    - ``ratings``: last appraisal ratings (SKP predikat) that qualify a colleague to mentor.
    - ``allow_supervisor``: may the mentee's direct supervisor be their mentor.
    - ``same_agency``: only colleagues of the mentee's own agency.
    - ``capacity``: mentees a mentor takes at once, ongoing mentorships included.
    - ``evidence``: the evidence rule: a colleague whose completed mentorships the mentees
      rated ``evidence_min_rating`` (1–5) or more on average, over at least
      ``evidence_min_rated`` rated mentorships, qualifies whatever their last appraisal.
      It lifts only the ratings rule: being active, not the mentee, the agency, the
      supervisor and the seniority rules always hold.
    - ``unit_search_above``: in an agency with more active staff than this, a mentee's
      candidates are the colleagues of their own unit kerja (and the mentor matching is
      solved unit by unit). Searching a whole agency of 175,000 staff would weigh 10¹⁰
      pairs; a senior colleague at work is the mentor Perlan LAN 10/2018 describes.
    """

    senior_steps: int = 1
    ratings: tuple[str, ...] = ("baik", "sangat_baik")
    allow_supervisor: bool = True
    same_agency: bool = True
    capacity: int = 3
    evidence: bool = True
    evidence_min_rating: float = 4.0
    evidence_min_rated: int = 1
    unit_search_above: int = 30_000

    def __post_init__(self) -> None:
        for key in ("allow_supervisor", "same_agency", "evidence"):
            if not isinstance(getattr(self, key), bool | np.bool_):
                raise _bad(key, "true or false", getattr(self, key))
            object.__setattr__(self, key, bool(getattr(self, key)))
        for key, least in (
            ("senior_steps", 0),
            ("capacity", 1),
            ("evidence_min_rated", 1),
            ("unit_search_above", 0),
        ):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
                raise _bad(key, f"a whole number ≥ {least}", value)
            object.__setattr__(self, key, int(value))
        rating = self.evidence_min_rating
        if (
            isinstance(rating, bool)
            or not isinstance(rating, int | float | np.number)
            or not math.isfinite(float(rating))
            or not 1 <= float(rating) <= 5
        ):
            raise _bad("evidence_min_rating", "a number from 1 to 5 (a mentee rating)", rating)
        object.__setattr__(self, "evidence_min_rating", float(rating))
        ratings = self.ratings
        if isinstance(ratings, str) or not isinstance(ratings, Iterable):
            raise _bad("ratings", f"a list of ratings out of {', '.join(RATINGS)}", ratings)
        listed = list(ratings)
        if not listed or any(r not in RATINGS for r in listed):
            raise _bad(
                "ratings", f"a non-empty list of ratings out of {', '.join(RATINGS)}", listed
            )
        object.__setattr__(self, "ratings", tuple(r for r in RATINGS if r in listed))

    @property
    def rating_ranks(self) -> np.ndarray:
        """Indices into :data:`~recsys.data.contract.RATINGS` of :attr:`ratings`."""
        return np.array([RATINGS.index(r) for r in self.ratings])

    def qualifies(
        self, last_rating: np.ndarray, n_rated: np.ndarray, rating_mean: np.ndarray
    ) -> np.ndarray:
        """Whether colleagues qualify to mentor by performance: their last appraisal
        (``last_rating``: index into RATINGS, -1 if none) is in :attr:`ratings`, or (the
        evidence rule, if on) their completed mentorships were rated well (``n_rated``
        rated ones with mean mentee rating ``rating_mean``)."""
        ok = np.isin(last_rating, self.rating_ranks)
        return ok | self.by_record(n_rated, rating_mean)

    def by_record(self, n_rated: np.ndarray, rating_mean: np.ndarray) -> np.ndarray:
        """Whether the evidence rule admits colleagues (all False when it is off)."""
        if not self.evidence:
            return np.zeros(len(n_rated), dtype=bool)
        with np.errstate(invalid="ignore"):
            return (np.asarray(n_rated) >= self.evidence_min_rated) & (
                np.asarray(rating_mean, dtype=float) >= self.evidence_min_rating
            )


#: Rules a policy sets (the keys of a policy file's sections).
POLICY_KEYS = tuple(f.name for f in fields(MentorPolicy))


@dataclass(frozen=True)
class MentorPolicies:
    """A default :class:`MentorPolicy` and per-agency overrides (agency name → policy)."""

    default: MentorPolicy = field(default_factory=MentorPolicy)
    agencies: Mapping[str, MentorPolicy] = field(default_factory=dict)
    #: Where the policies come from (for messages).
    source: str = field(default="built-in defaults", compare=False)

    def policy_for(self, agency: str) -> MentorPolicy:
        """The policy of ``agency`` (the default where it has no override)."""
        return self.agencies.get(str(agency), self.default)

    def replace_all(self, **changes: Any) -> MentorPolicies:
        """These policies with ``changes`` made to the default and every agency's."""
        return MentorPolicies(
            default=replace(self.default, **changes),
            agencies={name: replace(p, **changes) for name, p in self.agencies.items()},
            source=self.source,
        )

    def check_agencies(self, known: Iterable[str]) -> None:
        """:class:`PolicyError` naming agencies with an override that are not among
        ``known`` (the data set's agencies): most likely a misspelt name, whose staff
        would otherwise silently get the default."""
        names = set(pd.Series(list(known), dtype=object).astype(str))
        unknown = sorted(set(self.agencies) - names)
        if unknown:
            listed = ", ".join(repr(u) for u in unknown)
            are = "agency {} is" if len(unknown) == 1 else "agencies {} are"
            raise PolicyError(
                f"{self.source}: {are.format(listed)} not in the data (agencies in the data: "
                f"{'; '.join(sorted(names))})",
                "agencies",
            )

    @classmethod
    def from_mapping(
        cls, data: Any, *, base: MentorPolicy | None = None, source: str = "mentor policy"
    ) -> MentorPolicies:
        """Policies from a parsed policy file: ``default`` (rules over ``base``) and
        ``agencies`` (agency name → rules over the default). Unknown sections, rules and
        bad values are a :class:`PolicyError` naming them."""
        base = MentorPolicy() if base is None else base
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise PolicyError(
                f"{source}: expected the sections {' and '.join(FILE_SECTIONS)}, "
                f"got {type(data).__name__}"
            )
        unknown = sorted(str(k) for k in data if k not in FILE_SECTIONS)
        if unknown:
            raise PolicyError(
                f"{source}: unknown section {unknown[0]!r} "
                f"(the sections are: {', '.join(FILE_SECTIONS)})",
                unknown[0],
            )
        default = _section(data.get("default"), base, source, "default")
        agencies_section = data.get("agencies") or {}
        if not isinstance(agencies_section, Mapping):
            raise PolicyError(
                f"{source}: agencies must map agency names to their rules, "
                f"got {type(agencies_section).__name__}",
                "agencies",
            )
        agencies: dict[str, MentorPolicy] = {}
        for name, rules in agencies_section.items():
            agency = str(name).strip()
            if not agency:
                raise PolicyError(f"{source}: an agency in agencies has an empty name", "agencies")
            if agency in agencies:
                raise PolicyError(f"{source}: agency {agency!r} is listed twice", "agencies")
            agencies[agency] = _section(rules, default, source, f"agencies[{agency!r}]")
        return cls(default=default, agencies=agencies, source=source)

    @classmethod
    def from_file(cls, path: str | Path, *, base: MentorPolicy | None = None) -> MentorPolicies:
        """Policies from a YAML (``.yaml``, ``.yml``) or TOML (``.toml``) policy file
        (:meth:`from_mapping`); a missing or unreadable file is a :class:`PolicyError`."""
        path = Path(path)
        source = f"mentor policy {path}"
        if path.suffix.lower() not in FILE_SUFFIXES:
            raise PolicyError(f"{source}: a policy file is {', '.join(FILE_SUFFIXES)}")
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"{source}: cannot be read ({exc.strerror or exc})") from exc
        try:
            if path.suffix.lower() == ".toml":
                data: Any = tomllib.loads(text)
            else:
                data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader
        except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
            raise PolicyError(f"{source}: not valid {path.suffix[1:].upper()}: {exc}") from exc
        return cls.from_mapping(data, base=base, source=source)


def _section(rules: Any, base: MentorPolicy, source: str, where: str) -> MentorPolicy:
    """``base`` with the ``rules`` of one section of a policy file."""
    if rules is None:
        return base
    if not isinstance(rules, Mapping):
        raise PolicyError(
            f"{source}: {where} must map rules ({', '.join(POLICY_KEYS)}) to values, "
            f"got {type(rules).__name__}",
            where,
        )
    unknown = sorted(str(k) for k in rules if k not in POLICY_KEYS)
    if unknown:
        raise PolicyError(
            f"{source}: {where}: unknown rule {unknown[0]!r} (the rules are: "
            f"{', '.join(POLICY_KEYS)})",
            unknown[0],
        )
    try:
        return replace(base, **{str(k): v for k, v in rules.items()})
    except PolicyError as exc:
        raise PolicyError(f"{source}: {where}.{exc}", exc.key) from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (YAML would keep the
    last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def policies_from_settings(settings: Settings | None = None) -> MentorPolicies:
    """The mentoring policies of the settings (default: the process's): the built-in
    default with ``RECSYS_MENTOR_ALLOW_SUPERVISOR`` and ``RECSYS_MENTOR_CAPACITY``, then
    the file of ``RECSYS_MENTOR_POLICY`` if set."""
    settings = get_settings() if settings is None else settings
    base = MentorPolicy(
        allow_supervisor=settings.mentor_allow_supervisor, capacity=settings.mentor_capacity
    )
    if settings.mentor_policy is None:
        return MentorPolicies(default=base, source="settings")
    return MentorPolicies.from_file(settings.mentor_policy, base=base)


# --------------------------------------------------------------------------- capacity


def _mentor_nips(ds: Dataset, mentor_nips: pd.Series | Iterable[str]) -> pd.Series:
    nips = unique_nips(pd.Series(list(mentor_nips), dtype=ID_DTYPE))
    check_known(ds, nips)
    return nips


def ongoing_mentorships(
    ds: Dataset, mentor_nips: pd.Series | Iterable[str], when: pd.Timestamp
) -> pd.Series:
    """Mentorships each mentor has running on ``when`` (started on or before it, with no
    end date or one after it): a Series indexed by ``mentor_nip``. Unknown NIPs are an
    :class:`~recsys.models.requests.UnknownEmployeeError`."""
    nips = _mentor_nips(ds, mentor_nips)
    m = ds.mentorships
    when = pd.Timestamp(when)
    running = (m["start_date"] <= when) & (m["end_date"].isna() | (m["end_date"] > when))
    counts = m.loc[running.fillna(False).to_numpy(dtype=bool), "mentor_nip"].astype(str)
    out = counts.value_counts().reindex(nips.astype(str), fill_value=0).astype("int64")
    return out.rename_axis("mentor_nip").rename("ongoing")


def mentor_capacity(
    ds: Dataset, mentor_nips: pd.Series | Iterable[str], policies: MentorPolicies
) -> pd.Series:
    """Each mentor's capacity (mentees at once) by their own agency's policy: a Series
    indexed by ``mentor_nip``."""
    nips = _mentor_nips(ds, mentor_nips)
    agency = ds.employees.set_index(ds.employees["nip"].astype(str))["agency"].astype(str)
    limits = [policies.policy_for(a).capacity for a in agency.reindex(nips.astype(str))]
    return pd.Series(
        limits, index=pd.Index(nips.astype(str), name="mentor_nip"), dtype="int64", name="capacity"
    )


def remaining_capacity(
    ds: Dataset,
    mentor_nips: pd.Series | Iterable[str],
    when: pd.Timestamp,
    policies: MentorPolicies,
) -> pd.Series:
    """Mentees each mentor can still take on ``when``: their capacity
    (:func:`mentor_capacity`) minus their :func:`ongoing_mentorships`, at least 0. A Series
    indexed by ``mentor_nip`` (each NIP once, in the order given)."""
    limits = mentor_capacity(ds, mentor_nips, policies)
    ongoing = ongoing_mentorships(ds, limits.index, when)
    return (limits - ongoing.to_numpy()).clip(lower=0).rename("remaining_capacity")
