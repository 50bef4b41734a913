"""Model bundles: the champion models copied out of the MLflow registry into one folder, to
be served where no tracking server is reachable (air-gapped government networks).

A bundle holds one MLflow model folder per registered model and ``bundle.json`` naming each
model's registry name, version, run and when it was exported. It is written to a temporary
folder beside the target and renamed into place, so a failed export leaves an existing
bundle as it was.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlflow.tracking import MlflowClient

import mlflow
from recsys.models.mentors.recommender import MentorRecommender
from recsys.models.trainings import TrainingRecommender
from recsys.tracking.legacy import RetrainRequiredError
from recsys.tracking.pyfunc import load_recommender
from recsys.tracking.registry import CHAMPION, MENTOR_MODEL, TRAINING_MODEL, configure

log = logging.getLogger(__name__)

MANIFEST = "bundle.json"
#: Registered models a bundle carries, and the folder each goes to.
MODELS = {TRAINING_MODEL: "trainings", MENTOR_MODEL: "mentors"}


class BundleError(LookupError):
    """A bundle cannot be written or read (no champion, missing or damaged files)."""


@dataclass(frozen=True)
class Bundle:
    """Models loaded from a bundle (or the registry) with the versions being served."""

    trainings: TrainingRecommender
    mentors: MentorRecommender | None
    versions: dict[str, str]
    source: str


def export_bundle(out: Path) -> dict[str, Any]:
    """Copy every champion model into ``out`` (replacing a bundle there); returns the
    manifest. A missing training champion is an error; a missing mentor champion is left
    out (mentorships are optional data)."""
    configure()
    client = MlflowClient()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".bundle-", dir=out.parent))
    manifest: dict[str, Any] = {"exported_at": datetime.now(UTC).isoformat(), "models": {}}
    try:
        for name, folder in MODELS.items():
            try:
                version = client.get_model_version_by_alias(name, CHAMPION)
            except mlflow.exceptions.MlflowException as exc:
                if name == MENTOR_MODEL:
                    continue
                raise BundleError(
                    f"no champion {name} is registered: run `recsys train --data ...` first"
                ) from exc
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{name}@{CHAMPION}", dst_path=str(staging / folder)
            )
            manifest["models"][name] = {
                "version": str(version.version),
                "run_id": version.run_id,
                "folder": folder,
            }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        # swap in only what a bundle owns (the folder may hold other files, e.g. a README);
        # the manifest goes last, so a reader never sees it point at missing models
        out.mkdir(exist_ok=True)
        (out / MANIFEST).unlink(missing_ok=True)
        for folder in MODELS.values():
            if (out / folder).exists():
                shutil.rmtree(out / folder)
            if (staging / folder).exists():
                (staging / folder).rename(out / folder)
        (staging / MANIFEST).rename(out / MANIFEST)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return manifest


def load_bundle(path: Path) -> Bundle:
    """The models of a bundle written by :func:`export_bundle`; no tracking server needed.

    A mentor model this version cannot use (:class:`RetrainRequiredError`) is left out with
    a warning, as a bundle without one: mentor suggestions are optional, training
    recommendations are not (an unusable training model raises)."""
    path = Path(path)
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        models = manifest["models"]
    except (OSError, ValueError, KeyError) as exc:
        raise BundleError(f"{path} is not a model bundle (no readable {MANIFEST})") from exc
    if TRAINING_MODEL not in models:
        raise BundleError(f"{path}: the bundle has no {TRAINING_MODEL}")
    loaded: dict[str, Any] = {}
    for name, entry in models.items():
        try:
            loaded[name] = load_recommender(str(path / entry["folder"]))
        except RetrainRequiredError as exc:
            if name == TRAINING_MODEL:
                raise
            log.warning("%s: %s is left out: %s", path, name, exc)
        except (OSError, mlflow.exceptions.MlflowException) as exc:
            raise BundleError(f"{path}: cannot load {name} from {entry['folder']}") from exc
    return Bundle(
        trainings=loaded[TRAINING_MODEL],
        mentors=loaded.get(MENTOR_MODEL),
        versions={name: entry["version"] for name, entry in models.items() if name in loaded},
        source=str(path),
    )


def load_champions() -> Bundle:
    """The registry's champion models (training required, mentor optional) with their
    versions: what the API and ``recsys score`` serve when no bundle is given. A mentor
    champion this version cannot use is left out with a warning."""
    from recsys.tracking import registry

    trainings = registry.load_champion()
    client = MlflowClient()
    versions = {
        TRAINING_MODEL: str(client.get_model_version_by_alias(TRAINING_MODEL, CHAMPION).version)
    }
    mentors = None
    try:
        mentors = registry.load_mentor_champion()
        versions[MENTOR_MODEL] = str(
            client.get_model_version_by_alias(MENTOR_MODEL, CHAMPION).version
        )
    except registry.NoChampionError:
        mentors = None
    except LookupError as exc:  # e.g. saved by an earlier version: must be retrained
        log.warning("the mentor champion is not served: %s", exc)
        mentors = None
    return Bundle(trainings=trainings, mentors=mentors, versions=versions, source="registry")
