"""MLflow tracking as a user meets it: `recsys train` into a real SQLite store."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

import mlflow
from recsys.models.selection import RANKERS
from recsys.tracking.registry import CHAMPION, MENTOR_MODEL, TRAINING_MODEL
from tests.cli.test_cli import assert_clean_failure, run


@pytest.fixture(scope="module")
def store(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Train twice into one store; the second run cannot beat the first."""
    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'tracking.db'}"
    env = {"MLFLOW_TRACKING_URI": uri, "RECSYS_LANG": "en"}
    first = run("train", "--data", str(small_world), cwd=root, env=env)
    second = run("train", "--data", str(small_world), cwd=root, env=env)
    return {"uri": uri, "root": root, "env": env, "first": first, "second": second}


def test_train_logs_a_run_and_registers_the_champion(store: dict) -> None:
    first = store["first"]
    assert first.returncode == 0, first.stderr
    assert "is now the champion" in first.stdout
    assert (store["root"] / "tracking.db").exists()  # MLFLOW_TRACKING_URI was honoured
    assert not (store["root"] / "mlflow").exists()
    client = MlflowClient(tracking_uri=store["uri"])
    champion = client.get_model_version_by_alias(TRAINING_MODEL, CHAMPION)
    assert str(champion.version) == "1"
    run_ = client.get_run(champion.run_id)
    assert run_.data.metrics["share_of_oracle_top5"] > 0.7
    assert "gap_rule_share_of_oracle_top5" in run_.data.metrics
    assert "data_fingerprint" in run_.data.tags
    assert "ridge_alpha" in run_.data.params
    # get_params(), and the settings of the baseline the fit built itself
    assert run_.data.params["baseline__n_estimators"] == "300"
    assert run_.data.params["baseline__excluded"] == "all"
    artifacts = {a.path for a in client.list_artifacts(champion.run_id, "evaluation")}
    assert {
        "evaluation/evaluation.csv",
        "evaluation/share_of_oracle.png",
        "evaluation/ranker_validation.csv",
    } <= artifacts
    # which ranker makes the lists, why, and the out-of-time validation behind the choice
    assert run_.data.tags["ranker"] in RANKERS
    assert run_.data.tags["ranker_reason"] in ("beats_rule", "no_better", "no_test")
    assert run_.data.tags["champion_refused"] == "no"
    for ranker in RANKERS:
        assert f"candidate_{ranker}_share_of_oracle_top5" in run_.data.metrics
    assert "validation_served_value" in run_.data.metrics


def test_the_registered_pyfunc_has_a_signature_and_predicts(store: dict) -> None:
    mlflow.set_tracking_uri(store["uri"])
    model = mlflow.pyfunc.load_model(f"models:/{TRAINING_MODEL}@{CHAMPION}")
    assert model.metadata.signature is not None
    inputs = {i.name for i in model.metadata.signature.inputs.inputs}
    assert {"training_id", "weighted_gap", "modality"} <= inputs
    recommender = model.unwrap_python_model().recommender
    frame = recommender.example_features()
    out = model.predict(frame)
    assert list(out.columns) == ["expected_gain", "gain_lower", "gain_upper"]
    assert (out["gain_lower"] <= out["expected_gain"]).all()


def test_champion_moves_only_when_beaten(store: dict) -> None:
    second = store["second"]
    assert second.returncode == 0, second.stderr
    client = MlflowClient(tracking_uri=store["uri"])
    versions = client.search_model_versions(f"name='{TRAINING_MODEL}'")
    assert {str(v.version) for v in versions} == {"1", "2"}
    # same data, same seed: an equal score does not beat the champion
    assert str(client.get_model_version_by_alias(TRAINING_MODEL, CHAMPION).version) == "1"
    assert "did not beat" in second.stdout


def test_recommend_from_the_champion(store: dict, small_world: Path, tmp_path: Path) -> None:
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    nip = employees.loc[employees["active"] == "true", "nip"].iloc[3]
    shown = run(
        "recommend",
        "trainings",
        "--data",
        str(small_world),
        "--nip",
        nip,
        cwd=store["root"],
        env=store["env"],
    )
    assert shown.returncode == 0, shown.stderr
    assert "Training recommendations for NIP" in shown.stdout
    out = tmp_path / "all.csv"
    batch = run(
        "recommend",
        "trainings",
        "--data",
        str(small_world),
        "--all",
        "--k",
        "3",
        "--out",
        str(out),
        cwd=store["root"],
        env=store["env"],
    )
    assert batch.returncode == 0, batch.stderr
    frame = pd.read_csv(out, dtype={"nip": str})
    assert list(frame.columns) == [
        "nip",
        "rank",
        "training_id",
        "expected_gain",
        "gain_lower",
        "gain_upper",
        "list_gain",
        "reason",
    ]
    assert frame.groupby("nip")["rank"].max().max() <= 3
    # the list's gain is the sum of its items' marginal gains (the export rounds each
    # figure to three decimals)
    sums = frame.groupby("nip")["expected_gain"].sum()
    np.testing.assert_allclose(frame.groupby("nip")["list_gain"].first(), sums, atol=0.003)
    assert frame["nip"].nunique() > 0.9 * (employees["active"] == "true").sum()


def test_recommend_bad_input(store: dict, small_world: Path) -> None:
    for args, message in (
        (["--nip", "123"], "18 digits"),
        (["--nip", "199901012020011999"], "not found"),
        ([], "exactly one of"),
        (["--all", "--out", "x.json"], ".csv, .parquet or .xlsx"),
    ):
        result = run(
            "recommend",
            "trainings",
            "--data",
            str(small_world),
            *args,
            cwd=store["root"],
            env=store["env"],
        )
        assert_clean_failure(result)
        assert message in result.stderr


def test_a_data_set_that_fails_validation_trains_nothing(
    store: dict, small_world: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(small_world, broken)
    (broken / "enrollments.csv").unlink()
    result = run("train", "--data", str(broken), cwd=store["root"], env=store["env"])
    assert_clean_failure(result)
    assert "enrollments" in result.stderr
    client = MlflowClient(tracking_uri=store["uri"])
    assert len(client.search_model_versions(f"name='{TRAINING_MODEL}'")) == 2


def _champion_pickle(store: dict, name: str) -> Path:
    """The python_model.pkl of ``name``'s champion, in the store's artifacts."""
    client = MlflowClient(tracking_uri=store["uri"])
    version = client.get_model_version_by_alias(name, CHAMPION)
    logged = client.get_logged_model(version.source.removeprefix("models:/"))
    return Path(url2pathname(urlparse(logged.artifact_location).path)) / "python_model.pkl"


def test_a_champion_this_version_cannot_load_asks_for_retraining(
    store: dict, small_world: Path
) -> None:
    """A registered model naming code that is gone (as one saved before a module moved
    would): a one-line message to retrain, in the user's language, and no traceback."""
    pickle_file = _champion_pickle(store, TRAINING_MODEL)
    saved = pickle_file.read_bytes()
    gone = b"recsys.models.vanished0"  # same length: the pickle stays well-formed
    assert b"recsys.models.trainings" in saved and len(gone) == len(b"recsys.models.trainings")
    pickle_file.write_bytes(saved.replace(b"recsys.models.trainings", gone))
    try:
        args = ("recommend", "trainings", "--data", str(small_world), "--all")
        english = run(*args, cwd=store["root"], env=store["env"])
        indonesian = run(*args, cwd=store["root"], env={**store["env"], "RECSYS_LANG": "id"})
    finally:
        pickle_file.write_bytes(saved)  # the other tests share the store
    assert_clean_failure(english)
    message = " ".join(english.stderr.split())
    assert f"the registered model {TRAINING_MODEL} was saved by an earlier version" in message
    assert "retrain it with `recsys train --data ...`" in message
    assert_clean_failure(indonesian)
    message = " ".join(indonesian.stderr.split())
    assert "disimpan oleh versi ASN Recsys sebelumnya" in message
    assert "latih ulang dengan `recsys train --data ...`" in message


@pytest.mark.parametrize(
    ("lang", "message"), [("en", "no champion"), ("id", "belum ada model champion")]
)
def test_recommend_without_a_trained_model(
    small_world: Path, tmp_path: Path, lang: str, message: str
) -> None:
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'empty.db'}", "RECSYS_LANG": lang}
    result = run(
        "recommend", "trainings", "--data", str(small_world), "--all", cwd=tmp_path, env=env
    )
    assert_clean_failure(result)
    assert "recsys train" in result.stderr
    assert message in result.stderr
    assert "asn-training-recommender" in result.stderr


# ----------------------------------------------------------------------------- mentors


def test_mentor_model_registered_beside_the_training_model(store: dict) -> None:
    client = MlflowClient(tracking_uri=store["uri"])
    champion = client.get_model_version_by_alias(MENTOR_MODEL, CHAMPION)
    assert str(champion.version) == "1"  # the second, equal run did not replace it
    versions = client.search_model_versions(f"name='{MENTOR_MODEL}'")
    assert {str(v.version) for v in versions} == {"1", "2"}
    metrics = client.get_run(champion.run_id).data.metrics
    share = metrics["mentor_share_of_oracle_top3"]
    assert share > metrics["same_unit_senior_share_of_oracle_top3"]
    assert share > metrics["random_senior_share_of_oracle_top3"]
    assert metrics["cohort_lp_bound"] >= metrics["cohort_forecast_gain"] - 1e-6
    mlflow.set_tracking_uri(store["uri"])
    model = mlflow.pyfunc.load_model(f"models:/{MENTOR_MODEL}@{CHAMPION}")
    frame = model.unwrap_python_model().recommender.example_features()
    out = model.predict(frame)
    assert list(out.columns) == ["expected_gain", "gain_lower", "gain_upper"]
    assert (out["gain_lower"] <= out["gain_upper"]).all()


def _junior(small_world: Path) -> str:
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    junior = (employees["active"] == "true") & (employees["position_type"] == "pelaksana")
    return str(employees.loc[junior, "nip"].iloc[0])


def test_recommend_mentors(store: dict, small_world: Path, tmp_path: Path) -> None:
    nip = _junior(small_world)
    shown = run(
        "recommend", "mentors", "--data", str(small_world), "--nip", nip,
        cwd=store["root"], env=store["env"],
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "Mentor recommendations for NIP" in shown.stdout
    out = tmp_path / "mentors.csv"
    written = run(
        "recommend", "mentors", "--data", str(small_world), "--all", "--k", "2",
        "--out", str(out), cwd=store["root"], env=store["env"],
    )  # fmt: skip
    assert written.returncode == 0, written.stderr
    frame = pd.read_csv(out, dtype={"nip": str, "mentor_nip": str})
    assert list(frame.columns) == [
        "nip", "rank", "mentor_nip", "status", "expected_gain", "gain_lower", "gain_upper",
        "reason",
    ]  # fmt: skip
    assert frame.groupby("nip")["rank"].max().max() <= 2
    assert (frame["nip"] != frame["mentor_nip"]).all()
    assert frame["nip"].str.fullmatch(r"\d{18}").all()


def test_recommend_mentors_bad_input(store: dict, small_world: Path) -> None:
    for args, message in (
        (["--nip", "123"], "18 digits"),
        (["--nip", "199901012020011999"], "not found"),
        ([], "exactly one of"),
    ):
        result = run(
            "recommend", "mentors", "--data", str(small_world), *args,
            cwd=store["root"], env=store["env"],
        )  # fmt: skip
        assert_clean_failure(result)
        assert message in result.stderr


def test_match_mentors(store: dict, small_world: Path, tmp_path: Path) -> None:
    out = tmp_path / "cohort.csv"
    result = run(
        "match-mentors", "--data", str(small_world), "--capacity", "2", "--out", str(out),
        cwd=store["root"], env=store["env"],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "LP bound" in result.stdout and "Greedy assignment" in result.stdout
    frame = pd.read_csv(out, dtype={"nip": str, "mentor_nip": str})
    matched = frame[frame["status"] == "matched"]
    assert len(matched) > 0
    assert matched["mentor_nip"].value_counts().max() <= 2
    assert frame["nip"].is_unique  # every mentee once: matched or unmatched with a reason
    unmatched = frame[frame["status"] == "unmatched"]
    assert unmatched["note"].notna().all()
    # the summary counts the unmatched once, each reason with its own count in brackets
    said = re.search(r"([\d,]+) mentees unmatched: (.*?)Assignment written", result.stdout, re.S)
    assert (said is not None) == (len(unmatched) > 0)
    if said is not None:
        assert int(said[1].replace(",", "")) == len(unmatched)
        per_reason = [int(n.replace(",", "")) for n in re.findall(r"\(([\d,]+)\)", said[2])]
        assert sum(per_reason) == len(unmatched)
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    juniors = employees[
        (employees["active"] == "true")
        & employees["position_type"].isin(["pelaksana", "fungsional"])
    ]
    assert set(frame["nip"]) == set(juniors["nip"])
    # without the certificate (the default past a million candidate pairs): same matching
    unbounded = tmp_path / "unbounded.csv"
    result = run(
        "match-mentors", "--data", str(small_world), "--capacity", "2", "--no-bound",
        "--out", str(unbounded), cwd=store["root"], env=store["env"],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "LP bound not computed, use --bound" in result.stdout
    again = pd.read_csv(unbounded, dtype={"nip": str, "mentor_nip": str})
    pd.testing.assert_frame_equal(again, frame)


def test_match_mentors_bad_input_writes_nothing(
    store: dict, small_world: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cohort.csv"
    mentees = tmp_path / "mentees.csv"
    mentees.write_text("nip\n199901012020011999\n")
    pool = tmp_path / "pool.csv"
    pool.write_text("nip,capacity\n199901012020011999,2\n")
    for args, message in (
        (["--mentors", str(pool)], "not found"),
        (["--capacity", "0"], "capacity is at least 1"),
        (["--agency", "Pemerintah Kota Atlantis"], "is not in this data set"),
        (["--mentees", str(mentees)], "not found"),
        (["--out", str(tmp_path / "cohort.json")], ".csv, .parquet or .xlsx"),
    ):
        full = ["--out", str(out), *args] if "--out" not in args else args
        result = run(
            "match-mentors", "--data", str(small_world), *full,
            cwd=store["root"], env=store["env"],
        )  # fmt: skip
        assert_clean_failure(result)
        assert message in result.stderr
        assert not out.exists()


def test_match_mentors_agency_without_mentors(
    store: dict, small_world: Path, tmp_path: Path
) -> None:
    world = tmp_path / "world"
    shutil.copytree(small_world, world)
    employees = pd.read_csv(world / "employees.csv", dtype=str)
    agency = employees["agency"].iloc[0]
    performance = pd.read_csv(world / "performance.csv", dtype=str)
    in_agency = performance["nip"].isin(employees.loc[employees["agency"] == agency, "nip"])
    performance.loc[in_agency, "rating"] = "kurang"  # nobody there performs well enough
    performance.to_csv(world / "performance.csv", index=False)
    staff = employees.loc[employees["agency"] == agency, "nip"]
    mentorships = pd.read_csv(world / "mentorships.csv", dtype=str)
    # and no mentoring record vouches for anyone either
    mentorships.loc[mentorships["mentor_nip"].isin(staff), "mentee_rating"] = None
    mentorships.to_csv(world / "mentorships.csv", index=False)
    out = tmp_path / "cohort.csv"
    result = run(
        "match-mentors", "--data", str(world), "--agency", agency, "--out", str(out),
        cwd=store["root"], env=store["env"],
    )  # fmt: skip
    assert_clean_failure(result)
    assert "has no eligible mentors" in result.stderr
    assert not out.exists()


def test_match_mentors_with_a_mentor_pool(store: dict, small_world: Path, tmp_path: Path) -> None:
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    seniors = employees[
        (employees["active"] == "true")
        & employees["position_type"].isin(["pengawas", "administrator"])
    ]["nip"].head(20)
    capacity = [1 if i % 2 else 2 for i in range(len(seniors))]
    pool = tmp_path / "pool.csv"
    pd.DataFrame({"nip": seniors, "capacity": capacity}).to_csv(pool, index=False)
    out = tmp_path / "cohort.xlsx"
    result = run(
        "match-mentors", "--data", str(small_world), "--mentors", str(pool), "--out", str(out),
        cwd=store["root"], env=store["env"],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # the workbook is for HR: headers and statuses in its language (English here)
    frame = pd.read_excel(out, dtype={"NIP": str, "Mentor NIP": str}, engine="openpyxl")
    assert {"NIP", "Mentor NIP", "Status", "Note"} <= set(frame.columns)
    assert set(frame["Status"]) <= {"matched", "unmatched"}
    matched = frame[frame["Status"] == "matched"]
    assert len(matched) > 0
    limits = pd.Series(capacity, index=seniors.to_numpy())
    counts = matched["Mentor NIP"].value_counts()
    assert set(counts.index) <= set(limits.index)
    assert (counts <= limits.reindex(counts.index)).all()


def test_export_a_bundle_and_serve_it_without_the_registry(
    store: dict, small_world: Path, tmp_path: Path
) -> None:
    from recsys.data.loading import load_dataset
    from recsys.tracking.bundle import MANIFEST, BundleError, load_bundle

    out = tmp_path / "models"
    result = run("export", "--out", str(out), cwd=store["root"], env=store["env"])
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["models"][TRAINING_MODEL]["version"] == "1"
    assert manifest["models"][MENTOR_MODEL]["version"] == "1"
    # the bundle alone: moved elsewhere, no tracking store in sight
    moved = tmp_path / "airgap" / "models"
    shutil.copytree(out, moved)
    bundle = load_bundle(moved)
    assert bundle.versions == {TRAINING_MODEL: "1", MENTOR_MODEL: "1"}
    ds = load_dataset(small_world)
    nip = _junior(small_world)
    assert len(bundle.trainings.recommend(ds, [nip], k=2)) == 2
    assert bundle.mentors is not None and len(bundle.mentors.recommend(ds, [nip], k=2)) > 0
    with pytest.raises(BundleError, match="not a model bundle"):
        load_bundle(tmp_path)
    (out / "README.md").write_text("notes kept beside the bundle")
    again = run("export", "--out", str(out), cwd=store["root"], env=store["env"])
    assert again.returncode == 0, again.stderr  # replaces the bundle in place
    assert (out / "README.md").read_text() == "notes kept beside the bundle"
    assert load_bundle(out).versions[TRAINING_MODEL] == "1"


def test_export_without_a_champion(tmp_path: Path) -> None:
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'empty.db'}", "RECSYS_LANG": "en"}
    result = run("export", "--out", str(tmp_path / "models"), cwd=tmp_path, env=env)
    assert_clean_failure(result)
    assert "recsys train" in result.stderr
    assert not (tmp_path / "models").exists()
