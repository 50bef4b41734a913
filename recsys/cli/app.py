"""The ``recsys`` command line: a thin face over the library, for HR data teams.

User mistakes (a missing folder, a bad option, data that breaks the contract) end with a
one-line message and a non-zero exit code, never a Python traceback.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from recsys import __version__
from recsys.cli.messages import t
from recsys.data import DataContractError, Dataset, LoadReport, load_dataset
from recsys.data.contract_doc import render_markdown
from recsys.settings import Language, get_settings

if TYPE_CHECKING:
    from recsys.models.mentors import MentorRecommender
    from recsys.models.trainings import TrainingRecommender
    from recsys.tracking.registry import TrainResult
from recsys.evaluation.ground_truth import GroundTruth, find_ground_truth
from recsys.simulation import SimulationError, simulate
from recsys.simulation.world import FORMATS, TRUTH_DIR

app = typer.Typer(
    name="recsys",
    help="ASN Recsys: competency-development recommendations for civil servants (ASN).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

#: Exit codes: 1 = the data or a request cannot be used; 2 = wrong usage (click's).
EXIT_DATA_ERROR = 1

LangOption = Annotated[
    Language | None,
    typer.Option("--lang", help="Language of messages: id (Bahasa Indonesia) or en."),
]


def _lang(lang: Language | None) -> Language:
    return lang or get_settings().lang


def _fail(message: str, lang: Language) -> NoReturn:
    err_console.print(f"[bold red]{t('error', lang)}:[/] {message}", highlight=False)
    raise typer.Exit(EXIT_DATA_ERROR)


@contextmanager
def _progress(description: str) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar; yields a callback ``(stage, done, total)``."""
    with Progress(
        TextColumn("[bold blue]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(stage: str, done: int, total: int) -> None:
            progress.update(
                task, completed=done, total=total, description=f"{description} · {stage}"
            )

        yield update
        total = progress.tasks[0].total
        progress.update(task, completed=total, description=description)


@app.callback(invoke_without_command=True)
def main_callback(
    version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False,
) -> None:
    """ASN Recsys command line."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if version:
        console.print(f"asn-recsys {__version__}")
        raise typer.Exit()


@app.command("simulate")
def simulate_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the demo world to.")],
    employees: Annotated[
        int, typer.Option("--employees", "-n", help="Number of employees (100 to 5,000,000).")
    ] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same world.")] = 42,
    fmt: Annotated[
        str, typer.Option("--format", help=f"File format: {' or '.join(FORMATS)}.")
    ] = "csv",
    force: Annotated[
        bool, typer.Option("--force", help="Replace the folder if it is not empty.")
    ] = False,
    lang: LangOption = None,
) -> None:
    """Write a realistic demo world: every table of the data contract, plus ground truth."""
    lang = _lang(lang)
    _simulate(out, employees, seed, fmt, force, lang)


def _simulate(out: Path, employees: int, seed: int, fmt: str, force: bool, lang: Language) -> None:
    try:
        with _progress(t("simulating", lang)) as update:
            summary = simulate(
                out,
                employees=employees,
                seed=seed,
                fmt=fmt,
                overwrite=force,
                on_progress=lambda stage, d, n: update(t(f"stage.{stage}", lang), d, n),
            )
    except (SimulationError, OSError) as exc:
        _fail(str(exc), lang)
    table = Table(title=None, show_edge=False)
    table.add_column(t("col.table", lang))
    table.add_column(t("col.rows", lang), justify="right")
    for name, rows in summary.rows.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(
        t("simulated", lang, employees=employees, out=summary.out, seconds=summary.seconds)
    )
    console.print(t("truth_note", lang, path=summary.out / TRUTH_DIR))


@app.command("validate")
def validate_cmd(
    data: Annotated[
        str, typer.Option("--data", help="Folder of CSV/Parquet files, or a database URL.")
    ],
    report_dir: Annotated[
        Path | None,
        typer.Option("--report-dir", help="Where to write the report and quarantine files."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    lang: LangOption = None,
) -> None:
    """Load a data set, check every row against the data contract, and report.

    Bad rows go, whole and with their reason, to quarantine files beside the report; every
    valid row is kept. Exits non-zero only when the data set cannot be loaded at all.
    """
    lang = _lang(lang)
    dataset = _load(data, lang)
    target = report_dir or default_report_dir(data)
    try:
        dataset.report.write(target)
    except OSError as exc:
        _fail(f"{target}: {exc}", lang)
    if as_json:
        console.print_json(json.dumps(dataset.report.to_dict()))
        return
    _print_report(dataset.report, lang)
    console.print(t("report.written", lang, path=target))


def _load(data: str, lang: Language) -> Dataset:
    try:
        with _progress(t("loading", lang)) as update:
            return load_dataset(data, on_progress=lambda name, i, n: update(name, i, n))
    except DataContractError as exc:
        _fail(str(exc), lang)


def default_report_dir(data: str) -> Path:
    """``reports/load/<name of the data set>``: a folder's name or a database's name."""
    name = re.split(r"[/\\]", data.rstrip("/\\"))[-1] or "data"
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name.split("?")[0]) or "data"
    return get_settings().reports_dir / "load" / name


def _print_report(report: LoadReport, lang: Language) -> None:
    table = Table(title=t("report.title", lang, source=report.source), show_edge=False)
    table.add_column(t("col.table", lang))
    table.add_column(t("col.read", lang), justify="right")
    table.add_column(t("col.loaded", lang), justify="right")
    table.add_column(t("col.quarantined", lang), justify="right")
    table.add_column(t("col.reasons", lang))
    for entry in report.tables:
        reasons = sorted(entry.reasons.items(), key=lambda kv: -kv[1])
        table.add_row(
            entry.name,
            f"{entry.read:,}",
            f"{entry.loaded:,}",
            f"[yellow]{entry.quarantined:,}[/]" if entry.quarantined else "0",
            "\n".join(f"{reason} ({count:,})" for reason, count in reasons),
        )
    console.print(table)
    for warning in report.warnings:
        console.print(f"[yellow]{t('warning', lang)}:[/] {warning}", highlight=False)
    if report.quarantined:
        console.print(t("report.some_quarantined", lang, count=report.quarantined))
    else:
        console.print(t("report.clean", lang))


recommend_app = typer.Typer(
    help="Recommendations for employees, from the champion models.", no_args_is_help=True
)
app.add_typer(recommend_app, name="recommend")


def _truth(data: str | Path, lang: Language) -> GroundTruth | None:
    """A demo world's ground truth, if the data set has one; the parts that cannot be used
    (missing files or columns) are named in a warning and skipped."""
    truth = find_ground_truth(data)
    if truth is not None and truth.problems:
        problems = "; ".join(map(str, truth.problems))
        console.print(
            f"[yellow]{t('warning', lang)}:[/] "
            + t("truth.skipped", lang, path=truth.path, problems=problems)
        )
    return truth


def _train(dataset: Dataset, truth: GroundTruth | None, lang: Language) -> TrainResult:
    """Train, log and register with a progress bar (mlflow is imported only when needed)."""
    from recsys.tracking import registry as tracking

    _quiet_mlflow()
    with _progress(t("training", lang)) as update:
        stages = tracking.TRAIN_STAGES
        return tracking.train(
            dataset,
            truth=truth,
            on_progress=lambda stage: update(stage, stages.index(stage) + 1, len(stages)),
        )


def _train_mentors(
    dataset: Dataset, truth: GroundTruth | None, lang: Language
) -> TrainResult | None:
    """Train and register the mentor recommender; None (with a warning) when the data have
    too little mentoring history for it (mentorships are optional)."""
    from recsys.tracking import registry as tracking

    _quiet_mlflow()
    try:
        with _progress(t("training", lang) + " (mentor)") as update:
            stages = tracking.MENTOR_STAGES
            return tracking.train_mentors(
                dataset,
                truth=truth,
                on_progress=lambda stage: update(stage, stages.index(stage) + 1, len(stages)),
            )
    except ValueError as exc:
        console.print(f"[yellow]{t('warning', lang)}:[/] {t('mentor.skipped', lang, reason=exc)}")
        return None


def _print_trained(result: TrainResult, lang: Language) -> None:
    console.print(
        t("trained", lang, version=result.version, run=result.run_id, uri=result.tracking_uri)
    )
    key = "champion.yes" if result.champion else "champion.no"
    console.print(
        t(
            key,
            lang,
            version=result.version,
            previous=result.previous_champion,
            metric=result.primary_metric,
        )
    )


def _quiet_mlflow() -> None:
    """MLflow's own notices (database set-up, registration, pickling) are for developers:
    shown with --verbose only. Set after mlflow is imported, which configures its loggers."""
    if logging.getLogger().level > logging.INFO:
        for name in ("mlflow", "alembic"):
            logging.getLogger(name).setLevel(logging.ERROR)


def _champion(lang: Language) -> TrainingRecommender:
    """The champion training model, or a clear message that there is none yet."""
    from recsys.tracking import registry as tracking

    _quiet_mlflow()
    try:
        return tracking.load_champion()
    except LookupError as exc:
        _fail(str(exc), lang)


def _print_metrics(metrics: dict[str, float], lang: Language) -> None:
    table = Table(show_edge=False)
    table.add_column(t("col.metric", lang))
    table.add_column(t("col.value", lang), justify="right")
    for name, value in sorted(metrics.items()):
        table.add_row(name, f"{value:,.3f}")
    console.print(table)


@app.command("train")
def train_cmd(
    data: Annotated[
        str, typer.Option("--data", help="Folder of CSV/Parquet files, or a database URL.")
    ],
    lang: LangOption = None,
) -> None:
    """Train the training and mentor recommenders, log the runs to MLflow and register the
    models.

    The registry alias 'champion' moves to the new version only if it beats the current
    champion on the evaluation. A data set that cannot be loaded trains nothing.
    """
    lang = _lang(lang)
    dataset = _load(data, lang)
    try:
        truth = _truth(data, lang)
        result = _train(dataset, truth, lang)
    except ValueError as exc:
        _fail(str(exc), lang)
    mentors = _train_mentors(dataset, truth, lang)
    metrics = dict(result.metrics)
    if mentors is not None:
        metrics.update(mentors.metrics)
    _print_metrics(metrics, lang)
    for trained in (result, mentors):
        if trained is not None:
            _print_trained(trained, lang)


@app.command("evaluate")
def evaluate_cmd(
    data: Annotated[
        str, typer.Option("--data", help="Folder of CSV/Parquet files, or a database URL.")
    ],
    lang: LangOption = None,
) -> None:
    """Evaluate the champion training model on a data set (on a demo world: against the
    ground truth, beside the baselines)."""
    lang = _lang(lang)
    dataset = _load(data, lang)
    from recsys.evaluation import trainings as evaluation

    model = _champion(lang)
    truth = _truth(data, lang)
    if truth is None or not truth.trainings:
        _fail(t("evaluate.no_truth", lang, data=data), lang)
    _print_metrics(evaluation.evaluate_on_truth(model, dataset, truth.path, k=5), lang)


@recommend_app.command("trainings")
def recommend_trainings_cmd(
    data: Annotated[
        str, typer.Option("--data", help="Folder of CSV/Parquet files, or a database URL.")
    ],
    nip: Annotated[str | None, typer.Option("--nip", help="One employee's NIP.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every active employee.")] = False,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Trainings per person.")] = 5,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write to .csv, .parquet or .xlsx instead of printing."),
    ] = None,
    lang: LangOption = None,
) -> None:
    """Trainings ranked by forecast gain in SKP score, with interval and reason."""
    from recsys.models.trainings import TRAINING_EXPORT_COLUMNS

    lang = _lang(lang)
    if (nip is None) == (not all_):
        _fail(t("recommend.one_of", lang), lang)
    _check_out(out, lang)
    if nip is not None:
        nip = _clean_nip(nip, lang)
    dataset = _load(data, lang)
    recs = _recommend(_champion(lang), dataset, nip, k, lang)
    if out is not None:
        _write_frame(
            recs if nip is not None else recs[list(TRAINING_EXPORT_COLUMNS)], out, "rekomendasi"
        )
        console.print(t("recommend.written", lang, rows=len(recs), path=out))
        return
    if all_:
        console.print(recs[["nip", "rank", "training_id", "expected_gain"]].head(20).to_string())
        return
    _print_recommendations(recs, lang)


def _recommend(
    model: TrainingRecommender | MentorRecommender,
    dataset: Dataset,
    nip: str | None,
    k: int,
    lang: Language,
) -> pd.DataFrame:
    """``model``'s top-k for one NIP or (None) every active employee, with a progress bar;
    unknown or inactive NIPs end with a clear message."""
    from recsys.models.mentors import InactiveEmployeeError
    from recsys.models.trainings import UnknownEmployeeError

    if nip is not None:
        nips = [nip]
    else:
        nips = dataset.employees.loc[dataset.employees["active"], "nip"].astype(str).tolist()
    try:
        with _progress(t("recommending", lang)) as update:
            return model.recommend(
                dataset,
                nips,
                k=k,
                lang=lang,
                on_progress=lambda done, total: update("", done, total),
            )
    except UnknownEmployeeError as exc:
        _fail(t("nip.unknown", lang, nips=", ".join(exc.nips[:5])), lang)
    except InactiveEmployeeError as exc:
        _fail(t("nip.inactive", lang, nips=", ".join(exc.nips[:5])), lang)


def _print_recommendations(recs: pd.DataFrame, lang: Language) -> None:
    if recs.empty:
        console.print(t("recommend.none", lang))
        return
    table = Table(title=t("recommend.title", lang, nip=recs["nip"].iloc[0]), show_lines=True)
    for key in ("col.rank", "col.training", "col.gain", "col.jp_cost", "col.reason"):
        table.add_column(t(key, lang))
    for row in recs.itertuples():
        table.add_row(
            str(row.rank),
            f"{row.training_id} {row.title}\n[dim]{row.modality}[/]",
            f"+{row.expected_gain:.1f}\n[dim]({row.gain_lower:.1f} – {row.gain_upper:.1f})[/]",
            f"{row.hours_jp} JP\nRp{row.cost_idr:,.0f}",
            str(row.reason),
        )
    console.print(table)


def _check_out(out: Path | None, lang: Language) -> None:
    if out is not None and out.suffix.lower() not in (".csv", ".parquet", ".xlsx"):
        _fail(t("recommend.bad_out", lang, path=out), lang)


def _clean_nip(nip: str, lang: Language) -> str:
    nip = nip.strip().strip('"').strip()
    if not re.fullmatch(r"\d{18}", nip):
        _fail(t("nip.malformed", lang, nip=nip), lang)
    return nip


def _mentor_champion(lang: Language) -> MentorRecommender:
    """The champion mentor model, or a clear message that there is none yet."""
    from recsys.tracking import registry as tracking

    _quiet_mlflow()
    try:
        return tracking.load_mentor_champion()
    except LookupError as exc:
        _fail(str(exc), lang)


def _write_frame(frame: pd.DataFrame, out: Path, sheet: str) -> None:
    frame = frame.assign(
        **{c: frame[c].astype(str) for c in ("nip", "mentor_nip", "training_id") if c in frame}
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".csv":
        frame.to_csv(out, index=False, float_format="%.3f")
    elif suffix == ".parquet":
        frame.to_parquet(out, index=False)
    else:
        frame.to_excel(out, index=False, sheet_name=sheet)


@recommend_app.command("mentors")
def recommend_mentors_cmd(
    data: Annotated[
        str, typer.Option("--data", help="Folder of CSV/Parquet files, or a database URL.")
    ],
    nip: Annotated[str | None, typer.Option("--nip", help="One mentee's NIP.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every active employee.")] = False,
    k: Annotated[int, typer.Option("--k", min=1, max=20, help="Mentors per person.")] = 3,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write to .csv, .parquet or .xlsx instead of printing."),
    ] = None,
    lang: LangOption = None,
) -> None:
    """Mentors ranked by forecast mentoring gain in SKP score, with interval and reason.

    Candidates: active, more senior staff of the mentee's agency with a good last appraisal
    who are ahead in competencies where the mentee is below standard; the direct supervisor
    only if RECSYS_MENTOR_ALLOW_SUPERVISOR=true.
    """
    from recsys.models.mentors import MENTOR_EXPORT_COLUMNS

    lang = _lang(lang)
    if (nip is None) == (not all_):
        _fail(t("recommend.one_of", lang), lang)
    _check_out(out, lang)
    if nip is not None:
        nip = _clean_nip(nip, lang)
    dataset = _load(data, lang)
    model = _mentor_champion(lang)
    recs = _recommend(model, dataset, nip, k, lang)
    if out is not None:
        _write_frame(recs if nip is not None else recs[list(MENTOR_EXPORT_COLUMNS)], out, "mentor")
        console.print(t("recommend.written", lang, rows=len(recs), path=out))
        return
    if all_:
        console.print(recs[["nip", "rank", "mentor_nip", "expected_gain"]].head(20).to_string())
        return
    if recs.empty:
        console.print(t("mentor.none", lang))
        return
    table = Table(title=t("mentor.title", lang, nip=recs["nip"].iloc[0]), show_lines=True)
    for key in ("col.rank", "col.mentor", "col.gain", "col.covers", "col.reason"):
        table.add_column(t(key, lang))
    for row in recs.itertuples():
        table.add_row(
            str(row.rank),
            f"{row.mentor_nip}\n[dim]{row.distance}[/]",
            f"+{row.expected_gain:.1f}\n[dim]({row.gain_lower:.1f} – {row.gain_upper:.1f})[/]",
            str(row.gaps_covered),
            str(row.reason),
        )
    console.print(table)


def _read_mentor_pool(path: Path, capacity: int, lang: Language) -> pd.Series:
    """The mentor pool: capacity per mentor NIP (the file's capacity column, else the
    default). A bad file, NIP or capacity is a clear error."""
    try:
        frame = pd.read_csv(path, dtype=str)
    except (OSError, ValueError, pd.errors.ParserError):
        _fail(t("mentors.bad_file", lang, path=path), lang)
    if "nip" not in frame.columns:
        _fail(t("mentors.bad_file", lang, path=path), lang)
    nips = [_clean_nip(n, lang) for n in frame["nip"].fillna("")]
    raw = frame["capacity"] if "capacity" in frame.columns else pd.Series([None] * len(frame))
    limits = []
    for value in raw:
        if value is None or pd.isna(value) or str(value).strip() == "":
            limits.append(capacity)
            continue
        try:
            limit = int(str(value).strip())
        except ValueError:
            _fail(t("match.capacity", lang, capacity=value), lang)
        if limit < 1:
            _fail(t("match.capacity", lang, capacity=limit), lang)
        limits.append(limit)
    return pd.Series(limits, index=pd.Index(nips, name="mentor_nip"), dtype="int64")


def _read_mentee_list(path: Path, lang: Language) -> list[str]:
    try:
        frame = pd.read_csv(path, dtype=str)
    except (OSError, ValueError, pd.errors.ParserError):
        _fail(t("mentees.bad_file", lang, path=path), lang)
    if "nip" not in frame.columns:
        _fail(t("mentees.bad_file", lang, path=path), lang)
    return [_clean_nip(n, lang) for n in frame["nip"].dropna()]


@app.command("match-mentors")
def match_mentors_cmd(
    data: Annotated[
        str, typer.Option("--data", help="Folder of CSV/Parquet files, or a database URL.")
    ],
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
    lang = _lang(lang)
    capacity = get_settings().mentor_capacity if capacity is None else capacity
    if capacity < 1:
        _fail(t("match.capacity", lang, capacity=capacity), lang)
    _check_out(out, lang)
    cohort_list = _read_mentee_list(mentees, lang) if mentees is not None else None
    pool = _read_mentor_pool(mentors, capacity, lang) if mentors is not None else None
    dataset = _load(data, lang)
    from recsys.data.snapshot import latest_date
    from recsys.evaluation.mentors import GRAPH_TOP
    from recsys.models.mentors import InactiveEmployeeError, Roster
    from recsys.models.trainings import UnknownEmployeeError
    from recsys.planning import matching

    emp = dataset.employees
    scope = np.array(emp["active"].to_numpy(dtype=bool))
    if agency is not None:
        known = sorted(emp["agency"].astype(str).unique())
        if agency not in known:
            _fail(t("match.no_agency", lang, agency=agency, known="; ".join(known)), lang)
        scope &= (emp["agency"].astype(str) == agency).to_numpy()
        roster = Roster.build(dataset, None, latest_date(dataset))
        in_agency = emp.set_index("nip").reindex(roster.nip)["agency"].astype(str) == agency
        if not (roster.can_mentor & in_agency.to_numpy()).any():
            _fail(t("match.no_mentors", lang, agency=agency), lang)
    if cohort_list is not None:
        cohort = pd.Series(cohort_list, dtype=str)
        unknown = sorted(set(cohort) - set(emp["nip"].astype(str)))
        if unknown:
            _fail(t("nip.unknown", lang, nips=", ".join(unknown[:5])), lang)
        if agency is not None:
            cohort = cohort[cohort.isin(emp.loc[scope, "nip"].astype(str))]
    else:
        junior = emp["position_type"].astype(str).isin(["pelaksana", "fungsional"]).to_numpy()
        cohort = emp.loc[scope & junior, "nip"].astype(str)
    if cohort.empty:
        _fail(t("match.no_mentees", lang), lang)
    if pool is not None:
        unknown = sorted(set(pool.index) - set(emp["nip"].astype(str)))
        if unknown:
            _fail(t("nip.unknown", lang, nips=", ".join(unknown[:5])), lang)
    model = _mentor_champion(lang)
    try:
        with _progress(t("matching", lang)) as update:
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
        _fail(t("nip.unknown", lang, nips=", ".join(exc.nips[:5])), lang)
    except InactiveEmployeeError as exc:
        _fail(t("nip.inactive", lang, nips=", ".join(exc.nips[:5])), lang)
    assigned = result.assignments[
        ["nip", "mentor_nip", "expected_gain", "gain_lower", "gain_upper", "distance"]
    ].assign(status="matched", note="")
    unmatched = result.unmatched.assign(
        status="unmatched",
        note=[t(f"reason.{code}", lang) for code in result.unmatched["reason"]],
    ).drop(columns=["reason", "n_candidates"])
    _write_frame(pd.concat([assigned, unmatched], ignore_index=True), out, "mentor")
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


@app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder of the bundle, e.g. models/.")],
    lang: LangOption = None,
) -> None:
    """Copy the champion models out of the MLflow registry into a bundle folder, for
    serving where no tracking server is reachable (air-gapped networks)."""
    lang = _lang(lang)
    from recsys.tracking.bundle import BundleError, export_bundle

    _quiet_mlflow()
    try:
        manifest = export_bundle(out)
    except BundleError as exc:
        _fail(str(exc), lang)
    models = ", ".join(f"{name} v{entry['version']}" for name, entry in manifest["models"].items())
    console.print(t("export.written", lang, path=out, models=models))


@app.command("contract")
def contract_cmd(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the Markdown here instead of printing.")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Print the data contract: the tables an agency loads, their columns and rules."""
    text = render_markdown()
    if out is None:
        sys.stdout.write(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    console.print(t("contract.written", _lang(lang), path=out))


@app.command("demo")
def demo_cmd(lang: LangOption = None) -> None:
    """The main job on embedded defaults: make the demo world, validate it, show where
    everything is."""
    lang = _lang(lang)
    settings = get_settings()
    out = settings.demo_dir
    is_demo = (out / TRUTH_DIR / "params.json").exists()
    if out.exists() and any(out.iterdir()) and not is_demo:
        _fail(t("demo.refuse", lang, path=out), lang)
    console.print(Panel.fit(t("demo.title", lang), style="bold"))
    _simulate(out, settings.demo_employees, settings.demo_seed, "csv", True, lang)
    dataset = _load(str(out), lang)
    report_dir = default_report_dir(str(out))
    dataset.report.write(report_dir)
    _print_report(dataset.report, lang)
    truth = _truth(out, lang)
    result = _train(dataset, truth, lang)
    share = result.metrics.get("share_of_oracle_top5", float("nan"))
    gap = result.metrics.get("gap_rule_share_of_oracle_top5", float("nan"))
    console.print(t("demo.trained", lang, version=result.version, share=share, gap=gap))
    mentors = _train_mentors(dataset, truth, lang)
    if mentors is not None:
        m = mentors.metrics
        console.print(
            t(
                "mentor.trained",
                lang,
                version=mentors.version,
                share=m.get("mentor_share_of_oracle_top3", float("nan")),
                random=m.get("random_senior_share_of_oracle_top3", float("nan")),
                unit=m.get("same_unit_senior_share_of_oracle_top3", float("nan")),
            )
        )
    where = Table(title=t("demo.where", lang), show_header=False, show_edge=False)
    where.add_row(t("demo.data", lang), str(out.resolve()))
    where.add_row(t("demo.truth", lang), str((out / TRUTH_DIR).resolve()))
    where.add_row(t("demo.report", lang), str(report_dir.resolve()))
    where.add_row(t("demo.contract", lang), "recsys contract  (docs/data-contract.md)")
    where.add_row("MLflow", f"{result.tracking_uri}")
    where.add_row("MLflow UI", f".venv/bin/mlflow ui --backend-store-uri {result.tracking_uri}")
    console.print(where)
    console.print(
        f"[bold]{t('demo.next', lang)}:[/] recsys recommend trainings --data {out} --nip <NIP>"
        f"  ·  recsys recommend mentors --data {out} --nip <NIP>"
        f"  ·  recsys match-mentors --data {out} --out reports/mentors.csv  ·  recsys --help"
    )


def main() -> None:
    """Console-script entry point."""
    app()
