"""``recsys match-mentors``: a cohort of mentees assigned to mentors, the most total
forecast gain with every mentor's capacity respected, written to a file.

A mentor's capacity is the mentees they take at once: their agency's mentoring policy
(:mod:`recsys.models.mentors.policy`), ``--capacity`` for every mentor, or the mentor pool
file's ``capacity`` column; their ongoing mentorships count against it in every case."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
import pandas as pd
import typer

from recsys.cli.champions import mentor_champion
from recsys.cli.console import console, fail, progress
from recsys.cli.data import load_data
from recsys.cli.messages import t
from recsys.cli.options import ColumnsOption, DataOption, LangOption, clean_nip, resolve_lang
from recsys.cli.output import check_out, write_frame
from recsys.data import Dataset, cohorts
from recsys.numbers import number
from recsys.settings import Language, get_settings

if TYPE_CHECKING:
    from recsys.models.mentors.policy import MentorPolicies

#: Largest candidate graph (mentee × mentor pairs) whose LP bound is computed by default:
#: the min-cost flow is exact at any size, the bound is its certificate, and HiGHS takes
#: about 14 s per million pairs (benchmarks/RESULTS.md, "Mentor matching").
BOUND_MAX_PAIRS = 1_000_000

#: Columns of a matched row in the assignment file (then ``status`` and ``note``).
ASSIGNMENT_COLUMNS = ("nip", "mentor_nip", "expected_gain", "gain_lower", "gain_upper", "distance")


def match_mentors_cmd(
    data: DataOption,
    out: Annotated[Path, typer.Option("--out", help="Assignment file: .csv, .parquet or .xlsx.")],
    mapping: ColumnsOption = None,
    capacity: Annotated[
        int | None,
        typer.Option(
            "--capacity",
            help="Mentees per mentor at once, ongoing mentorships included "
            "[default: the agency's mentoring policy, 3].",
        ),
    ] = None,
    agency: Annotated[
        str | None, typer.Option("--agency", help="Only this agency (instansi), by name.")
    ] = None,
    mentees: Annotated[
        Path | None,
        typer.Option(
            "--mentees",
            help="CSV with a nip column: the cohort. Default: every active pelaksana and "
            "fungsional (of the agency).",
        ),
    ] = None,
    mentors: Annotated[
        Path | None,
        typer.Option(
            "--mentors",
            help="CSV with a nip column (and optionally capacity): the mentor pool. "
            "Default: every eligible senior.",
        ),
    ] = None,
    bound: Annotated[
        bool | None,
        typer.Option(
            "--bound/--no-bound",
            help="Also compute the LP bound (a certificate of the exact matching) "
            f"[default: for up to {BOUND_MAX_PAIRS:,} candidate pairs].",
        ),
    ] = None,
    lang: LangOption = None,
) -> None:
    """Assign a cohort of mentees to mentors: the most total forecast gain with every
    mentor's capacity respected (exact min-cost flow; LP bound from HiGHS)."""
    lang = resolve_lang(lang)
    if capacity is not None and capacity < 1:
        fail(t("match.capacity", lang, capacity=capacity), lang)
    check_out(out, lang)
    mentee_list = read_mentee_list(mentees, lang) if mentees is not None else None
    pool = read_mentor_pool(mentors, capacity, lang) if mentors is not None else None
    policies = _policies(lang)
    dataset = load_data(data, lang, mapping)
    from recsys.models.mentors.policy import PolicyError
    from recsys.models.requests import InactiveEmployeeError, UnknownEmployeeError
    from recsys.planning import matching
    from recsys.planning.mentor_suggestions import GRAPH_TOP

    if agency is not None:
        _check_agency(dataset, agency, policies, lang)
    cohort = _cohort(dataset, agency, mentee_list, lang)
    if pool is not None:
        _check_known(dataset, pool.index, lang)
    model = mentor_champion(lang)
    try:
        with progress(t("matching", lang)) as update:
            graph = model.candidates(
                dataset,
                cohort,
                top=GRAPH_TOP,
                on_progress=lambda done, total: update("", done, total),
                mentors=None if pool is None else pool.index.tolist(),
            )
            limits = _room(dataset, graph, model.eligibility_policies(), capacity, pool)
            with_room = graph[graph["mentor_nip"].astype(str).isin(limits.index)]
            certify = len(with_room) <= BOUND_MAX_PAIRS if bound is None else bound
            result = matching.match(with_room, cohort, limits, bound=certify)
            greedy = matching.greedy(with_room, cohort, limits, bound=False)
    except UnknownEmployeeError as exc:
        fail(t("nip.unknown", lang, nips=", ".join(exc.nips[:5])), lang)
    except InactiveEmployeeError as exc:
        fail(t("nip.inactive", lang, nips=", ".join(exc.nips[:5])), lang)
    except PolicyError as exc:
        fail(str(exc), lang)
    # a mentee whose every candidate is already full is unmatched for capacity
    full = set(graph["nip"].astype(str)) - set(with_room["nip"].astype(str))
    result.unmatched.loc[result.unmatched["nip"].astype(str).isin(full), "reason"] = (
        matching.CAPACITY
    )
    assigned = result.assignments[list(ASSIGNMENT_COLUMNS)].assign(status="matched", note="")
    unmatched = result.unmatched.assign(
        status="unmatched",
        note=[t(f"reason.{code}", lang) for code in result.unmatched["reason"]],
    ).drop(columns=["reason", "n_candidates"])
    write_frame(pd.concat([assigned, unmatched], ignore_index=True), out, "mentor", lang)
    console.print(
        t(
            "match.summary" if certify else "match.summary_unbounded",
            lang,
            matched=result.n_matched,
            mentees=result.n_mentees,
            mentors=result.assignments["mentor_nip"].nunique(),
            capacity=_shown_capacity(capacity, pool, policies, agency),
            total=result.total_gain,
            bound=result.lp_bound,
            gap=max(result.gap, 0.0),  # a rounding-level negative shows as 0, not -0
            greedy=greedy.total_gain,
        )
    )
    if len(result.unmatched):
        counts = result.unmatched["reason"].value_counts()
        reasons = "; ".join(
            f"{t(f'reason.{code}', lang)} ({number(n, lang)})" for code, n in counts.items()
        )
        console.print(t("match.unmatched", lang, count=len(result.unmatched), reasons=reasons))
    console.print(t("match.written", lang, path=out))


def _policies(lang: Language) -> MentorPolicies:
    """The mentoring policies of the settings; a bad policy file ends the command."""
    from recsys.models.mentors.policy import PolicyError, policies_from_settings

    try:
        return policies_from_settings(get_settings())
    except PolicyError as exc:
        fail(str(exc), lang)


def _check_agency(dataset: Dataset, agency: str, policies: MentorPolicies, lang: Language) -> None:
    """``agency`` must be in the data set and have someone who can mentor its staff (by
    its mentoring policy); policies of agencies not in the data end the command."""
    from recsys.data.snapshot import latest_date
    from recsys.models.mentors.eligibility import Roster
    from recsys.models.mentors.policy import PolicyError

    try:
        cohorts.check_agency(dataset, agency)
    except cohorts.UnknownAgencyError as exc:
        fail(t("match.no_agency", lang, agency=agency, known="; ".join(exc.known)), lang)
    try:
        roster = Roster.build(dataset, None, latest_date(dataset), policies=policies)
    except PolicyError as exc:
        fail(str(exc), lang)
    policy = policies.policy_for(agency)
    mentors = roster.may_mentor(policy)
    if policy.same_agency:
        mentors &= roster.agency_names[roster.agency] == agency
    if not mentors.any():
        fail(t("match.no_mentors", lang, agency=agency), lang)


def _room(
    dataset: Dataset,
    graph: pd.DataFrame,
    policies: MentorPolicies,
    capacity: int | None,
    pool: pd.Series | None,
) -> pd.Series:
    """Mentees each candidate mentor of ``graph`` can still take (only those with room):
    their capacity (the pool file's, else ``capacity``, else their agency's policy) minus
    their ongoing mentorships."""
    from recsys.models.mentors.policy import mentor_capacity, ongoing_mentorships
    from recsys.models.requests import decision_date

    nips = pd.Series(pd.unique(graph["mentor_nip"].astype(str)), dtype=str)
    limits = mentor_capacity(dataset, nips, policies)
    if capacity is not None:
        limits[:] = capacity
    if pool is not None:
        given = pool.reindex(limits.index)
        limits = given.fillna(limits).astype("int64")
    ongoing = ongoing_mentorships(dataset, nips, decision_date(dataset, None))
    room = limits - ongoing.to_numpy()
    return room[room > 0].astype("int64")


def _shown_capacity(
    capacity: int | None, pool: pd.Series | None, policies: MentorPolicies, agency: str | None
) -> str:
    """The capacity for the summary: one number, or the range over the agencies'
    policies and the pool file."""
    if capacity is not None and pool is None:
        return str(capacity)
    if capacity is not None:
        values = {capacity}
    elif agency is not None:
        values = {policies.policy_for(agency).capacity}
    else:
        values = {p.capacity for p in (policies.default, *policies.agencies.values())}
    if pool is not None:
        values |= set(pool.dropna().astype(int))
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}–{high}"


def _cohort(
    dataset: Dataset, agency: str | None, mentee_list: list[str] | None, lang: Language
) -> pd.Series:
    """The mentees: the ``--mentees`` list (those of ``agency``'s active staff, if given),
    else the default cohort (:func:`recsys.data.cohorts.mentee_cohort`). Unknown NIPs in
    the list, or nobody to match, end the command."""
    if mentee_list is None:
        cohort = cohorts.mentee_cohort(dataset, agency)
    else:
        cohort = pd.Series(mentee_list, dtype=str, name="nip")
        _check_known(dataset, cohort, lang)
        if agency is not None:
            cohort = cohort[cohort.isin(cohorts.staff(dataset, agency)["nip"].astype(str))]
    if cohort.empty:
        fail(t("match.no_mentees", lang), lang)
    return cohort


def _check_known(dataset: Dataset, nips: pd.Index | pd.Series, lang: Language) -> None:
    from recsys.models.requests import UnknownEmployeeError, check_known

    try:
        check_known(dataset, pd.Series(nips))
    except UnknownEmployeeError as exc:
        fail(t("nip.unknown", lang, nips=", ".join(exc.nips[:5])), lang)


def read_mentee_list(path: Path, lang: Language) -> list[str]:
    """The NIPs of a CSV file's ``nip`` column; a bad file or NIP ends the command."""
    try:
        frame = pd.read_csv(path, dtype=str)
    except (OSError, ValueError, pd.errors.ParserError):
        fail(t("mentees.bad_file", lang, path=path), lang)
    if "nip" not in frame.columns:
        fail(t("mentees.bad_file", lang, path=path), lang)
    return [clean_nip(n, lang) for n in frame["nip"].dropna()]


def read_mentor_pool(path: Path, capacity: int | None, lang: Language) -> pd.Series:
    """The mentor pool: capacity per mentor NIP (the file's ``capacity`` column where
    given, else ``capacity``; None: the policy's, NaN here). A bad file, NIP or capacity
    ends the command."""
    try:
        frame = pd.read_csv(path, dtype=str)
    except (OSError, ValueError, pd.errors.ParserError):
        fail(t("mentors.bad_file", lang, path=path), lang)
    if "nip" not in frame.columns:
        fail(t("mentors.bad_file", lang, path=path), lang)
    nips = [clean_nip(n, lang) for n in frame["nip"].fillna("")]
    raw = frame["capacity"] if "capacity" in frame.columns else pd.Series([None] * len(frame))
    limits: list[float] = []
    for value in raw:
        if value is None or pd.isna(value) or str(value).strip() == "":
            limits.append(np.nan if capacity is None else capacity)
            continue
        try:
            limit = int(str(value).strip())
        except ValueError:
            fail(t("match.capacity", lang, capacity=value), lang)
        if limit < 1:
            fail(t("match.capacity", lang, capacity=limit), lang)
        limits.append(limit)
    return pd.Series(limits, index=pd.Index(nips, name="mentor_nip"), dtype="float64")
