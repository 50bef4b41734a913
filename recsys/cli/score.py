"""``recsys score``: every active employee's answers into the recommendation store, for
the API to serve (see :mod:`recsys.scoring.job`)."""

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
    from recsys.scoring.job import ScoreResult
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
    lang: LangOption = None,
) -> None:
    """Score every active employee (trainings, mentors, the widget, in every language) into
    the recommendation store; the API serves the new generation once it is complete."""
    lang = resolve_lang(lang)
    from recsys.cli.champions import quiet_mlflow
    from recsys.scoring.store import RecommendationStore, StoreError
    from recsys.tracking.bundle import BundleError, load_bundle, load_champions

    url = store or get_settings().store
    try:
        target = RecommendationStore(url)
    except StoreError as exc:
        fail(str(exc), lang)
    quiet_mlflow()
    try:
        models = load_bundle(bundle) if bundle is not None else load_champions()
    except BundleError as exc:
        fail(str(exc), lang)
    except LookupError as exc:
        fail(t("score.no_models", lang, error=exc), lang)
    dataset = load_data(data, lang, mapping)
    score_into_store(
        dataset, models, target, lang, k=k, restart=restart, cluster=cluster, workers=workers
    )


def score_into_store(
    dataset: Dataset,
    models: Bundle,
    target: RecommendationStore,
    lang: Language,
    *,
    k: int = 10,
    restart: bool = False,
    cluster: str | None = None,
    workers: int = 2,
) -> ScoreResult:
    """Score ``dataset`` into the store with a progress bar, then say what was made and
    how long it took (what ``recsys score`` and ``recsys demo`` show)."""
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
            )
    except StoreError as exc:
        fail(str(exc), lang)
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
