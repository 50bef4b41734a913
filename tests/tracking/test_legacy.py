"""Models saved by version 0.1 (flat layout: ``recsys.trainings``, ``recsys.tracking``, …) still
load and recommend; a model that cannot be used asks for retraining (the 0.1 mentor model:
its unbounded LightGBM effect model is gone).

The fixture is a real bundle exported by version 0.1 (commit 8ec079e: ``recsys simulate
--employees 1500 --seed 3``, ``recsys train``, ``recsys export``).
"""

from __future__ import annotations

import logging
import sys
import tarfile
from pathlib import Path

import pytest
from sklearn.base import clone

from recsys.data import load_dataset
from recsys.models.mentors.recommender import MentorRecommender
from recsys.models.selection import VALIDATION_COLUMNS, WHY_FIXED
from recsys.models.trainings import RECOMMENDATION_COLUMNS, TrainingRecommender
from recsys.tracking.bundle import load_bundle
from recsys.tracking.legacy import OLD_MODULES, RetrainRequiredError, upgrade
from recsys.tracking.pyfunc import load_recommender
from recsys.tracking.registry import MENTOR_MODEL, TRAINING_MODEL

FIXTURE = Path(__file__).parent / "fixtures" / "bundle-0.1.tar.gz"


@pytest.fixture()
def old_bundle(tmp_path: Path) -> Path:
    with tarfile.open(FIXTURE) as archive:
        archive.extractall(tmp_path, filter="data")
    return tmp_path / "bundle"


def test_a_bundle_saved_by_version_0_1_loads_and_recommends(
    old_bundle: Path, small_world: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pickled = (old_bundle / "trainings" / "python_model.pkl").read_bytes()
    assert b"recsys.trainings" in pickled and b"recsys.tracking" in pickled  # really old
    with caplog.at_level(logging.WARNING, logger="recsys.tracking.bundle"):
        bundle = load_bundle(old_bundle)
    assert isinstance(bundle.trainings, TrainingRecommender)
    # its mentor model (a LightGBM effect model) cannot score: left out, with a warning
    assert bundle.mentors is None
    assert set(bundle.versions) == {TRAINING_MODEL}
    assert any(
        "retrain" in r.getMessage() and MENTOR_MODEL in r.getMessage() for r in caplog.records
    )
    # an estimator of this version: parameters readable, clonable
    assert clone(bundle.trainings).get_params() == bundle.trainings.get_params()
    ds = load_dataset(small_world)
    active = ds.employees.loc[ds.employees["active"], "nip"].astype(str)
    # saved before there were several rankers: it serves its structured forecasts, as fixed
    model = bundle.trainings
    assert (model.ranker_, model.ranker_reason_) == ("structured", WHY_FIXED)
    assert model.validation_.empty
    assert list(model.validation_.columns) == list(VALIDATION_COLUMNS)
    recs = model.recommend(ds, list(active[:3]), k=3)
    assert list(recs.columns) == list(RECOMMENDATION_COLUMNS)
    assert set(recs["nip"]) == set(active[:3])
    assert recs["expected_gain"].notna().all()
    assert (recs["ranker"] == "structured").all()
    for _, person in recs.groupby("nip"):
        assert person["title"].is_unique  # a marginal list: no course twice
        assert person["list_gain"].iloc[0] == pytest.approx(person["expected_gain"].sum())
        assert (person["expected_gain"].abs() <= person["gain_alone"].abs() + 1e-9).all()
    first = recs[recs["rank"] == 1]["reason"]
    assert first.str.contains("diurutkan oleh model terstruktur").all()
    assert not recs[recs["rank"] > 1]["reason"].str.contains("diurutkan oleh").any()


def test_a_mentor_model_of_version_0_1_asks_for_retraining(old_bundle: Path) -> None:
    """Its effect model was a LightGBM booster with unbounded forecasts: nothing of this
    version can stand in for the bounded effect model, so it must be retrained, not served
    half-working (it used to load and then fail on the first request)."""
    with pytest.raises(RetrainRequiredError, match=r"MentorRecommender has no effect_.*retrain it"):
        load_recommender(str(old_bundle / "mentors"))


def test_a_fitted_mentor_model_without_its_effect_model_asks_for_retraining() -> None:
    model = MentorRecommender()
    model.oof_r2_ = 0.1  # fitted-looking, but without the effect model
    with pytest.raises(RetrainRequiredError, match="effect_, relative_error_"):
        upgrade(model, "models:/mentors@champion")


def test_upgrade_does_not_make_an_unfitted_model_look_fitted() -> None:
    unfitted = TrainingRecommender()
    with pytest.raises(RetrainRequiredError, match="retrain"):
        upgrade(unfitted, "models:/nothing")
    assert not hasattr(unfitted, "ranker_")


def test_old_module_paths_exist_only_while_loading(old_bundle: Path) -> None:
    load_bundle(old_bundle)
    for name in OLD_MODULES:
        assert name not in sys.modules
    with pytest.raises(ImportError):
        __import__("recsys.trainings")


def test_a_model_naming_code_that_is_gone_asks_for_retraining(old_bundle: Path) -> None:
    model = old_bundle / "trainings" / "python_model.pkl"
    # same length, so the pickle stays well-formed: only the class path is unknown
    model.write_bytes(model.read_bytes().replace(b"recsys.trainings", b"recsys.trainingz"))
    with pytest.raises(RetrainRequiredError, match="retrain"):
        load_recommender(str(old_bundle / "trainings"))
