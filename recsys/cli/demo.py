"""``recsys demo``: the main job on embedded defaults (what ``make demo`` runs): a demo
world, its load report, both models trained, and where everything is."""

from __future__ import annotations

from rich.panel import Panel
from rich.table import Table

from recsys.cli.console import console, fail
from recsys.cli.data import default_report_dir, load_data, print_report, write_world
from recsys.cli.messages import t
from recsys.cli.options import LangOption, resolve_lang
from recsys.cli.score import score_into_store
from recsys.cli.training import (
    ground_truth,
    print_ranker,
    print_trained,
    train_mentors,
    train_trainings,
)
from recsys.settings import get_settings
from recsys.simulation.world import TRUTH_DIR


def demo_cmd(lang: LangOption = None) -> None:
    """The main job on embedded defaults: make the demo world, validate it, show where
    everything is."""
    lang = resolve_lang(lang)
    settings = get_settings()
    out = settings.demo_dir
    is_demo = (out / TRUTH_DIR / "params.json").exists()
    if out.exists() and any(out.iterdir()) and not is_demo:
        fail(t("demo.refuse", lang, path=out), lang)
    console.print(Panel.fit(t("demo.title", lang), style="bold"))
    write_world(out, settings.demo_employees, settings.demo_seed, "csv", True, lang)
    dataset = load_data(str(out), lang)
    report_dir = default_report_dir(str(out))
    dataset.report.write(report_dir, lang=lang)
    print_report(dataset.report, lang)
    truth = ground_truth(out, lang)
    result = train_trainings(dataset, truth, lang)
    share = result.metrics.get("share_of_oracle_top5", float("nan"))
    gap = result.metrics.get("gap_rule_share_of_oracle_top5", float("nan"))
    console.print(t("demo.trained", lang, version=result.version, share=share, gap=gap))
    print_ranker(result, lang)
    if result.refusals:
        print_trained(result, lang)
    mentors = train_mentors(dataset, truth, lang)
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
    from recsys.scoring.store import RecommendationStore, StoreError
    from recsys.tracking.bundle import load_champions

    try:
        store = RecommendationStore(settings.store)
    except StoreError as exc:
        fail(str(exc), lang)
    scored = score_into_store(dataset, load_champions(), store, lang)
    where = Table(title=t("demo.where", lang), show_header=False, show_edge=False)
    where.add_row(t("demo.data", lang), str(out.resolve()))
    where.add_row(t("demo.truth", lang), str((out / TRUTH_DIR).resolve()))
    where.add_row(t("demo.report", lang), str(report_dir.resolve()))
    where.add_row(t("demo.contract", lang), "recsys contract  (docs/data-contract.md)")
    where.add_row(t("demo.store", lang), f"{settings.store} (generation {scored.generation.id})")
    where.add_row("MLflow", f"{result.tracking_uri}")
    where.add_row("MLflow UI", f".venv/bin/mlflow ui --backend-store-uri {result.tracking_uri}")
    console.print(where)
    console.print(
        f"[bold]{t('demo.next', lang)}:[/] recsys recommend trainings --data {out} --nip <NIP>"
        f"  ·  recsys recommend mentors --data {out} --nip <NIP>"
        f"  ·  recsys match-mentors --data {out} --out reports/mentors.csv"
        f"  ·  recsys plan --data {out} --budget 5.000.000.000 --out reports/rencana.xlsx"
        f"  ·  recsys --help"
    )
