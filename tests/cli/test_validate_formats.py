"""``recsys validate`` on data as an HR data officer has it: a SIASN export in Excel with
its own headers, an e-Kinerja recap as ``;`` CSV, a NIP column Excel destroyed; the load
report, the Indonesian quarantine and the fix guide."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from recsys.data import load_dataset
from tests.cli.test_cli import assert_clean_failure, run

SIASN = {
    "nip": "NIP_BARU",
    "name": "NAMA",
    "gender": "JENIS_KELAMIN",
    "birth_date": "TANGGAL_LAHIR",
    "position": "JABATAN_NAMA",
    "grade": "GOL_AKHIR_NAMA",
    "hire_date": "TMT_CPNS",
}
EKINERJA = {"nip": "NIP", "period_end": "PERIODE AKHIR", "rating": "PREDIKAT KINERJA"}


@pytest.fixture(scope="module")
def export(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small world with employees as a SIASN workbook and performance as an id-ID
    e-Kinerja CSV (``;``, BOM, DD/MM/YYYY, decimal commas, predikat words)."""
    folder = tmp_path_factory.mktemp("export") / "data"
    shutil.copytree(small_world, folder)
    employees = pd.read_csv(folder / "employees.csv", dtype=str, keep_default_na=False)
    employees["gender"] = employees["gender"].map({"M": "Laki-laki", "F": "Perempuan"})
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Data Utama PNS"
    sheet.append([SIASN.get(c, c) for c in employees.columns])
    for row in employees.itertuples(index=False):
        sheet.append([None if v == "" else v for v in row])
    book.save(folder / "employees.xlsx")
    (folder / "employees.csv").unlink()

    perf = pd.read_csv(folder / "performance.csv", dtype=str, keep_default_na=False)
    perf["period_end"] = pd.to_datetime(perf["period_end"]).dt.strftime("%d/%m/%Y")
    perf["rating"] = perf["rating"].str.replace("_", " ").str.title()
    perf["score"] = perf["score"].str.replace(".", ",", regex=False)
    perf = perf.rename(columns=EKINERJA)
    perf.to_csv(folder / "performance.csv", sep=";", index=False, encoding="utf-8-sig")
    return folder


def test_a_siasn_workbook_and_an_ekinerja_csv_load_like_the_contract(
    export: Path, small_world: Path, tmp_path: Path
) -> None:
    report_dir = tmp_path / "r"
    result = run(
        "validate",
        "--data",
        str(export),
        "--columns",
        "siasn,ekinerja",
        "--report-dir",
        str(report_dir),
        "--fix-report",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    expected = load_dataset(small_world)
    loaded = load_dataset(export, columns="siasn,ekinerja")
    for name in ("employees", "performance"):
        pd.testing.assert_frame_equal(loaded.tables[name], expected.tables[name], obj=name)
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    detected = {t["name"]: {d["key"] for d in t["detected"]} for t in report["tables"]}
    assert {"xlsx", "columns_mapped", "values_mapped"} <= detected["employees"]
    assert {"csv_dialect", "date_format", "decimal_comma", "columns_mapped"} <= detected[
        "performance"
    ]
    text = (report_dir / "report.txt").read_text(encoding="utf-8")
    assert "DD/MM/YYYY" in text
    guide = (report_dir / "panduan-perbaikan.md").read_text(encoding="utf-8")
    assert "performance" in guide
    assert "panduan-perbaikan.md" in result.stdout


def test_without_the_mapping_the_headers_are_named_as_missing(export: Path, tmp_path: Path) -> None:
    result = run("validate", "--data", str(export), "--report-dir", str(tmp_path / "r"))
    assert_clean_failure(result)
    assert "employees.xlsx" in result.stderr and "nip" in result.stderr
    assert not (tmp_path / "r").exists()


def test_a_destroyed_nip_column_stops_the_load_writes_nothing_but_the_guide(
    export: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(export, data)
    enrollments = pd.read_csv(data / "enrollments.csv", dtype=str, keep_default_na=False)
    enrollments["nip"] = enrollments["nip"].map(lambda n: f"{int(n[:6]) / 1e5:.5f}E+17")
    enrollments.to_csv(data / "enrollments.csv", index=False)
    report_dir = tmp_path / "r"
    result = run(
        "validate",
        "--data",
        str(data),
        "--columns",
        "siasn,ekinerja",
        "--report-dir",
        str(report_dir),
        "--fix-report",
    )
    assert_clean_failure(result)
    assert "enrollments.csv" in result.stderr and "'nip'" in result.stderr
    assert "Format Cells" in result.stderr
    assert "unknown employee" not in result.stderr
    assert "tidak dikenal" not in result.stderr  # never an unknown employee, in any language
    assert sorted(p.name for p in report_dir.iterdir()) == ["panduan-perbaikan.md"]
    guide = (report_dir / "panduan-perbaikan.md").read_text(encoding="utf-8")
    assert "enrollments.csv" in guide and "nip" in guide


def test_quarantine_reasons_are_indonesian_by_default(export: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(export, data)
    enrollments = pd.read_csv(data / "enrollments.csv", dtype=str, keep_default_na=False)
    enrollments.loc[0, "status"] = "selesai"
    enrollments.to_csv(data / "enrollments.csv", index=False)
    args = ["validate", "--data", str(data), "--columns", "siasn,ekinerja"]
    result = run(*args, "--report-dir", str(tmp_path / "id"))
    assert result.returncode == 0, result.stderr
    quarantine = pd.read_csv(tmp_path / "id" / "quarantine" / "enrollments.csv", dtype=str)
    assert (
        quarantine.loc[0, "reason"]
        == "status: bukan salah satu dari completed, dropped, in_progress: 'selesai'"
    )
    english = run(*args, "--report-dir", str(tmp_path / "en"), "--lang", "en")
    assert english.returncode == 0, english.stderr
    quarantine = pd.read_csv(tmp_path / "en" / "quarantine" / "enrollments.csv", dtype=str)
    assert quarantine.loc[0, "reason"].startswith("status: not one of")


def test_a_bad_mapping_file_is_a_clear_error(export: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "kolom.yaml"
    mapping.write_text("tables:\n  pegawai:\n    columns: {NIP: nip}\n", encoding="utf-8")
    result = run("validate", "--data", str(export), "--columns", str(mapping))
    assert_clean_failure(result)
    assert "kolom.yaml" in result.stderr and "pegawai" in result.stderr
