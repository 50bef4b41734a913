"""Model bundles: the champion models copied out of the MLflow registry into one folder, to
be served where no tracking server is reachable (air-gapped government networks).

A bundle holds one MLflow model folder per registered model and ``bundle.json`` naming each
model's registry name, version, run and when it was exported. It is written to a temporary
folder beside the target and renamed into place, so a failed export leaves an existing
bundle as it was.

Loading a bundle needs neither MLflow nor the registry module (training, evaluation, plots,
the planner): a model this version wrote (:mod:`recsys.tracking.pyfunc`) is read straight
from its pickle, and MLflow's loader reads any other (:func:`_read_model`). A serving
worker that loads a bundle for its first what-if forecast stays ~80 MB smaller for it
(issue 16: at most 300 MB resident per worker).
"""

from __future__ import annotations

import json
import logging
import pickle
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from recsys.models.mentors.policy import policies_from_settings
from recsys.models.mentors.recommender import MentorRecommender
from recsys.models.trainings import TrainingRecommender
from recsys.settings import get_settings
from recsys.tracking import legacy
from recsys.tracking.legacy import RetrainRequiredError

log = logging.getLogger(__name__)

MANIFEST = "bundle.json"
#: The registered models' names and the champion alias (those of
#: :mod:`recsys.tracking.registry`, kept here so that loading a bundle does not import it).
TRAINING_MODEL = "asn-training-recommender"
MENTOR_MODEL = "asn-mentor-recommender"
CHAMPION = "champion"
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
    from mlflow.tracking import MlflowClient

    import mlflow
    from recsys.tracking.registry import configure

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
            loaded[name] = _read_model(path / entry["folder"])
        except RetrainRequiredError as exc:
            if name == TRAINING_MODEL:
                raise
            log.warning("%s: %s is left out: %s", path, name, exc)
        except _unreadable() as exc:
            raise BundleError(f"{path}: cannot load {name} from {entry['folder']}") from exc
    return Bundle(
        trainings=loaded[TRAINING_MODEL],
        mentors=loaded.get(MENTOR_MODEL),
        versions={name: entry["version"] for name, entry in models.items() if name in loaded},
        source=str(path),
    )


def _read_model(folder: Path) -> Any:
    """The fitted recommender of the MLflow pyfunc model in ``folder``, as
    :func:`recsys.tracking.pyfunc.load_recommender` gives it. One this version wrote is
    read from its pickle without importing MLflow (:func:`_pickled_recommender`); any other
    (a model of an earlier version, one MLflow must load) by MLflow's loader."""
    recommender = _pickled_recommender(folder)
    if recommender is None:
        from recsys.tracking.pyfunc import load_recommender

        return load_recommender(str(folder))
    # what load_recommender does with the model it unwraps
    recommender = legacy.upgrade(recommender, str(folder))
    if isinstance(recommender, MentorRecommender):
        recommender.set_params(
            policies=policies_from_settings(get_settings()), allow_supervisor=None
        )
    return recommender


class _Held:
    """A pickled object read without its class: what it held (its attributes)."""


#: The classes a pyfunc model of :mod:`recsys.tracking.pyfunc` pickles that live in MLflow
#: (or import it): its wrapper, whose only use is the ``recommender`` it holds, and the type
#: hints MLflow keeps in every ``PythonModel``.
_HELD = {
    ("recsys.tracking.pyfunc", "TrainingRecommenderModel"),
    ("recsys.tracking.pyfunc", "MentorRecommenderModel"),
    ("mlflow.models.signature", "_TypeHints"),
}


class _NeedsMlflowError(pickle.UnpicklingError):
    """A pickle naming a class that only MLflow's loader (or a stand-in of
    :mod:`recsys.tracking.legacy`) can give."""


class _WithoutMlflow(pickle.Unpickler):
    """Unpickles a pyfunc model's pickle with :class:`_Held` for the classes of
    :data:`_HELD`; any other class of MLflow, or of ``recsys.tracking`` (the pyfunc classes
    of earlier versions), is a :class:`_NeedsMlflowError`."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _HELD:
            return _Held
        if module.split(".")[0] == "mlflow" or module.startswith("recsys.tracking"):
            raise _NeedsMlflowError(f"{module}.{name}")
        return super().find_class(module, name)


def _pickled_recommender(folder: Path) -> Any | None:
    """The recommender inside the pyfunc model in ``folder``, read from its pickle without
    MLflow when the model is a plain pickled ``PythonModel`` (what
    :mod:`recsys.tracking.pyfunc` saves: no code, no artifacts) holding a recommender of
    this version; else None (MLflow's loader reads it, and says what is wrong if it can't)."""
    try:
        meta = yaml.safe_load((folder / "MLmodel").read_text(encoding="utf-8"))
        flavor = meta["flavors"]["python_function"]
        plain = (
            flavor.get("loader_module") == "mlflow.pyfunc.model"
            and isinstance(flavor.get("python_model"), str)
            and not flavor.get("code")
            and not flavor.get("artifacts")
        )
        if not plain:
            return None
        with (folder / flavor["python_model"]).open("rb") as pickled:
            model = _WithoutMlflow(pickled).load()
    except Exception as exc:  # any doubt: MLflow's loader reads it (and raises what it must)
        log.debug("%s is read by MLflow: %r", folder, exc)
        return None
    recommender = vars(model).get("recommender") if isinstance(model, _Held) else None
    return recommender if isinstance(recommender, TrainingRecommender | MentorRecommender) else None


def _unreadable() -> tuple[type[BaseException], ...]:
    """What reading a model raises when its files cannot be read: OSError, and MLflow's
    errors if MLflow was imported (to read a model only it can)."""
    mlflow = sys.modules.get("mlflow")
    return (OSError,) if mlflow is None else (OSError, mlflow.exceptions.MlflowException)


def load_champions() -> Bundle:
    """The registry's champion models (training required, mentor optional) with their
    versions: what the API and ``recsys score`` serve when no bundle is given. A mentor
    champion this version cannot use is left out with a warning."""
    from mlflow.tracking import MlflowClient

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
