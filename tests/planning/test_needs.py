"""The training needs analysis, with numbers worked out by hand on the hand-made world of
tests/data (six employees, one inactive) and checked against the demo world's raw files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import write_dataset
from recsys.data.cohorts import UnknownAgencyError
from recsys.data.loading import Dataset, load_dataset
from recsys.models.importance import CompetencyImportance
from recsys.planning import needs
from tests.data.conftest import BKPSDM, DUKCAPIL, make_world

AGENCY = "Pemerintah Kota Sawahlunto"


def load(tmp_path: Path, tables: dict[str, pd.DataFrame]) -> Dataset:
    write_dataset(tables, tmp_path / "world", format="csv")
    return load_dataset(tmp_path / "world")


@pytest.fixture
def world() -> dict[str, pd.DataFrame]:
    """The hand-made world with TR-002 cut to 12 JP, so that a partial shortfall shows.

    Active staff and their standard competencies (latest assessment → gap):
    0 Kepala Dinas (Dukcapil): M1 req 5 ← 4.5 → 0.5; M2 req 4, never assessed
    1 Kepala Bidang (Dukcapil): M1 req 4 ← 3.75 → 0.25
    2 Analis SDM (Dukcapil): M1 req 3, never assessed; T-ADM-01 req 3 ← 2.0 → 1.0
    3 Pengelola Data (Dukcapil): T-ADM-01 req 2 ← 1.0 → 1.0
    4 Analis SDM (BKPSDM): M1 req 3 ← 3.25 → 0; T-ADM-01 req 3 ← 5.0 → 0
    5 is inactive. Last appraisal period: 2024-12-31, so as of 2025-01-01, JP of 2024.
    Completed enrollments: 1 TR-001 (280 JP) and 2 TR-002 (12 JP) in 2022, 4 TR-003 (40 JP)
    in January 2023; 3 dropped TR-002 in 2022; 4 has TR-002 in progress since June 2023.
    """
    tables = make_world()
    trainings = tables["trainings"].copy()
    trainings.loc[trainings["training_id"] == "TR-002", "hours_jp"] = 12
    return {**tables, "trainings": trainings}


@pytest.fixture
def ds(tmp_path: Path, world: dict[str, pd.DataFrame]) -> Dataset:
    return load(tmp_path, world)


def nips(ds: Dataset) -> list[str]:
    return ds.employees["nip"].astype(str).tolist()


def test_gaps_come_from_the_latest_assessment_against_the_standard(ds: Dataset) -> None:
    n = nips(ds)
    gaps = needs.competency_gaps(ds)
    assert n[5] not in set(gaps["nip"])  # inactive
    got = {(row.nip, row.competency): (row.gap, row.below_standard) for row in gaps.itertuples()}
    assert got.keys() == {
        (n[0], "M1"),
        (n[0], "M2"),
        (n[1], "M1"),
        (n[2], "M1"),
        (n[2], "T-ADM-01"),
        (n[3], "T-ADM-01"),
        (n[4], "M1"),
        (n[4], "T-ADM-01"),
    }
    assert got[(n[0], "M1")] == (pytest.approx(0.5), True)
    assert got[(n[1], "M1")] == (pytest.approx(0.25), True)
    assert got[(n[2], "T-ADM-01")] == (pytest.approx(1.0), True)
    assert got[(n[3], "T-ADM-01")] == (pytest.approx(1.0), True)
    assert got[(n[4], "M1")] == (0.0, False)  # 3.25 is above the required 3
    assert got[(n[4], "T-ADM-01")] == (0.0, False)
    unassessed = gaps[gaps["assessed_level"].isna()]
    assert set(zip(unassessed["nip"], unassessed["competency"], strict=True)) == {
        (n[0], "M2"),
        (n[2], "M1"),
    }
    assert unassessed["gap"].isna().all() and not unassessed["below_standard"].any()


def test_a_later_assessment_replaces_the_earlier_one(
    tmp_path: Path, world: dict[str, pd.DataFrame]
) -> None:
    assessments = world["assessments"]
    n = world["employees"]["nip"].astype(str).tolist()
    later = assessments.iloc[[1]].assign(level=4.0, assessed_on=pd.Timestamp("2024-06-01"))
    ds = load(tmp_path, {**world, "assessments": pd.concat([assessments, later])})
    gaps = needs.competency_gaps(ds).set_index(["nip", "competency"])
    assert gaps.loc[(n[1], "M1"), "gap"] == 0.0
    # as of before that assessment, the earlier one still counts
    before = needs.competency_gaps(ds, as_of=pd.Timestamp("2024-01-01"))
    assert before.set_index(["nip", "competency"]).loc[(n[1], "M1"), "gap"] == 0.25
    # and before any assessment, nothing is known
    assert needs.competency_gaps(ds, as_of=pd.Timestamp("2023-01-01"))["gap"].isna().all()


def test_unit_table_counts_people_and_averages_gaps(ds: Dataset) -> None:
    table = needs.unit_gaps(needs.competency_gaps(ds)).set_index(["unit", "competency"])
    m1 = table.loc[(DUKCAPIL, "M1")]  # staff 0, 1, 2; assessed 0 (0.5) and 1 (0.25)
    assert (m1["staff"], m1["assessed"], m1["not_assessed"], m1["below_standard"]) == (3, 2, 1, 2)
    assert m1["share_below"] == 1.0
    assert m1["mean_gap"] == pytest.approx(0.375)
    assert m1["total_gap"] == pytest.approx(0.75)
    adm = table.loc[(DUKCAPIL, "T-ADM-01")]  # staff 2 and 3, both 1.0 below
    assert (adm["staff"], adm["below_standard"], adm["mean_gap"]) == (2, 2, 1.0)
    m2 = table.loc[(DUKCAPIL, "M2")]  # only 0, never assessed
    assert (m2["staff"], m2["assessed"], m2["below_standard"]) == (1, 0, 0)
    assert np.isnan(m2["share_below"]) and np.isnan(m2["mean_gap"])
    assert table.loc[(BKPSDM, "M1"), "below_standard"] == 0
    matrix = needs.gap_matrix(table.reset_index())
    assert matrix.loc[DUKCAPIL, "M1"] == pytest.approx(0.375)
    assert np.isnan(matrix.loc[DUKCAPIL, "M2"])


def test_below_standard_lists_the_least_personal_data(ds: Dataset) -> None:
    n = nips(ds)
    below = needs.below_standard(needs.competency_gaps(ds))
    assert list(below.columns) == [
        "nip",
        "agency",
        "unit",
        "position",
        "n_below",
        "competencies_below",
        "max_gap",
    ]
    # one unit; largest gap first, ties by NIP (2 was born before 3)
    assert below["nip"].tolist() == [n[2], n[3], n[0], n[1]]
    assert below["competencies_below"].tolist() == ["T-ADM-01", "T-ADM-01", "M1", "M1"]
    assert below["max_gap"].tolist() == pytest.approx([1.0, 1.0, 0.5, 0.25])
    assert (below["n_below"] == 1).all()


def test_jp_need_is_the_sum_of_shortfalls_below_20(ds: Dataset) -> None:
    n = nips(ds)
    jp = needs.jp_completed(ds, 2022).set_index("nip")["jp_completed"]
    # 1 completed 280 JP, 2 completed 12 JP; 3 dropped (0); 0 and 4 took nothing in 2022
    assert jp.to_dict() == {n[0]: 0.0, n[1]: 280.0, n[2]: 12.0, n[3]: 0.0, n[4]: 0.0}
    units = needs.unit_jp_needs(needs.jp_completed(ds, 2022)).set_index("unit")
    # Dukcapil: 20 + 0 + (20 - 12) + 20 = 48 from 3 people below 20 JP; BKPSDM: 20 from 1
    dukcapil = units.loc[DUKCAPIL]
    assert (dukcapil["staff"], dukcapil["below_minimum"]) == (4, 3)
    assert (dukcapil["jp_completed"], dukcapil["jp_needed"]) == (292.0, 48.0)
    assert units.loc[BKPSDM, ["staff", "below_minimum", "jp_needed"]].tolist() == [1, 1, 20.0]
    assert units.index.tolist() == [DUKCAPIL, BKPSDM]  # largest need first
    # 2023: only 4 completed something (40 JP, in January); the running one counts nothing
    units = needs.unit_jp_needs(needs.jp_completed(ds, 2023)).set_index("unit")
    assert units.loc[BKPSDM, "jp_needed"] == 0.0 and units.loc[DUKCAPIL, "jp_needed"] == 80.0
    # a different minimum
    assert needs.jp_completed(ds, 2022, minimum=10).set_index("nip").loc[n[2], "jp_shortfall"] == 0


def test_analyse_defaults_to_the_last_appraisal_year(ds: Dataset) -> None:
    analysis = needs.analyse(ds)
    assert analysis.as_of == pd.Timestamp("2025-01-01")
    assert analysis.year == 2024
    assert analysis.headline() == {
        "staff": 5,
        "share_assessed": 1.0,  # everyone active has at least one assessment
        "below_standard": 4,
        "below_minimum": 5,  # nobody completed anything in 2024
        "jp_needed": 100.0,
    }
    by_agency = needs.analyse(ds, agency=AGENCY, year=2022)
    assert by_agency.headline()["jp_needed"] == 68.0
    with pytest.raises(UnknownAgencyError, match="Pemerintah Kota Sawahlunto"):
        needs.analyse(ds, agency="Pemerintah Kota Atlantis")


def test_hr_labels_are_indonesian(ds: Dataset) -> None:
    table = needs.hr_labels(needs.analyse(ds).jp_by_unit, index="unit")
    assert table.index.name == "Unit Kerja"
    assert list(table.columns) == [
        "Instansi",
        "Jumlah Pegawai",
        "Pegawai < 20 JP",
        "JP Tercapai",
        "Kebutuhan JP",
    ]


@pytest.fixture(scope="module")
def demo(small_world: Path) -> Dataset:
    return load_dataset(small_world)


def test_demo_world_jp_need_matches_the_raw_files(demo: Dataset, small_world: Path) -> None:
    """The JP need of every unit, recomputed from the CSV files with nothing but pandas."""
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    enrollments = pd.read_csv(small_world / "enrollments.csv", dtype=str)
    trainings = pd.read_csv(small_world / "trainings.csv", dtype=str)
    year = 2025
    done = enrollments[
        (enrollments["status"] == "completed") & enrollments["end_date"].str.startswith(str(year))
    ].merge(trainings[["training_id", "hours_jp"]], on="training_id")
    per_person = done.groupby("nip")["hours_jp"].apply(lambda h: h.astype(int).sum())
    active = employees[employees["active"].fillna("true") == "true"]
    shortfall = (20 - active["nip"].map(per_person).fillna(0)).clip(lower=0)
    expected = shortfall.groupby(active["unit"].astype(str)).sum()

    analysis = needs.analyse(demo)
    assert analysis.year == year
    got = analysis.jp_by_unit.set_index(analysis.jp_by_unit["unit"].astype(str))["jp_needed"]
    pd.testing.assert_series_equal(
        got.sort_index(), expected.sort_index().astype(float), check_names=False
    )
    assert analysis.headline()["staff"] == len(active)


def test_demo_world_priorities(demo: Dataset) -> None:
    importance = CompetencyImportance().fit(demo)
    table = needs.analyse(demo, importance=importance).by_competency
    assert (table["weight"] >= 0).all()
    assert table["priority"].is_monotonic_decreasing
    assert set(table["kind"]) <= {"manajerial", "sosial_kultural", "teknis"}
    assert table["competency_name"].notna().all()
    # counts add up: everyone with a standard competency is assessed in it or not
    assert (table["assessed"] + table["not_assessed"] == table["staff"]).all()
