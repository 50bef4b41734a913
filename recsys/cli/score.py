"""``recsys score``: every active employee's answers into the recommendation store, for
the API to serve (see :mod:`recsys.scoring.job`), with each person's place in the agency
plans attached (``--plan RUN_ID``, repeatable; by default the latest plan of each agency
for the data's plan year; ``--no-plan``: none). The command says which plans it attached,
or that it attached none and why."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from recsys.cli.console import console, fail, progress
from recsys.cli.data import load_data
from recsys.cli.messages import t
from recsys.cli.options import ColumnsOption, DataOption, LangOption, resolve_lang
from recsys.settings import Language, get_settings

if TYPE_CHECKING:
    from recsys.data.loading import Dataset
    from recsys.scoring.cluster import ScoringCluster
    from recsys.scoring.job import ScoreResult
    from recsys.scoring.plan_places import AttachedPlans
    from recsys.scoring.store import RecommendationStore
    from recsys.tracking.bundle import Bundle


def score_cmd(
    data: DataOption,
    mapping: ColumnsOption = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="Recommendation store URL (sqlite:///… or postgresql://…); default: "
            "RECSYS_STORE or sqlite:///store/recommendations.db.",
        ),
    ] = None,
    bundle: Annotated[
        Path | None,
        typer.Option("--bundle", help="A model bundle (recsys export); default: the registry."),
    ] = None,
    k: Annotated[
        int, typer.Option("--k", min=1, max=50, help="Items per person kept in the store.")
    ] = 10,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help="Score on Dask: a scheduler address (tcp://host:8786) or 'local' for a "
            "LocalCluster on this machine; default: in this process.",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Workers of a local Dask cluster.")
    ] = 2,
    restart: Annotated[
        bool,
        typer.Option("--restart", help="Start a new generation instead of resuming one."),
    ] = False,
    plan: Annotated[
        list[str] | None,
        typer.Option(
            "--plan",
            help="A plan to attach (its MLflow run id, as `recsys plan` prints it); "
            "repeatable, one per agency. Default: the latest plan of each agency (and of "
            "every agency) for the data's plan year, if any.",
        ),
    ] = None,
    no_plan: Annotated[
        bool, typer.Option("--no-plan", help="Attach no plan (nobody gets a place in one).")
    ] = False,
    lang: LangOption = None,
) -> None:
    """Score every active employee (trainings, mentors, the widget, in every language) into
    the recommendation store; the API serves the new generation once it is complete."""
    lang = resolve_lang(lang)
    if plan and no_plan:
        fail(t("score.plan_and_no_plan", lang), lang)
    from recsys.cli.champions import quiet_mlflow
    from recsys.scoring.store import RecommendationStore, StoreError
    from recsys.tracking.bundle import BundleError, load_bundle, load_champions

    url = store or get_settings().store
    try:
        target = RecommendationStore(url)
    except StoreError as exc:
        fail(str(exc), lang)
    # a cluster's workers boot while the models and the data are read
    pending = None
    if cluster is not None:
        from recsys.scoring.cluster import ScoringCluster

        pending = ScoringCluster(cluster, workers).start()
    try:
        quiet_mlflow()
        try:
            models = load_bundle(bundle) if bundle is not None else load_champions()
        except BundleError as exc:
            fail(str(exc), lang)
        except LookupError as exc:
            fail(t("score.no_models", lang, error=exc), lang)
        dataset = load_data(data, lang, mapping)
        plans = attach_plans(dataset, plan, lang, off=no_plan)
        score_into_store(
            dataset,
            models,
            target,
            lang,
            k=k,
            restart=restart,
            cluster=pending,
            workers=workers,
            plans=plans,
        )
    finally:
        if pending is not None:
            pending.close()


def attach_plans(
    dataset: Dataset, run_ids: list[str] | None, lang: Language, *, off: bool = False
) -> AttachedPlans:
    """The plans to attach (``run_ids``, else the latest of each agency for the data's plan
    year; none if ``off``), said on the console; a plan that cannot be attached ends the
    command before anything is written."""
    from recsys.planning.program_inputs import plan_year
    from recsys.scoring.plan_places import AttachedPlans, PlanAttachError, find_plans

    if off:
        console.print(t("score.plans_off", lang))
        return AttachedPlans(())
    year = plan_year(dataset, None)
    try:
        plans = AttachedPlans(tuple(find_plans(year, run_ids or None)))
    except PlanAttachError as exc:
        fail(t("score.plan_error", lang, error=exc), lang)
    if not plans.plans:
        console.print(t("score.no_plans", lang, year=year))
        return plans
    shown = []
    for entry in plans.describe(dataset):
        scope = entry["agency"] or t("score.every_agency", lang)
        text = t("score.plan", lang, run=entry["run_id"], scope=scope, **entry)
        if entry["left_out"]:
            text += t("score.plan_left_out", lang, left_out=entry["left_out"])
        shown.append(text)
    console.print(t("score.plans", lang, plans="; ".join(shown)))
    return plans


def score_into_store(
    dataset: Dataset,
    models: Bundle,
    target: RecommendationStore,
    lang: Language,
    *,
    k: int = 10,
    restart: bool = False,
    cluster: str | ScoringCluster | None = None,
    workers: int = 2,
    plans: AttachedPlans | None = None,
) -> ScoreResult:
    """Score ``dataset`` into the store with a progress bar (with the places of the people
    in ``plans``), then say what was made and how long it took (what ``recsys score`` and
    ``recsys demo`` show)."""
    from recsys.scoring.cluster import ClusterError
    from recsys.scoring.job import score
    from recsys.scoring.store import StoreError

    try:
        with progress(t("score.scoring", lang)) as update:
            result = score(
                dataset,
                models,
                target,
                k=k,
                resume=not restart,
                cluster=cluster,
                workers=workers,
                on_progress=lambda done, total: update("", done, total),
                plans=plans,
            )
    except StoreError as exc:
        fail(str(exc), lang)
    except ClusterError as exc:
        fail(t("score.cluster_error", lang, error=exc), lang)
    finally:
        target.dispose()
    generation = result.generation
    console.print(
        t(
            "score.done",
            lang,
            generation=generation.id,
            people=result.people,
            partitions=result.scored + result.resumed,
            resumed=result.resumed,
            seconds=result.seconds,
            store=repr(target),
            models=", ".join(f"{n} v{v}" for n, v in generation.model_versions.items()),
        )
    )
    return result
