"""``recsys recommend trainings`` and ``recsys recommend mentors``: the champion models'
top-k for one employee (a table) or for every active employee (a file). Mentor lists come
from the agency's capacity-respecting matching (:mod:`recsys.planning.mentor_suggestions`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from recsys.cli.champions import mentor_champion, training_champion
from recsys.cli.console import console, fail, progress
from recsys.cli.data import load_data
from recsys.cli.messages import t
from recsys.cli.options import (
    ColumnsOption,
    DataOption,
    LangOption,
    RecommendOutOption,
    clean_nip,
    resolve_lang,
)
from recsys.cli.output import check_out, write_frame
from recsys.data import Dataset, cohorts
from recsys.numbers import number
from recsys.settings import Language

if TYPE_CHECKING:
    from recsys.models.mentors.recommender import MentorRecommender
    from recsys.models.trainings import TrainingRecommender
    from recsys.planning.mentor_suggestions import MentorSuggestions

app = typer.Typer(
    help="Recommendations for employees, from the champion models.", no_args_is_help=True
)

#: Rows shown on screen for ``--all`` without ``--out``.
PREVIEW_ROWS = 20


@app.command("trainings")
def trainings_cmd(
    data: DataOption,
    mapping: ColumnsOption = None,
    nip: Annotated[str | None, typer.Option("--nip", help="One employee's NIP.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every active employee.")] = False,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Trainings per person.")] = 5,
    out: RecommendOutOption = None,
    lang: LangOption = None,
) -> None:
    """Trainings ranked by forecast gain in SKP score, with interval and reason."""
    from recsys.models.trainings import TRAINING_EXPORT_COLUMNS

    lang = resolve_lang(lang)
    nip = _one_or_all(nip, all_, out, lang)
    dataset = load_data(data, lang, mapping)
    recs = recommend(training_champion(lang), dataset, nip, k, lang)
    if _export_or_preview(recs, nip, out, TRAINING_EXPORT_COLUMNS, "rekomendasi", lang):
        return
    if recs.empty:
        console.print(t("recommend.none", lang))
    else:
        table = Table(title=t("recommend.title", lang, nip=nip), show_lines=True)
        for key in ("col.rank", "col.training", "col.gain", "col.jp_cost", "col.reason"):
            table.add_column(t(key, lang))
        for row in recs.itertuples():
            table.add_row(
                str(row.rank),
                f"{row.training_id} {row.title}\n[dim]{row.modality}[/]",
                _gain(row, lang),
                _jp_cost(row, lang),
                str(row.reason),
            )
        console.print(table)
        console.print(list_line(recs, lang))


@app.command("mentors")
def mentors_cmd(
    data: DataOption,
    mapping: ColumnsOption = None,
    nip: Annotated[str | None, typer.Option("--nip", help="One mentee's NIP.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every active employee.")] = False,
    k: Annotated[int, typer.Option("--k", min=1, max=20, help="Mentors per person.")] = 3,
    capacity: Annotated[
        int | None,
        typer.Option(
            "--capacity",
            min=1,
            help="Mentees per mentor at most, for every agency [default: each agency's "
            "mentoring policy].",
        ),
    ] = None,
    out: RecommendOutOption = None,
    lang: LangOption = None,
) -> None:
    """Mentors with room, from the agency's capacity-respecting matching.

    The whole agency is matched (every active employee, each mentor within capacity, ongoing
    mentorships counted): rank 1 is the mentor the matching assigns ("assigned"), the other
    ranks are mentors who still have room ("alternative"), best forecast SKP gain first. A
    person the matching leaves out is told why. Candidates follow the agency's mentoring
    policy (more senior colleagues of the agency with a good record).
    """
    from recsys.planning.mentor_suggestions import SUGGESTION_EXPORT_COLUMNS

    lang = resolve_lang(lang)
    nip = _one_or_all(nip, all_, out, lang)
    dataset = load_data(data, lang, mapping)
    result = _suggest(mentor_champion(lang), dataset, nip, k, capacity, lang)
    console.print(_matching_line(result, lang))
    columns = SUGGESTION_EXPORT_COLUMNS if nip is None else tuple(result.suggestions.columns)
    frame = result.export(columns)
    if _export_or_preview(frame, nip, out, SUGGESTION_EXPORT_COLUMNS, "mentor", lang):
        if nip is None and len(result.unassigned):
            console.print(_unassigned_line(result, lang))
        return
    recs = result.suggestions
    if len(result.unassigned):  # left out by the matching: say why
        reason = str(result.unassigned["reason"].iloc[0])
        console.print(t("mentor.unassigned", lang, nip=nip, reason=reason))
    if recs.empty:
        return
    table = Table(title=t("mentor.title", lang, nip=nip), show_lines=True)
    for key in ("col.rank", "col.mentor", "col.status", "col.gain", "col.covers", "col.reason"):
        table.add_column(t(key, lang))
    for row in recs.itertuples():
        table.add_row(
            str(row.rank),
            f"{row.mentor_nip}\n[dim]{row.distance}[/]",
            t(f"status.{row.status}", lang),
            _gain(row, lang),
            str(row.gaps_covered),
            str(row.reason),
        )
    console.print(table)


def _suggest(
    model: MentorRecommender,
    dataset: Dataset,
    nip: str | None,
    k: int,
    capacity: int | None,
    lang: Language,
) -> MentorSuggestions:
    """Capacity-respecting mentor suggestions for one NIP or (None) every active employee,
    with a progress bar while the agency is scored; unknown or inactive NIPs end the
    command with a clear message."""
    from recsys.planning.mentor_suggestions import suggest_mentors

    nips = [nip] if nip is not None else cohorts.staff(dataset)["nip"].astype(str).tolist()
    with _known_and_active(lang), progress(t("suggesting", lang)) as update:
        return suggest_mentors(
            model,
            dataset,
            nips,
            k=k,
            lang=lang,
            capacity=capacity,
            on_progress=lambda done, total: update("", done, total),
        )


@contextmanager
def _known_and_active(lang: Language) -> Iterator[None]:
    """End the command with a clear message if a NIP asked about is unknown or inactive."""
    from recsys.models.requests import InactiveEmployeeError, UnknownEmployeeError

    try:
        yield
    except UnknownEmployeeError as exc:
        fail(t("nip.unknown", lang, nips=", ".join(exc.nips[:5])), lang)
    except InactiveEmployeeError as exc:
        fail(t("nip.inactive", lang, nips=", ".join(exc.nips[:5])), lang)


def _matching_line(result: MentorSuggestions, lang: Language) -> str:
    """What the agency's matching did: people matched of the cohort, mentors used."""
    match = result.matching
    return t(
        "mentor.matching",
        lang,
        matched=match.n_matched,
        cohort=match.n_mentees,
        mentors=int(match.assignments["mentor_nip"].nunique()),
    )


def _unassigned_line(result: MentorSuggestions, lang: Language) -> str:
    """How many of the people asked about the matching leaves out, per reason."""
    counts = result.unassigned.groupby("reason", sort=False).size()
    reasons = "; ".join(f"{reason} ({number(n, lang)})" for reason, n in counts.items())
    return t("mentor.unassigned_count", lang, count=len(result.unassigned), reasons=reasons)


def _export_or_preview(
    recs: pd.DataFrame,
    nip: str | None,
    out: Path | None,
    export_columns: tuple[str, ...],
    sheet: str,
    lang: Language,
) -> bool:
    """Write ``recs`` to ``out`` (everyone: the export columns only) or, for everyone and no
    file, print the first rows of the export's leading columns (nip, rank, the item, the
    gain); True if done, False if one person's table is still to print."""
    if out is not None:
        columns = list(recs.columns if nip is not None else export_columns)
        write_frame(recs[columns], out, sheet, lang)
        console.print(t("recommend.written", lang, rows=len(recs), path=out))
        return True
    if nip is None:
        preview = recs[list(export_columns[:4])].head(PREVIEW_ROWS)
        console.print(preview.to_string())
        return True
    return False


def _one_or_all(nip: str | None, all_: bool, out: Path | None, lang: Language) -> str | None:
    """The checked ``--nip`` (None for ``--all``); exactly one of them must be given, and
    ``--out`` must name a file type we write. Checked before any data is loaded."""
    if (nip is None) == (not all_):
        fail(t("recommend.one_of", lang), lang)
    check_out(out, lang)
    return None if nip is None else clean_nip(nip, lang)


def _jp_cost(row: Any, lang: Language) -> str:
    """A table cell: the training's JP over its cost in rupiah."""
    return f"{row.hours_jp} JP\nRp{number(row.cost_idr, lang, ',.0f')}"


def _gain(row: Any, lang: Language) -> str:
    """A table cell: the forecast gain over its 90% interval, in SKP points."""
    gain, low, high = (
        number(v, lang, ".1f") for v in (row.expected_gain, row.gain_lower, row.gain_upper)
    )
    return f"+{gain}\n[dim]({low} – {high})[/]"


def list_line(recs: pd.DataFrame, lang: Language) -> str:
    """The line under one person's training table: the whole list's forecast gain (the sum
    of the rows' marginal gains, SKP points) and the ranker that made the list."""
    from recsys.models.reasons import ranker_name

    return t(
        "recommend.list_gain",
        lang,
        gain=float(recs["list_gain"].iloc[0]),
        ranker=ranker_name(str(recs["ranker"].iloc[0]), lang),
    )


def recommend(
    model: TrainingRecommender,
    dataset: Dataset,
    nip: str | None,
    k: int,
    lang: Language,
) -> pd.DataFrame:
    """``model``'s top-k for one NIP or (None) every active employee, with a progress bar;
    unknown or inactive NIPs end the command with a clear message."""

    nips = [nip] if nip is not None else cohorts.staff(dataset)["nip"].astype(str).tolist()
    with _known_and_active(lang), progress(t("recommending", lang)) as update:
        return model.recommend(
            dataset,
            nips,
            k=k,
            lang=lang,
            on_progress=lambda done, total: update("", done, total),
        )
