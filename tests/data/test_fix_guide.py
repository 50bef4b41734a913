"""The fix guide for HR data teams, built from real loads of broken copies of the world."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from recsys.data import DataContractError, LoadReport, TableReport, load_dataset
from recsys.data.fix_guide import MAX_EXAMPLES, fix_guide, write_fix_guide
from recsys.data.messages import reason_keys, reason_text
from tests.data.conftest import LEAF, read_text_tables, write_text_tables

UNKNOWN_NIP = "199901012020011999"

#: Advice each kind of problem must bring (Indonesian), by a reason key's words.
ADVICE = {
    "disagrees with": ["birth_date, hire_date dan gender", "SIASN"],
    "not 18 digits": ["Format Cells → Text", "1,97702E+17"],
    "unknown employee": ["ikut dikarantina di tabel employees"],
    "unknown training": ["katalog trainings"],
    "outside": ["rentang"],
    "not a date": ["YYYY-MM-DD", "DD/MM/YYYY", "satu format per kolom"],
    "not one of": ["--columns", "docs/data-formats.md", "`manajerial`, `sosial_kultural`"],
    "missing": ["wajib diisi"],
    "duplicate": ["Remove Duplicates"],
    "wrong number of fields": ["tanda kutip", "CSV UTF-8"],
}


def _broken_world(world_csv: Path, folder: Path) -> Path:
    """The world with at least one row broken for each kind of advice above."""
    t = read_text_tables(world_csv)
    t["employees"].loc[LEAF, "birth_date"] = "1992-07-02"  # NIP's birth date part
    t["employees"].loc[5, "nip"] = "19881231201204200"  # 17 digits
    t["assessments"].loc[0, "level"] = "9"
    t["assessments"].loc[1, "level"] = "0"
    t["performance"].loc[0, "period_end"] = "31 Des 2023"
    t["competencies"].loc[1, "kind"] = "Teknikal"
    t["trainings"].loc[2, "title"] = ""
    t["enrollments"].loc[2, "enrollment_id"] = "E-1"
    write_text_tables(t, folder)
    with (folder / "competency_standards.csv").open("a", encoding="utf-8") as f:
        f.write("Analis SDM,M1\n")
    return folder


@pytest.fixture(scope="module")
def broken(world_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> LoadReport:
    return load_dataset(_broken_world(world_csv, tmp_path_factory.mktemp("broken"))).report


def _sections(guide: str) -> dict[str, str]:
    """The guide's ``## `` sections by heading."""
    parts = re.split(r"^## ", guide, flags=re.MULTILINE)
    return {p.split("\n", 1)[0]: p for p in parts[1:]}


def _table_section(guide: str, name: str) -> str:
    found = [text for head, text in _sections(guide).items() if f"`{name}`" in head]
    assert len(found) == 1, (name, list(_sections(guide)))
    return found[0]


def _examples(entry: TableReport, key: str) -> list[int]:
    rows = [
        int(row)
        for row, reason in zip(
            entry.quarantine["source_row"], entry.quarantine["reason"], strict=True
        )
        if key in reason_keys(str(reason))
    ]
    return sorted(rows)[:MAX_EXAMPLES]


def test_the_broken_world_breaks_every_kind(broken: LoadReport) -> None:
    keys = [k for t in broken.tables for k in t.reasons]
    for words in ADVICE:
        assert any(words in k for k in keys), words
    assert any(n > 1 for t in broken.tables for n in t.reasons.values())


def test_guide_names_every_table_reason_count_and_example_rows(broken: LoadReport) -> None:
    guide = fix_guide(broken)
    bad = [t for t in broken.tables if t.quarantined]
    assert len(bad) >= 6
    for entry in broken.tables:
        if not entry.quarantined:
            assert f"`{entry.name}`:" not in guide
            continue
        section = _table_section(guide, entry.name)
        assert f"{entry.quarantined} dari {entry.read} baris dikarantina" in section
        assert f"`quarantine/{entry.name}.csv`" in section
        for key, count in entry.reasons.items():
            prefix = f"- `{reason_text(key, 'id')}`: {count} baris"
            line = next((x for x in section.splitlines() if x.startswith(prefix)), None)
            assert line is not None, (entry.name, prefix, section)
            rows = ", ".join(str(r) for r in _examples(entry, key))
            assert line.endswith(f"(contoh baris sumber: {rows})"), line


def test_guide_gives_advice_for_each_kind_present(broken: LoadReport) -> None:
    guide = fix_guide(broken)
    for entry in broken.tables:
        if not entry.quarantined:
            continue
        section = _table_section(guide, entry.name)
        for key in entry.reasons:
            for words, advice in ADVICE.items():
                if words in key:
                    for text in advice:
                        assert text in section, (entry.name, key, text)


def test_guide_says_which_rows_follow_a_quarantined_row(broken: LoadReport) -> None:
    section = _table_section(fix_guide(broken), "assessments")
    # The leaf employee (NIP inconsistent) owns two assessments.
    assert "2 di antaranya merujuk baris yang dikarantina di tabel `employees`" in section
    section = _table_section(fix_guide(broken), "enrollments")
    assert "merujuk baris yang dikarantina di tabel `trainings`" in section


def test_guide_is_in_indonesian_by_default_and_english_on_request(broken: LoadReport) -> None:
    indonesian = fix_guide(broken)
    english = fix_guide(broken, lang="en")
    assert indonesian.startswith("# Panduan perbaikan data")
    assert english.startswith("# Data fix guide")
    for word in ("unknown", "outside", "not a date", "duplicate", "missing"):
        assert word not in indonesian
    for entry in broken.tables:
        if entry.quarantined:
            section = _table_section(english, entry.name)
            assert f"{entry.quarantined} of {entry.read} rows quarantined" in section
            for key, count in entry.reasons.items():
                assert f"- `{key}`: {count} row" in section
    assert "Format Cells → Text" in english
    assert "e.g. source rows" in english


def test_guide_lists_warnings_and_what_was_converted(world_csv: Path, tmp_path: Path) -> None:
    t = read_text_tables(world_csv)
    birth = pd.to_datetime(t["employees"]["birth_date"])
    t["employees"]["birth_date"] = birth.dt.strftime("%d/%m/%Y")
    t["trainings"]["catatan"] = "x"
    report = load_dataset(write_text_tables(t, tmp_path / "data")).report
    guide = fix_guide(report)
    assert "tidak ada yang perlu diperbaiki" in guide
    sections = _sections(guide)
    assert "birth_date" in sections["Yang dikenali dan dikonversi otomatis"]
    assert "DD/MM/YYYY" in sections["Yang dikenali dan dikonversi otomatis"]
    assert "kolom di luar kontrak, diabaikan: 'catatan'" in sections["Peringatan"]
    # A CSV written as the contract asks is nothing to tell.
    assert "pemisah koma" not in guide


def test_clean_load_needs_no_fixing(world_csv: Path) -> None:
    report = load_dataset(world_csv).report
    guide = fix_guide(report)
    assert f"Semua {report.read} baris lolos pemeriksaan: tidak ada yang perlu diperbaiki." in guide
    assert "## Tabel" not in guide
    assert len(guide.splitlines()) < 10
    assert "nothing needs fixing" in fix_guide(report, lang="en")


def test_fatal_missing_column_names_the_file_and_column(world_csv: Path, tmp_path: Path) -> None:
    t = read_text_tables(world_csv)
    t["trainings"] = t["trainings"].drop(columns=["hours_jp"])
    folder = write_text_tables(t, tmp_path / "data")
    with pytest.raises(DataContractError) as caught:
        load_dataset(folder)

    guide = fix_guide(None, caught.value)
    assert "perbaiki ini lebih dulu" in guide
    assert "- **Berkas:** `trainings.csv`" in guide
    assert "- **Kolom:** `hours_jp`" in guide
    assert "Tambahkan kolom `hours_jp` ke `trainings.csv`" in guide
    assert "kolom wajib 'hours_jp' tidak ada" in guide
    english = fix_guide(None, caught.value, lang="en")
    assert "- **File:** `trainings.csv`" in english
    assert "Add the column `hours_jp` to `trainings.csv`" in english
    assert "required column 'hours_jp' is missing" in english


def test_fatal_nips_destroyed_by_excel(world_csv: Path, tmp_path: Path) -> None:
    t = read_text_tables(world_csv)
    t["employees"].loc[0, "nip"] = "1.97003E+17"
    with pytest.raises(DataContractError) as caught:
        load_dataset(write_text_tables(t, tmp_path / "data"))
    guide = fix_guide(None, caught.value)
    assert "`employees.csv`" in guide and "`nip`" in guide
    assert "Format Cells → Text" in guide
    assert "berisi 1 NIP dalam notasi ilmiah (mis. baris 1: '1.97003E+17')" in guide
    assert "Excel stored" not in guide


def test_fatal_format_problem_brings_the_rule_advice(world_csv: Path, tmp_path: Path) -> None:
    t = read_text_tables(world_csv)
    t["performance"]["period_end"] = "31 Des 2023"
    with pytest.raises(DataContractError) as caught:
        load_dataset(write_text_tables(t, tmp_path / "data"))
    guide = fix_guide(None, caught.value)
    assert "`performance.csv`" in guide and "`period_end`" in guide
    assert "satu format per kolom" in guide
    assert "6 dari 6 baris melanggar aturan yang sama" in guide
    assert "'period_end: bukan tanggal (YYYY-MM-DD)'" in guide


def test_fatal_mapping_error(world_csv: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "kolom.yaml"
    mapping.write_text("tables:\n  pegawai:\n    columns: {NIP: nip}\n", encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        load_dataset(world_csv, columns=mapping)
    guide = fix_guide(None, caught.value)
    assert "kolom.yaml" in guide and "pegawai" in guide
    assert "Berkas pemetaan kolom tidak dapat dipakai" in guide


def test_no_report_and_no_error() -> None:
    assert "recsys validate" in fix_guide(None)


def test_write_fix_guide(broken: LoadReport, tmp_path: Path) -> None:
    path = write_fix_guide(tmp_path / "out" / "panduan", broken)
    assert path == tmp_path / "out" / "panduan.md"
    assert path.read_text(encoding="utf-8") == fix_guide(broken)
    english = write_fix_guide(tmp_path / "guide.md", broken, lang="en")
    assert english.read_text(encoding="utf-8") == fix_guide(broken, lang="en")
