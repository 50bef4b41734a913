"""``recsys match-mentors``: a cohort of mentees assigned to mentors, the most total
forecast gain with every mentor's capacity respected, written to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from recsys.cli.champions import mentor_champion
from recsys.cli.console import console, fail, progress
from recsys.cli.data import load_data
from recsys.cli.messages import t
from recsys.cli.options import DataOption, LangOption, clean_nip, resolve_lang
from recsys.cli.output import check_out, write_frame
from recsys.data import Dataset, cohorts
from recsys.settings import Language, get_settings

#: Columns of a matched row in the assignment file (then ``status`` and ``note``).
ASSIGNMENT_COLUMNS = ("nip", "mentor_nip", "expected_gain", "gain_lower", "gain_upper", "distance")


def match_mentors_cmd(
    data: DataOption,
    out: Annotated[Path, typer.Option("--out", help="Assignment file: .csv, .parquet or .xlsx.")],
    capacity: Annotated[
        int | None,
        typer.Option("--capacity", help="Mentees per mentor at most [default: 3]."),
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
    lang: LangOption = None,
) -> None:
    """Assign a cohort of mentees to mentors: the most total forecast gain with every
    mentor's capacity respected (exact min-cost flow; LP bound from HiGHS)."""
    lang = resolve_lang(lang)
    capacity = get_settings().mentor_capacity if capacity is None else capacity
    if capacity < 1:
        fail(t("match.capacity", lang, capacity=capacity), lang)
    check_out(out, lang)
    mentee_list = read_mentee_list(mentees, lang) if mentees is not None else None
    pool = read_mentor_pool(mentors, capacity, lang) if mentors is not None else None
    dataset = load_data(data, lang)
    from recsys.evaluation.mentors import GRAPH_TOP
    from recsys.models.requests import InactiveEmployeeError, UnknownEmployeeError
    from recsys.planning import matching

    if agency is not None:
        _check_agency(dataset, agency, lang)
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
            limits = capacity if pool is None else pool
            result = matching.match(graph, cohort, limits, default_capacity=capacity)
            greedy = matching.greedy(graph, cohort, limits, default_capacity=capacity)
    except UnknownEmployeeError as exc:
        fail(t("nip.unknown", lang, nips=", ".join(exc.nips[:5])), lang)
    except InactiveEmployeeError as exc:
        fail(t("nip.inactive", lang, nips=", ".join(exc.nips[:5])), lang)
    assigned = result.assignments[list(ASSIGNMENT_COLUMNS)].assign(status="matched", note="")
    unmatched = result.unmatched.assign(
        status="unmatched",
        note=[t(f"reason.{code}", lang) for code in result.unmatched["reason"]],
    ).drop(columns=["reason", "n_candidates"])
    write_frame(pd.concat([assigned, unmatched], ignore_index=True), out, "mentor")
    console.print(
        t(
            "match.summary",
            lang,
            matched=result.n_matched,
            mentees=result.n_mentees,
            mentors=result.assignments["mentor_nip"].nunique(),
            capacity=capacity,
            total=result.total_gain,
            bound=result.lp_bound,
            gap=result.gap,
            greedy=greedy.total_gain,
        )
    )
    if len(result.unmatched):
        counts = result.unmatched["reason"].value_counts()
        reasons = "; ".join(f"{t(f'reason.{code}', lang)}: {n:,}" for code, n in counts.items())
        console.print(t("match.unmatched", lang, count=len(result.unmatched), reasons=reasons))
    console.print(t("match.written", lang, path=out))


def _check_agency(dataset: Dataset, agency: str, lang: Language) -> None:
    """``agency`` must be in the data set and have someone who can mentor."""
    from recsys.data.snapshot import latest_date
    from recsys.models.mentors.eligibility import Roster

    try:
        cohorts.check_agency(dataset, agency)
    except cohorts.UnknownAgencyError as exc:
        fail(t("match.no_agency", lang, agency=agency, known="; ".join(exc.known)), lang)
    roster = Roster.build(dataset, None, latest_date(dataset))
    employees = dataset.employees.set_index("nip")
    in_agency = employees.reindex(roster.nip)["agency"].astype(str) == agency
    if not (roster.can_mentor & in_agency.to_numpy()).any():
        fail(t("match.no_mentors", lang, agency=agency), lang)


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


def read_mentor_pool(path: Path, capacity: int, lang: Language) -> pd.Series:
    """The mentor pool: capacity per mentor NIP (the file's ``capacity`` column where
    given, else ``capacity``). A bad file, NIP or capacity ends the command."""
    try:
        frame = pd.read_csv(path, dtype=str)
    except (OSError, ValueError, pd.errors.ParserError):
        fail(t("mentors.bad_file", lang, path=path), lang)
    if "nip" not in frame.columns:
        fail(t("mentors.bad_file", lang, path=path), lang)
    nips = [clean_nip(n, lang) for n in frame["nip"].fillna("")]
    raw = frame["capacity"] if "capacity" in frame.columns else pd.Series([None] * len(frame))
    limits = []
    for value in raw:
        if value is None or pd.isna(value) or str(value).strip() == "":
            limits.append(capacity)
            continue
        try:
            limit = int(str(value).strip())
        except ValueError:
            fail(t("match.capacity", lang, capacity=value), lang)
        if limit < 1:
            fail(t("match.capacity", lang, capacity=limit), lang)
        limits.append(limit)
    return pd.Series(limits, index=pd.Index(nips, name="mentor_nip"), dtype="int64")
