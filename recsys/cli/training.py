"""The model commands: ``train`` (fit, evaluate, log to MLflow, register) and ``evaluate``
(the champion against a demo world's ground truth)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rich.table import Table

from recsys.cli.champions import quiet_mlflow, training_champion
from recsys.cli.console import console, fail, progress, warn
from recsys.cli.data import load_data
from recsys.cli.messages import t
from recsys.cli.options import ColumnsOption, DataOption, LangOption, resolve_lang
from recsys.data import Dataset
from recsys.evaluation.ground_truth import GroundTruth, Problem, find_ground_truth
from recsys.numbers import number
from recsys.settings import Language

if TYPE_CHECKING:
    from pathlib import Path

    from recsys.tracking.registry import TrainResult


def train_cmd(data: DataOption, mapping: ColumnsOption = None, lang: LangOption = None) -> None:
    """Train the training and mentor recommenders, log the runs to MLflow and register the
    models.

    The registry alias 'champion' moves to the new version only if it beats the current
    champion on the evaluation. A data set that cannot be loaded trains nothing.
    """
    lang = resolve_lang(lang)
    dataset = load_data(data, lang, mapping)
    truth = ground_truth(data, lang)
    trainings = train_trainings(dataset, truth, lang)
    mentors = train_mentors(dataset, truth, lang)
    metrics = dict(trainings.metrics)
    if mentors is not None:
        metrics.update(mentors.metrics)
    # the validation has its own table (print_ranker)
    print_metrics({k: v for k, v in metrics.items() if not k.startswith("validation_")}, lang)
    print_ranker(trainings, lang)
    for trained in (trainings, mentors):
        if trained is not None:
            print_trained(trained, lang)


def evaluate_cmd(data: DataOption, mapping: ColumnsOption = None, lang: LangOption = None) -> None:
    """Evaluate the champion training model on a data set (on a demo world: against the
    ground truth, beside the baselines)."""
    lang = resolve_lang(lang)
    dataset = load_data(data, lang, mapping)
    from recsys.evaluation import trainings as evaluation

    model = training_champion(lang)
    truth = ground_truth(data, lang)
    if truth is None or not truth.trainings:
        fail(t("evaluate.no_truth", lang, data=data), lang)
    print_metrics(evaluation.evaluate_on_truth(model, dataset, truth.path, k=5), lang)


def ground_truth(data: str | Path, lang: Language) -> GroundTruth | None:
    """A demo world's ground truth, if the data set has one; the parts that cannot be used
    (missing files or columns) are named in a warning and skipped."""
    if logging.getLogger().level > logging.INFO:
        # the library logs the same problems for developers (shown with --verbose); the
        # warning below tells people, in their language
        logging.getLogger(find_ground_truth.__module__).setLevel(logging.ERROR)
    truth = find_ground_truth(data)
    if truth is not None and truth.problems:
        problems = "; ".join(_problem(p, lang) for p in truth.problems)
        warn(t("truth.skipped", lang, path=truth.path, problems=problems), lang)
    return truth


def _problem(problem: Problem, lang: Language) -> str:
    return t(f"truth.{problem.kind}", lang, file=problem.file, detail=problem.detail)


def train_trainings(dataset: Dataset, truth: GroundTruth | None, lang: Language) -> TrainResult:
    """Train, log and register the training recommender, with a progress bar."""
    from recsys.tracking import registry

    quiet_mlflow()
    stages = registry.TRAIN_STAGES
    try:
        with progress(t("training", lang)) as update:
            return registry.train(
                dataset,
                truth=truth,
                on_progress=lambda stage: update(stage, stages.index(stage) + 1, len(stages)),
            )
    except ValueError as exc:
        fail(str(exc), lang)


def train_mentors(
    dataset: Dataset, truth: GroundTruth | None, lang: Language
) -> TrainResult | None:
    """Train, log and register the mentor recommender; None (with a warning) when the data
    have too little mentoring history for it (mentorships are optional)."""
    from recsys.tracking import registry

    quiet_mlflow()
    stages = registry.MENTOR_STAGES
    try:
        with progress(t("training", lang) + " (mentor)") as update:
            return registry.train_mentors(
                dataset,
                truth=truth,
                on_progress=lambda stage: update(stage, stages.index(stage) + 1, len(stages)),
            )
    except ValueError as exc:
        warn(t("mentor.skipped", lang, reason=exc), lang)
        return None


def print_metrics(metrics: dict[str, float], lang: Language) -> None:
    """A metric / value table, by name."""
    table = Table(show_edge=False)
    table.add_column(t("col.metric", lang))
    table.add_column(t("col.value", lang), justify="right")
    for name, value in sorted(metrics.items()):
        table.add_row(name, number(value, lang, ",.3f"))
    console.print(table)


def print_ranker(result: TrainResult, lang: Language) -> None:
    """The out-of-time validation of the candidate rankers, and which one makes the lists
    and why."""
    validation = [
        (name.removeprefix("validation_").removesuffix("_value"), value)
        for name, value in result.metrics.items()
        if name.startswith("validation_") and name.endswith("_value") and "served" not in name
    ]
    if validation:
        hits = int(result.metrics.get("validation_test_hits", 0))
        table = Table(title=t("validation.title", lang, hits=hits), show_edge=False)
        for column in ("col.ranker", "col.value", "col.interval", "col.vs_rule", "col.served"):
            table.add_column(t(column, lang), justify="left" if column == "col.ranker" else "right")
        for ranker, value in validation:
            m = result.metrics

            def points(value: float) -> str:
                return number(value, lang, "+.2f")

            table.add_row(
                t(f"ranker.name.{ranker}", lang),
                points(value),
                f"{points(m[f'validation_{ranker}_value_lower'])} … "
                f"{points(m[f'validation_{ranker}_value_upper'])}",
                points(m[f"validation_{ranker}_vs_gap_rule"]),
                "✓" if ranker == result.ranker else "",
            )
        console.print(table)
    if result.ranker is None:
        return
    name = t(f"ranker.name.{result.ranker}", lang)
    why = result.ranker_reason or "fixed"
    fields: dict[str, object] = {"ranker": name}
    if why == "beats_rule":
        m = result.metrics
        fields.update(
            diff=m[f"validation_{result.ranker}_vs_gap_rule"],
            lower=m[f"validation_{result.ranker}_vs_gap_rule_lower"],
            upper=m.get(f"validation_{result.ranker}_vs_gap_rule_upper", float("nan")),
        )
    console.print(t(f"ranker.{why}", lang, **fields))


def print_trained(result: TrainResult, lang: Language) -> None:
    """Which version was registered, whether it is the champion now, and if it may not
    be, why."""
    console.print(
        t("trained", lang, version=result.version, run=result.run_id, uri=result.tracking_uri)
    )
    if result.refusals:
        reasons = "; ".join(
            t(f"refused.{key}", lang, detail=detail) for key, detail in result.refusals.items()
        )
        warn(t("refused", lang, version=result.version, reasons=reasons), lang)
        return
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
