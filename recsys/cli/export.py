"""``recsys export``: the champion models as an offline bundle folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from recsys.cli.champions import quiet_mlflow
from recsys.cli.console import console, fail
from recsys.cli.messages import t
from recsys.cli.options import LangOption, resolve_lang


def export_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder of the bundle, e.g. models/.")],
    lang: LangOption = None,
) -> None:
    """Copy the champion models out of the MLflow registry into a bundle folder, for
    serving where no tracking server is reachable (air-gapped networks)."""
    lang = resolve_lang(lang)
    from recsys.tracking.bundle import BundleError, export_bundle

    quiet_mlflow()
    try:
        manifest = export_bundle(out)
    except BundleError as exc:
        fail(str(exc), lang)
    models = ", ".join(f"{name} v{entry['version']}" for name, entry in manifest["models"].items())
    console.print(t("export.written", lang, path=out, models=models))
