"""Models saved by version 0.1 (flat layout: ``recsys.trainings``, ``recsys.tracking``, …) still
load and recommend; a model that cannot be used asks for retraining.

The fixture is a real bundle exported by version 0.1 (commit 8ec079e: ``recsys simulate
--employees 1500 --seed 3``, ``recsys train``, ``recsys export``).
"""

from __future__ import annotations

import sys
import tarfile
from pathlib import Path

import pytest
from sklearn.base import clone

from recsys.data import load_dataset
from recsys.models.mentors.recommender import MentorRecommender
from recsys.models.trainings import TrainingRecommender
from recsys.tracking.bundle import load_bundle
from recsys.tracking.legacy import OLD_MODULES, RetrainRequiredError
from recsys.tracking.pyfunc import load_recommender

FIXTURE = Path(__file__).parent / "fixtures" / "bundle-0.1.tar.gz"


@pytest.fixture()
def old_bundle(tmp_path: Path) -> Path:
    with tarfile.open(FIXTURE) as archive:
        archive.extractall(tmp_path, filter="data")
    return tmp_path / "bundle"


def test_a_bundle_saved_by_version_0_1_loads_and_recommends(
    old_bundle: Path, small_world: Path
) -> None:
    pickled = (old_bundle / "trainings" / "python_model.pkl").read_bytes()
    assert b"recsys.trainings" in pickled and b"recsys.tracking" in pickled  # really old
    bundle = load_bundle(old_bundle)
    assert isinstance(bundle.trainings, TrainingRecommender)
    assert isinstance(bundle.mentors, MentorRecommender)
    # estimators of this version: parameters readable, clonable
    assert clone(bundle.trainings).get_params() == bundle.trainings.get_params()
    assert set(clone(bundle.mentors).get_params()) == set(MentorRecommender().get_params())
    ds = load_dataset(small_world)
    active = ds.employees.loc[ds.employees["active"], "nip"].astype(str)
    recs = bundle.trainings.recommend(ds, list(active[:3]), k=3)
    assert set(recs["nip"]) == set(active[:3])
    assert recs["expected_gain"].notna().all()


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
