"""The demo world: complete, deterministic, valid against the contract, worth learning from."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import load_dataset, write_dataset
from recsys.data.contract import TABLES
from recsys.data.nip import inconsistencies
from recsys.simulation import SimulationError, simulate
from tests.conftest import SMALL_WORLD_EMPLOYEES


def _read(world: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(world / f"{table}.csv", dtype=str, keep_default_na=False)


def test_every_contract_table_is_written(small_world: Path) -> None:
    for table in TABLES:
        frame = _read(small_world, table.name)
        assert list(frame.columns) == table.column_names, table.name
        assert len(frame) > 0, table.name


def test_world_passes_validation_with_nothing_quarantined(small_world: Path) -> None:
    dataset = load_dataset(small_world)
    assert dataset.report.quarantined == 0, dataset.report.to_text()
    assert len(dataset.employees) == SMALL_WORLD_EMPLOYEES
    assert dataset.employees["nip"].is_unique


def test_same_seed_same_bytes_other_seed_other_world(tmp_path: Path) -> None:
    simulate(tmp_path / "a", employees=400, seed=3)
    simulate(tmp_path / "b", employees=400, seed=3)
    simulate(tmp_path / "c", employees=400, seed=4)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.*"))
    assert len(files) > 10
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    assert (tmp_path / "a" / "employees.csv").read_bytes() != (
        tmp_path / "c" / "employees.csv"
    ).read_bytes()


def test_chunked_generation_keeps_nips_unique_and_consistent(tmp_path: Path) -> None:
    simulate(tmp_path / "w", employees=2_500, seed=5, chunk_size=600)
    employees = pd.read_csv(tmp_path / "w" / "employees.csv", dtype={"nip": str})
    assert len(employees) == 2_500
    assert employees["nip"].is_unique
    assert employees["nip"].str.fullmatch(r"\d{18}").all()
    bad = inconsistencies(
        employees["nip"],
        pd.to_datetime(employees["birth_date"]),
        pd.to_datetime(employees["hire_date"]),
        employees["gender"],
    )
    assert not bad.any().any()
    enrollments = pd.read_csv(tmp_path / "w" / "enrollments.csv", dtype=str)
    assert enrollments["enrollment_id"].is_unique
    assert set(enrollments["nip"]) <= set(employees["nip"])


def test_parquet_world_loads_to_the_same_frames_as_csv(tmp_path: Path) -> None:
    simulate(tmp_path / "csv", employees=300, seed=11)
    simulate(tmp_path / "pq", employees=300, seed=11, fmt="parquet")
    assert (tmp_path / "pq" / "employees.parquet").exists()
    from_csv = load_dataset(tmp_path / "csv")
    from_parquet = load_dataset(tmp_path / "pq")
    for table in TABLES:
        pd.testing.assert_frame_equal(
            from_csv.tables[table.name], from_parquet.tables[table.name], obj=table.name
        )


# ----------------------------------------------------------------------------- sanity


def test_people_look_like_a_regional_civil_service(small_world: Path) -> None:
    employees = _read(small_world, "employees")
    remote = (employees["remote_area"] == "true").mean()
    assert 0.06 <= remote <= 0.25
    types = employees["position_type"].value_counts(normalize=True)
    assert types["pelaksana"] > types["pengawas"] > types["administrator"]
    assert {
        "Pemerintah Kota Sawahlunto",
        "Pemerintah Provinsi Jambi",
        "Pemerintah Provinsi Jawa Tengah",
    } <= set(employees["agency"])
    active = (employees["active"] == "true").mean()
    assert 0.9 < active < 1.0
    has_supervisor = (employees["supervisor_nip"] != "").mean()
    assert has_supervisor > 0.8


def test_rating_distribution_is_skewed_to_baik(small_world: Path) -> None:
    ratings = _read(small_world, "performance")["rating"].value_counts(normalize=True)
    assert ratings.idxmax() == "baik"
    assert 0.55 <= ratings["baik"] <= 0.85
    assert 0.08 <= ratings["sangat_baik"] <= 0.3
    assert 0.04 <= ratings["butuh_perbaikan"] <= 0.25
    assert ratings.get("kurang", 0) + ratings.get("sangat_kurang", 0) < 0.05


def test_competency_gaps_are_in_a_plausible_range(small_world: Path) -> None:
    dataset = load_dataset(small_world)
    gaps = dataset.assessments.merge(dataset.employees[["nip", "position"]], on="nip").merge(
        dataset.competency_standards, on=["position", "competency"]
    )
    gap = gaps["required_level"] - gaps["level"]
    assert gap.between(-4, 4).all()
    assert 0.1 <= gap.mean() <= 0.8  # most people are a little below standard
    assert (gap > 0).mean() > 0.5
    assert (gap < 0).mean() > 0.1  # and some above it
    stale = dataset.assessments.groupby("nip")["assessed_on"].max()
    assert (stale < pd.Timestamp("2024-01-01")).mean() > 0.3  # many assessments are old


def test_catalog_has_every_modality_and_about_80_trainings(small_world: Path) -> None:
    trainings = _read(small_world, "trainings")
    assert 70 <= len(trainings) <= 90
    assert set(trainings["modality"]) == {
        "klasikal",
        "e_learning",
        "blended",
        "workshop",
        "seminar",
        "coaching",
        "magang",
    }
    assert (trainings["active"] == "false").sum() >= 3
    competencies = _read(small_world, "competencies")
    assert {f"M{i}" for i in range(1, 9)} | {"SK1"} <= set(competencies["code"])


def test_history_is_confounded(small_world: Path) -> None:
    enrollments = _read(small_world, "enrollments")
    latent = pd.read_parquet(small_world / "_truth" / "employees.parquet")
    counts = enrollments.groupby("nip").size().reindex(latent["nip"], fill_value=0)
    # able staff train more ...
    assert np.corrcoef(latent["ability"], counts.to_numpy())[0, 1] > 0.2
    # ... and popular courses are picked regardless of quality
    trainings = pd.read_parquet(small_world / "_truth" / "trainings.parquet")
    picked = (
        enrollments["training_id"].value_counts().reindex(trainings["training_id"], fill_value=0)
    )
    corr_popularity = np.corrcoef(picked, trainings["popularity"])[0, 1]
    corr_quality = np.corrcoef(picked, trainings["quality"])[0, 1]
    assert corr_popularity > 0.5
    assert corr_popularity > corr_quality + 0.3
    # remote staff are sent online more than others
    employees = _read(small_world, "employees")
    catalog = _read(small_world, "trainings").set_index("training_id")["modality"]
    merged = enrollments.merge(employees[["nip", "remote_area"]], on="nip")
    online = merged["training_id"].map(catalog).eq("e_learning")
    share = online.groupby(merged["remote_area"]).mean()
    assert share["true"] > share["false"] + 0.1
    statuses = set(enrollments["status"])
    assert {"completed", "dropped"} <= statuses


def test_new_trainings_have_no_history(small_world: Path) -> None:
    truth = pd.read_parquet(small_world / "_truth" / "trainings.parquet")
    new = set(truth.loc[truth["is_new"], "training_id"])
    assert new
    assert not new & set(_read(small_world, "enrollments")["training_id"])


def test_truth_covers_active_people_and_trainings_with_heterogeneous_gains(
    small_world: Path,
) -> None:
    gains = pd.read_parquet(small_world / "_truth" / "training_gain.parquet")
    employees = _read(small_world, "employees")
    trainings = _read(small_world, "trainings")
    active_e = set(employees.loc[employees["active"] == "true", "nip"])
    active_t = set(trainings.loc[trainings["active"] == "true", "training_id"])
    assert set(gains["nip"]) == active_e
    assert set(gains["training_id"]) == active_t
    assert len(gains) == len(active_e) * len(active_t)
    assert (gains["true_gain"] >= 0).all()
    assert gains["p_complete"].between(0, 1).all()
    best = gains.groupby("nip")["true_gain"].max()
    assert 0.5 < best.median() < 8  # SKP points: meaningful but not absurd
    # heterogeneity: the best training differs between people
    best_training = gains.loc[gains.groupby("nip")["true_gain"].idxmax(), "training_id"]
    assert best_training.nunique() >= 10
    # modality fit: e-learning helps remote staff less
    merged = gains.merge(employees[["nip", "remote_area"]], on="nip")
    modality = trainings.set_index("training_id")["modality"]
    online = merged[merged["training_id"].map(modality) == "e_learning"]
    by_remote = online.groupby("remote_area")["true_gain"].mean()
    assert by_remote["true"] < by_remote["false"]


def test_mentor_truth_ranks_senior_candidates(small_world: Path) -> None:
    mentors = pd.read_parquet(small_world / "_truth" / "mentor_gain.parquet")
    employees = _read(small_world, "employees").set_index("nip")
    assert len(mentors) > 0
    assert (mentors["mentee_nip"] != mentors["mentor_nip"]).all()
    same_agency = (
        employees.loc[mentors["mentee_nip"], "agency"].to_numpy()
        == employees.loc[mentors["mentor_nip"], "agency"].to_numpy()
    )
    assert same_agency.all()
    first = mentors[mentors["rank"] == 1]
    assert first["mentee_nip"].is_unique
    ordered = mentors.groupby("mentee_nip")["true_gain"].apply(
        lambda g: bool((np.diff(g.to_numpy()) <= 1e-6).all())
    )
    assert ordered.all()
    params = json.loads((small_world / "_truth" / "params.json").read_text())
    assert params["history_end"] == "2025-12-31"


def test_service_metrics_respond_to_staff_competence(small_world: Path) -> None:
    service = pd.read_parquet(small_world / "_truth" / "service.parquet")
    corr = np.corrcoef(service["mean_competency_term"], service["satisfaction_index"])[0, 1]
    assert corr > 0.2
    assert service["satisfaction_index"].between(0, 100).all()
    assert (service["avg_service_days"] >= 0).all()


# ----------------------------------------------------------------------------- bad requests


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"employees": 10}, "--employees must be between"),
        ({"employees": 10_000_000}, "--employees must be between"),
        ({"fmt": "xlsx"}, "--format must be one of"),
        ({"seed": -1}, "--seed must be 0 or more"),
    ],
)
def test_bad_requests_are_refused(tmp_path: Path, kwargs: dict, message: str) -> None:
    params = {"employees": 200, "seed": 1, **kwargs}
    with pytest.raises(SimulationError, match=message):
        simulate(tmp_path / "w", **params)
    assert not (tmp_path / "w").exists()


def test_a_non_empty_folder_is_not_overwritten_without_force(tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "precious.txt").write_text("keep me")
    with pytest.raises(SimulationError, match="not empty"):
        simulate(target, employees=200)
    assert (target / "precious.txt").read_text() == "keep me"
    assert not list(tmp_path.glob(".*partial"))
    simulate(target, employees=200, overwrite=True)
    assert not (target / "precious.txt").exists()
    assert (target / "employees.csv").exists()


def test_world_round_trips_through_sqlite(small_world: Path, tmp_path: Path) -> None:
    from_folder = load_dataset(small_world)
    url = f"sqlite:///{tmp_path / 'world.db'}"
    write_dataset(from_folder.tables, url)
    from_sql = load_dataset(url)
    assert from_sql.report.quarantined == 0
    for table in TABLES:
        pd.testing.assert_frame_equal(
            from_folder.tables[table.name], from_sql.tables[table.name], obj=table.name
        )
