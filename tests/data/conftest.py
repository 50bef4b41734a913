"""A small, valid world in the data contract, and helpers to break it one cell at a time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import contract, nip, write_dataset

TextTables = dict[str, pd.DataFrame]

DUKCAPIL = "Dinas Kependudukan dan Pencatatan Sipil"
BKPSDM = "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia"
#: Row of the employee who supervises and mentors nobody, safe to break.
LEAF = 4


def _typed(table: contract.Table, rows: dict[str, object]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=table.column_names)
    return frame.astype(table.dtypes)  # type: ignore[arg-type]


def _employees() -> pd.DataFrame:
    birth = pd.Series(
        pd.to_datetime(
            ["1970-03-14", "1978-11-02", "1985-05-12", "1990-02-28", "1992-07-01", "1988-12-31"]
        )
    )
    hire = pd.Series(
        pd.to_datetime(
            ["1995-03-01", "2003-01-01", "2010-02-01", "2014-03-01", "2016-01-01", "2012-04-01"]
        )
    )
    gender = pd.Series(["M", "F", "M", "F", "M", "F"])
    n = list(nip.compose(birth, hire, gender, np.array([1, 2, 3, 4, 5, 6])))
    return _typed(
        contract.EMPLOYEES,
        {
            "nip": n,
            "name": [
                "Budi Santoso",
                "Siti Rahma",
                "Andi Wijaya",
                "Dewi Lestari",
                "Rudi Hartono",
                "Maya Sari",
            ],
            "gender": list(gender),
            "birth_date": list(birth),
            "agency": ["Pemerintah Kota Sawahlunto"] * 6,
            "unit": [DUKCAPIL, DUKCAPIL, DUKCAPIL, DUKCAPIL, BKPSDM, BKPSDM],
            "region": ["Kota Sawahlunto"] * 6,
            "remote_area": [False, False, True, False, True, False],
            "position": [
                "Kepala Dinas",
                "Kepala Bidang",
                "Analis SDM",
                "Pengelola Data",
                "Analis SDM",
                "Pengelola Data",
            ],
            "position_type": [
                "jpt",
                "administrator",
                "fungsional",
                "pelaksana",
                "fungsional",
                "pelaksana",
            ],
            "grade": ["IV/c", "IV/a", "III/c", "III/a", "III/b", "II/d"],
            "education": ["S2", "S2", "S1", "D3", "S1", "SMA"],
            "hire_date": list(hire),
            # 0 heads; 1 and 4 report to 0; 2, 3 and 5 report to 1.
            "supervisor_nip": [None, n[0], n[1], n[1], n[0], n[1]],
            "active": [True, True, True, True, True, False],
        },
    )


def make_world() -> dict[str, pd.DataFrame]:
    """Every contract table, typed like a loaded data set, every row valid."""
    employees = _employees()
    n = list(employees["nip"])
    return {
        "competencies": _typed(
            contract.COMPETENCIES,
            {
                "code": ["M1", "M2", "SK1", "T-ADM-01"],
                "name": ["Integritas", "Kerjasama", "Perekat Bangsa", "Administrasi Kepegawaian"],
                "kind": ["manajerial", "manajerial", "sosial_kultural", "teknis"],
            },
        ),
        "employees": employees,
        "competency_standards": _typed(
            contract.COMPETENCY_STANDARDS,
            {
                "position": [
                    "Kepala Dinas",
                    "Kepala Dinas",
                    "Kepala Bidang",
                    "Analis SDM",
                    "Analis SDM",
                    "Pengelola Data",
                ],
                "competency": ["M1", "M2", "M1", "M1", "T-ADM-01", "T-ADM-01"],
                "required_level": [5, 4, 4, 3, 3, 2],
            },
        ),
        "assessments": _typed(
            contract.ASSESSMENTS,
            {
                "nip": [n[0], n[1], n[2], n[3], n[4], n[4], n[5]],
                "competency": ["M1", "M1", "T-ADM-01", "T-ADM-01", "M1", "T-ADM-01", "SK1"],
                "level": [4.5, 3.75, 2.0, 1.0, 3.25, 5.0, 2.5],
                "assessed_on": pd.to_datetime(["2023-03-01"] * 4 + ["2023-04-15"] * 3),
            },
        ),
        "performance": _typed(
            contract.PERFORMANCE,
            {
                "nip": [n[0], n[1], n[2], n[3], n[4], n[4]],
                "period_end": pd.to_datetime(["2023-12-31"] * 5 + ["2024-12-31"]),
                "rating": ["sangat_baik", "baik", "baik", "butuh_perbaikan", "kurang", "baik"],
                "score": [115.0, 95.5, None, 70.0, 60.25, 88.0],
            },
        ),
        "trainings": _typed(
            contract.TRAININGS,
            {
                "training_id": ["TR-001", "TR-002", "TR-003"],
                "title": [
                    "Pelatihan Kepemimpinan Administrator",
                    "Manajemen ASN, Dasar",
                    'Kursus "Data" Kependudukan',
                ],
                "modality": ["klasikal", "e_learning", "blended"],
                "hours_jp": [280, 24, 40],
                "cost_idr": [12_500_000.0, 0.0, 1_750_000.5],
                "provider": ["LAN", "BPSDM Provinsi Sumatera Barat", "BPSDM Provinsi Jambi"],
                "capacity": [30, None, 25],
                "active": [True, True, False],
            },
        ),
        "training_competencies": _typed(
            contract.TRAINING_COMPETENCIES,
            {
                "training_id": ["TR-001", "TR-001", "TR-002", "TR-003"],
                "competency": ["M1", "M2", "T-ADM-01", "T-ADM-01"],
                "target_level": [4, 4, 3, 3],
            },
        ),
        "enrollments": _typed(
            contract.ENROLLMENTS,
            {
                "enrollment_id": ["E-1", "E-2", "E-3", "E-4", "E-5"],
                "nip": [n[1], n[2], n[3], n[4], n[4]],
                "training_id": ["TR-001", "TR-002", "TR-002", "TR-003", "TR-002"],
                "start_date": pd.to_datetime(
                    ["2022-02-01", "2022-05-10", "2022-05-10", "2023-01-09", "2023-06-01"]
                ),
                "end_date": pd.to_datetime(
                    ["2022-06-30", "2022-05-12", "2022-05-10", "2023-01-20", "2023-06-03"]
                ),
                "status": ["completed", "completed", "dropped", "completed", "in_progress"],
                "pre_score": [60.0, 55.5, None, 70.0, None],
                "post_score": [85.0, 80.0, None, 90.0, None],
                "reaction_score": [4.5, 4.0, None, 5.0, None],
                "behavior_score": [4.0, None, None, 3.5, None],
            },
        ),
        "mentorships": _typed(
            contract.MENTORSHIPS,
            {
                "mentorship_id": ["MS-1", "MS-2"],
                "mentor_nip": [n[0], n[1]],
                "mentee_nip": [n[1], n[3]],
                "competency": ["M1", None],
                "start_date": pd.to_datetime(["2022-01-01", "2023-03-01"]),
                "end_date": pd.to_datetime(["2022-12-31", None]),
                "mentee_rating": [4.5, None],
            },
        ),
        "service_metrics": _typed(
            contract.SERVICE_METRICS,
            {
                "unit": [DUKCAPIL, DUKCAPIL, BKPSDM],
                "period_end": pd.to_datetime(["2022-12-31", "2023-12-31", "2023-12-31"]),
                "satisfaction_index": [78.5, 82.0, 90.25],
                "avg_service_days": [3.0, 2.5, 0.0],
            },
        ),
    }


def assert_same_tables(
    loaded: Mapping[str, pd.DataFrame], expected: Mapping[str, pd.DataFrame]
) -> None:
    """The same tables, in the same order, with equal frames (dtypes included)."""
    assert list(loaded) == list(expected)
    for name in expected:
        pd.testing.assert_frame_equal(loaded[name], expected[name], obj=name)


def read_text_tables(folder: Path) -> TextTables:
    """The CSV files of ``folder`` as text frames (an empty cell is an empty string)."""
    return {
        path.stem: pd.read_csv(path, dtype=str, keep_default_na=False)
        for path in sorted(folder.glob("*.csv"))
    }


def write_text_tables(tables: TextTables, folder: Path) -> Path:
    """Write text frames as CSV files, as an agency would hand them over."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


@pytest.fixture(scope="session")
def leaf() -> int:
    """Row of the employee who supervises and mentors nobody: safe to break alone."""
    return LEAF


@pytest.fixture(scope="session")
def world() -> dict[str, pd.DataFrame]:
    """The valid world, typed; shared, so never modify it."""
    return make_world()


@pytest.fixture(scope="session")
def world_csv(tmp_path_factory: pytest.TempPathFactory, world: dict[str, pd.DataFrame]) -> Path:
    """The world written once as a CSV folder; shared, so never modify it."""
    folder = tmp_path_factory.mktemp("world_csv")
    write_dataset(world, folder, format="csv")
    return folder


@pytest.fixture
def text_world(world_csv: Path) -> TextTables:
    """A fresh copy of the world as text frames, to break before writing."""
    return read_text_tables(world_csv)


@pytest.fixture
def write_text(tmp_path: Path) -> Callable[[TextTables], Path]:
    """Write text tables to a fresh folder under tmp_path and return the folder."""
    counter = iter(range(1000))

    def write(tables: TextTables) -> Path:
        return write_text_tables(tables, tmp_path / f"data{next(counter)}")

    return write


@pytest.fixture
def csv_folder(world_csv: Path, tmp_path: Path) -> Path:
    """A private copy of the world's CSV folder, free to modify."""
    folder = tmp_path / "csv"
    folder.mkdir()
    for path in world_csv.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    return folder
