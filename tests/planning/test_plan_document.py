"""The plan document: the workbook HR files (PP 11/2017 Pasal 207(3)), written and read back
on a seven-person program solved for real, and its CSV form."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from recsys.planning.plan_document import PlanDocument, plan_tables, write_plan
from recsys.planning.program import Plan, PlanLimits, gain_intervals, greedy, plan_items, solve

NIPS = [f"19850101201001{i}00{i}" for i in range(1, 8)]
SHEETS_ID = [
    "Ringkasan",
    "Rencana",
    "a. Kompetensi",
    "b. PNS Sasaran",
    "c. Jenis dan Jalur",
    "d. Penyelenggara",
    "e. Jadwal",
    "f. Standar Kurikulum",
    "g. Anggaran",
    "Per Unit Kerja",
    "Per Pelatihan",
    "Kepatuhan 20 JP",
    "Kurva Anggaran",
    "Layanan Unit",
]
NIP_ID = "(b) PNS Sasaran (NIP)"
BUDGET_ID = "(g) Anggaran (Rp)"
TEXT = {NIP_ID: str, "NIP": str, "Kode Pelatihan": str}


def _catalog() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "training_id": ["T1", "T2", "T3", "T4"],
            "title": ["Kepemimpinan", "Pelayanan Publik Daring", "Manajemen Arsip", "Integritas"],
            "modality": ["klasikal", "e_learning", "blended", "seminar"],
            "hours_jp": [24, 8, 16, 4],
            "cost_idr": [3_000_000, 150_000, 2_000_000, 500_000],
            "provider": ["LAN", "BPSDM Provinsi Jambi", "LAN", "BPSDM Provinsi Jambi"],
            "capacity": pd.array([1, None, None, None], "Int64"),
        }
    )


def _program(budget: float) -> tuple[Plan, Plan, pd.DataFrame]:
    """Seven people in two units: one whose only candidate's seat goes to another, one with
    nothing that helps, and a budget that leaves someone short."""
    people = pd.DataFrame(
        {
            "nip": NIPS,
            "unit": ["Dinas A"] * 4 + ["Dinas B"] * 3,
            "remote_area": False,
            "jp_completed": [0.0, 8.0, 16.0, 24.0, 0.0, 0.0, 4.0],
        }
    )
    catalog = _catalog()
    lists = {
        0: [("T1", 5.0), ("T2", 0.5)],
        1: [("T3", 2.0), ("T2", 1.0)],
        2: [("T2", 0.8), ("T4", 0.3)],
        3: [("T4", 0.6)],
        4: [("T1", 2.5)],
        5: [("T2", -0.2)],  # nothing that helps: no suitable training
        6: [("T3", 1.2), ("T4", 0.4)],
    }
    by_id = catalog.set_index("training_id")
    rows = [
        {
            "nip": NIPS[p],
            "rank": rank,
            "training_id": t,
            "expected_gain": g,
            "gain_lower": g - 0.5,
            "gain_upper": g + 0.5,
            "cost_idr": by_id.at[t, "cost_idr"],
            "hours_jp": by_id.at[t, "hours_jp"],
            "modality": by_id.at[t, "modality"],
        }
        for p, ranked in lists.items()
        for rank, (t, g) in enumerate(ranked, start=1)
    ]
    items = plan_items(pd.DataFrame(rows), people)
    limits = PlanLimits(budget_idr=budget)
    plan = solve(items, people, catalog, limits, method="exact")
    return plan, greedy(items, people, catalog, limits), catalog


def _document(budget: float = 5_000_000, *, extras: bool = True) -> PlanDocument:
    plan, baseline, catalog = _program(budget)
    # the lists name the gaps an item closes for its person: T1's holder lacks only M1 of
    # what T1 develops; the other items name none (what the training develops is shown)
    plan.items["gaps_closed"] = np.where(plan.items["training_id"] == "T1", "M1 2.0→4", "")
    curve = pd.DataFrame(
        {
            "budget_idr": [2.5e6, 5e6, 1e7],
            "total_gain": [3.0, 5.0, 7.0],
            "gain_lower": [1.0, 2.0, 3.0],
            "gain_upper": [5.0, 8.0, 11.0],
            "share_at_minimum": [0.4, 0.6, 0.7],
            "cost_idr": [2.4e6, 4.95e6, 9.9e6],
            "budget_price": [1.2, 0.8, 0.1],
        }
    )
    service = pd.DataFrame(
        {
            "unit": ["Dinas A", "Dinas B"],
            "staff": [4, 3],
            "trained_share_now": [0.5, 0.3],
            "trained_share_planned": [1.0, 0.67],
            "satisfaction_now": [78.0, 81.5],
            "satisfaction_change": [1.2, 0.4],
            "satisfaction_lower": [0.2, -0.5],
            "satisfaction_upper": [2.2, 1.3],
            "service_days_now": [4.0, 6.5],
            "service_days_change": [-0.3, -0.1],
            "service_days_lower": [-0.6, -0.4],
            "service_days_upper": [0.0, 0.2],
        }
    )
    return PlanDocument(
        plan=plan,
        agency="Pemerintah Kota Sawahlunto",
        year=2025,
        budget_idr=budget,
        trainings=catalog,
        training_competencies=pd.DataFrame(
            {
                "training_id": ["T1", "T1", "T2", "T3", "T4"],
                "competency": ["M1", "SK1", "T-PP-01", "T-ADM-01", "M1"],
                "target_level": [4, 3, 3, 4, 3],
            }
        ),
        competencies=pd.DataFrame(
            {
                "code": ["M1", "SK1", "T-PP-01", "T-ADM-01"],
                "name": ["Integritas", "Perekat Bangsa", "Pelayanan Publik", "Kearsipan"],
                "kind": ["manajerial", "sosial_kultural", "teknis", "teknis"],
            }
        ),
        baselines={"greedy": baseline},
        curve=curve if extras else None,
        service=service if extras else None,
    )


@pytest.fixture(scope="module")
def document() -> PlanDocument:
    return _document()


@pytest.fixture(scope="module")
def workbook(document: PlanDocument, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_plan(document, tmp_path_factory.mktemp("plan") / "rencana.xlsx")


def _sheets(path: Path) -> dict[str, pd.DataFrame]:
    return pd.read_excel(path, sheet_name=None, dtype=TEXT, engine="openpyxl")


def _body(table: pd.DataFrame, first: str, total: str = "Jumlah") -> pd.DataFrame:
    """The rows above the total row (checked to be the last)."""
    assert table[first].iat[-1] == total
    return table.iloc[:-1]


def _cover(sheets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    return sheets["Ringkasan"].set_index("Uraian")


def test_the_instance_shows_every_reason_to_stay_below_20_jp(document: PlanDocument) -> None:
    plan = document.plan
    assert len(plan.items) > 3 and plan.cost <= document.budget_idr
    assert set(plan.items["training_id"]) == {"T1", "T2", "T4"}
    assert set(plan.people.loc[plan.people["shortfall"] > 0, "reason"]) == {
        "budget",
        "seats",
        "no_training",
    }


def test_every_sheet_is_there_with_its_indonesian_name_and_filing_format(
    workbook: Path, document: PlanDocument
) -> None:
    book = openpyxl.load_workbook(workbook)
    assert book.sheetnames == SHEETS_ID
    for ws in book.worksheets:
        assert ws.freeze_panes == "A2"
        assert all(cell.font.b for cell in ws[1])
        assert all(ws.column_dimensions[c.column_letter].width >= 8 for c in ws[1])
    plan = book["Rencana"]
    header = [c.value for c in plan[1]]
    row = {h: c for h, c in zip(header, plan[2], strict=True)}
    assert row[BUDGET_ID].number_format == "#,##0"
    assert row["Perkiraan Kenaikan Kinerja (poin SKP)"].number_format == "0.00"
    # an 18-digit NIP stays text, every digit kept
    assert row[NIP_ID].data_type == "s" and row[NIP_ID].value in NIPS
    # the cover formats each row by what it holds
    cover = {r[0].value: r[1] for r in book["Ringkasan"].iter_rows(min_row=2)}
    assert cover["Biaya rencana (Rp)"].number_format == "#,##0"
    assert cover["Pegawai mencapai 20 JP"].number_format == "0.0%"


def test_every_pasal_207_item_is_labelled_by_its_letter(workbook: Path) -> None:
    sheets = _sheets(workbook)
    columns = list(sheets["Rencana"].columns)
    for letter in "abcdefg":
        assert any(c.startswith(f"({letter}) ") for c in columns), letter
        assert any(name.startswith(f"{letter}. ") for name in sheets), letter
    cover = _cover(sheets)
    for letter in "abcdefg":
        assert f"Pasal 207 ayat (3) huruf {letter}" in " ".join(cover.index)
    # the order of the regulation
    lettered = [c[1] for c in columns if c.startswith("(")]
    assert lettered == sorted(lettered)


def test_the_items_say_what_pasal_207_asks(workbook: Path, document: PlanDocument) -> None:
    rows = _sheets(workbook)["Rencana"]
    items = document.plan.items
    assert len(rows) == len(items)
    assert sorted(zip(rows[NIP_ID], rows["Kode Pelatihan"], strict=True)) == sorted(
        zip(items["nip"], items["training_id"], strict=True)
    )
    by_training = rows.set_index("Kode Pelatihan")
    # (a): the gaps the lists name when there are any, else what the training develops
    competency = rows.groupby("Kode Pelatihan")["(a) Kompetensi"].agg(set)
    assert competency["T1"] == {"Integritas (M1) 2.0→4"}
    assert competency["T2"] == {"Pelayanan Publik (T-PP-01)"}
    assert competency["T4"] == {"Integritas (M1)"}
    # (c): jenis and jalur of PP 11/2017 from the modality
    paths = {"T1": "Klasikal", "T2": "Nonklasikal", "T3": "Klasikal dan nonklasikal"}
    paths["T4"] = "Klasikal"
    for training, group in by_training.groupby(level=0):
        assert (group["(c) Jalur"] == paths[str(training)]).all()
    assert (rows["(c) Jenis Pengembangan"] == "Pelatihan").all()
    # (d), (e), (f), (g)
    providers = _catalog().set_index("training_id")["provider"]
    assert (rows["(d) Penyelenggara"] == rows["Kode Pelatihan"].map(providers)).all()
    quarter = {1: "Triwulan I", 2: "Triwulan II", 3: "Triwulan III", 4: "Triwulan IV"}
    expected = [quarter[q] for q in items.sort_values(["unit", "nip", "quarter"])["quarter"]]
    assert [s.split(" (")[0] for s in rows["(e) Jadwal"]] == expected
    fit = rows.groupby("Kode Pelatihan")["(f) Kesesuaian dengan Standar Kurikulum"].agg(set)
    assert fit["T2"] == {"Mengembangkan Pelayanan Publik (T-PP-01) hingga level 3"}
    assert fit["T1"] == {
        "Mengembangkan Integritas (M1) hingga level 4; Perekat Bangsa (SK1) hingga level 3"
    }
    assert rows[BUDGET_ID].sum() == pytest.approx(document.plan.cost)


def test_the_competency_recap_counts_who_develops_what(
    workbook: Path, document: PlanDocument
) -> None:
    recap = _sheets(workbook)["a. Kompetensi"].set_index("(a) Kode Kompetensi")
    items = document.plan.items
    # SK1 is T1's too, but T1's holder lacks only M1
    assert "SK1" not in recap.index
    m1 = items.loc[items["training_id"].isin(["T1", "T4"]), "nip"].nunique()
    assert recap.at["M1", "Peserta (orang)"] == m1
    assert recap.at["M1", "(a) Kompetensi"] == "Integritas"
    assert recap.at["M1", "Jenis Kompetensi"] == "Manajerial"


def test_the_summaries_add_up_to_the_plan(workbook: Path, document: PlanDocument) -> None:
    plan = document.plan
    items = plan.items
    sheets = _sheets(workbook)
    units = sheets["Per Unit Kerja"]
    body = _body(units, "Unit Kerja")
    for table in (body, units.iloc[[-1]]):
        assert table[BUDGET_ID].sum() == pytest.approx(plan.cost)
        assert table["Peserta (orang)"].sum() == items["nip"].nunique()
        assert table["Jumlah Pegawai"].sum() == len(plan.people)
        assert table["Perkiraan Kenaikan Kinerja (poin SKP)"].sum() == pytest.approx(
            plan.total_gain
        )
        if len(table) == 1:  # the total row: the plan's interval (intervals do not add)
            low, high = plan.gain_interval
            assert table["Kenaikan: Batas Bawah"].iat[0] == pytest.approx(low)
            assert table["Kenaikan: Batas Atas"].iat[0] == pytest.approx(high)
        else:
            low, high = gain_intervals(plan.items, "unit")
            units_in = table.set_index("Unit Kerja")
            assert units_in["Kenaikan: Batas Bawah"].reindex(low.index).to_numpy() == (
                pytest.approx(low.to_numpy())
            )
            assert units_in["Kenaikan: Batas Atas"].reindex(high.index).to_numpy() == (
                pytest.approx(high.to_numpy())
            )
        assert table["Pegawai < 20 JP"].sum() == (plan.people["shortfall"] > 0).sum()
    a_unit = body.set_index("Unit Kerja").loc["Dinas A"]
    assert a_unit[BUDGET_ID] == pytest.approx(
        items.loc[items["unit"] == "Dinas A", "cost_idr"].sum()
    )

    trainings = _body(sheets["Per Pelatihan"], "Kode Pelatihan").set_index("Kode Pelatihan")
    pd.testing.assert_series_equal(
        trainings["Peserta"].sort_index(),
        items["training_id"].value_counts().sort_index(),
        check_names=False,
        check_dtype=False,
    )
    assert trainings[BUDGET_ID].sum() == pytest.approx(plan.cost)

    for name, first in (("g. Anggaran", "Unit Kerja"), ("d. Penyelenggara", "(d) Penyelenggara")):
        table = sheets[name]
        assert table[BUDGET_ID].iat[-1] == pytest.approx(plan.cost)
        assert _body(table, first)[BUDGET_ID].sum() == pytest.approx(plan.cost)
    quarters = _body(sheets["g. Anggaran"], "Unit Kerja").filter(like="Triwulan")
    assert quarters.to_numpy().sum() == pytest.approx(plan.cost)
    schedule = _body(sheets["e. Jadwal"], "Kode Pelatihan")
    assert schedule.filter(like="Triwulan").to_numpy().sum() == len(items)

    targets = sheets["b. PNS Sasaran"]
    assert set(targets[NIP_ID]) == set(items["nip"])
    assert targets[BUDGET_ID].sum() == pytest.approx(plan.cost)

    cover = _cover(sheets)
    assert cover.at["Biaya rencana (Rp)", "Nilai"] == pytest.approx(plan.cost)
    assert cover.at["Anggaran tersedia (Rp)", "Nilai"] == pytest.approx(document.budget_idr)
    gain = cover.loc["Perkiraan kenaikan kinerja total (poin SKP)"]
    assert gain["Nilai"] == pytest.approx(plan.total_gain)
    assert (gain["Batas Bawah"], gain["Batas Atas"]) == pytest.approx(plan.gain_interval)
    assert cover.at["Pegawai mencapai 20 JP", "Nilai"] == pytest.approx(plan.share_at_minimum)
    assert cover.at["Peserta (orang)", "Nilai"] == items["nip"].nunique()
    assert cover.at["Tahun", "Nilai"] == 2025
    greedy_plan = document.baselines["greedy"]
    baseline = cover.loc["Pembanding (greedy): kenaikan kinerja total (poin SKP)"]
    assert baseline["Nilai"] == pytest.approx(greedy_plan.total_gain)
    assert cover.at["Pembanding (greedy): biaya (Rp)", "Nilai"] == pytest.approx(greedy_plan.cost)
    gap = cover.at["Selisih optimalitas terhadap batas atas (LP)", "Nilai"]
    assert gap == pytest.approx(plan.gap)


def test_the_compliance_list_is_everyone_still_below_20_jp_and_why(
    workbook: Path, document: PlanDocument
) -> None:
    people = document.plan.people
    short = people[people["shortfall"] > 0].set_index("nip")
    listed = _sheets(workbook)["Kepatuhan 20 JP"].set_index("NIP")
    assert sorted(listed.index) == sorted(short.index)
    words = {
        "budget": "anggaran",
        "seats": "kursi",
        "no_training": "tidak ada pelatihan yang sesuai",
    }
    assert (listed["Alasan"] == short["reason"].map(words).reindex(listed.index)).all()
    assert (listed["Kekurangan JP"] == short["shortfall"].reindex(listed.index)).all()
    assert listed["Keterangan"].str.len().gt(0).all()


def test_the_curve_and_service_sheets_carry_their_tables(
    workbook: Path, document: PlanDocument
) -> None:
    sheets = _sheets(workbook)
    assert document.curve is not None and document.service is not None
    curve = sheets["Kurva Anggaran"]
    assert list(curve["Anggaran (Rp)"]) == list(document.curve["budget_idr"])
    assert list(curve["Pegawai Mencapai 20 JP (%)"]) == list(document.curve["share_at_minimum"])
    service = sheets["Layanan Unit"]
    assert list(service["Unit Kerja"]) == ["Dinas A", "Dinas B"]
    assert list(service["Perkiraan Perubahan IKM (poin)"]) == [1.2, 0.4]
    # optional: without them the sheets are left out
    tables = plan_tables(replace(document, curve=None, service=None))
    assert list(tables) == SHEETS_ID[:-2]


def test_the_english_workbook_has_english_names_and_headers(
    document: PlanDocument, tmp_path: Path
) -> None:
    path = write_plan(document, tmp_path / "plan.xlsx", lang="en")
    sheets = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    assert list(sheets)[:3] == ["Summary", "Plan", "a. Competencies"]
    assert "20-JP compliance" in sheets
    columns = list(sheets["Plan"].columns)
    assert "(a) Competency" in columns and "(g) Budget (IDR)" in columns
    assert not any("Anggaran" in c or "Kompetensi" in c for c in columns)
    reasons = set(sheets["20-JP compliance"]["Reason"])
    assert reasons == {"budget", "seats", "no suitable training"}
    assert "Develops" in sheets["Plan"]["(f) Fit with the curriculum standard"].iat[0]


def test_the_csv_is_the_item_table_and_reads_back(document: PlanDocument, tmp_path: Path) -> None:
    path = write_plan(document, tmp_path / "rencana.csv")
    back = pd.read_csv(path, dtype=TEXT)
    expected = plan_tables(document)["Rencana"]
    assert list(back.columns) == list(expected.columns)
    assert list(back[NIP_ID]) == list(expected[NIP_ID])
    assert back[BUDGET_ID].sum() == pytest.approx(document.plan.cost)
    assert back[BUDGET_ID].dtype.kind == "i"  # whole rupiah, no ".000"
    np.testing.assert_allclose(
        back["Perkiraan Kenaikan Kinerja (poin SKP)"],
        expected["Perkiraan Kenaikan Kinerja (poin SKP)"],
        atol=5e-4,
    )


@pytest.mark.parametrize("name", ["plan.pdf", "plan.xls", "plan"])
def test_another_suffix_is_an_error_naming_it(
    document: PlanDocument, tmp_path: Path, name: str
) -> None:
    suffix = Path(name).suffix or "a file without a suffix"
    with pytest.raises(ValueError, match=suffix.replace(".", r"\.")):
        write_plan(document, tmp_path / name)
    assert not (tmp_path / name).exists()


def test_bad_input_is_a_clear_error(document: PlanDocument, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="language"):
        plan_tables(document, lang="fr")
    curve = document.curve
    assert curve is not None
    with pytest.raises(ValueError, match=r"curve: missing column.*budget_price"):
        plan_tables(replace(document, curve=curve.drop(columns="budget_price")))
    with pytest.raises(ValueError, match=r"trainings: missing column.*provider"):
        plan_tables(replace(document, trainings=_catalog().drop(columns="provider")))


def test_a_plan_with_no_items_still_makes_a_valid_workbook(
    document: PlanDocument, tmp_path: Path
) -> None:
    plan = document.plan
    people = plan.people.assign(
        jp_planned=0.0,
        shortfall=np.maximum(0.0, 20 - plan.people["jp_completed"]),
        reason="budget",
    )
    people.loc[people["shortfall"] == 0, "reason"] = ""
    empty = Plan(
        items=plan.items.head(0),
        people=people,
        method="exact",
        objective=0.0,
        bound=0.0,
        seconds=0.0,
    )
    path = write_plan(
        replace(document, plan=empty, baselines={}, budget_idr=0.0), tmp_path / "kosong.xlsx"
    )
    sheets = _sheets(path)
    assert list(sheets) == SHEETS_ID
    assert sheets["Rencana"].empty and list(sheets["Rencana"].columns)[3] == "(a) Kompetensi"
    assert sheets["Per Unit Kerja"][BUDGET_ID].iat[-1] == 0
    assert sheets["g. Anggaran"][BUDGET_ID].iat[-1] == 0
    assert len(sheets["Kepatuhan 20 JP"]) == (people["shortfall"] > 0).sum()
    assert _cover(sheets).at["Biaya rencana (Rp)", "Nilai"] == 0
    # so does one that names no gap at all (no gaps_closed column)
    bare = replace(document, plan=replace(plan, items=plan.items.drop(columns="gaps_closed")))
    rows = plan_tables(bare)["Rencana"]
    assert rows["(a) Kompetensi"].str.len().gt(0).all()


def test_no_personal_data_beyond_nip_and_unit(document: PlanDocument, tmp_path: Path) -> None:
    plan = document.plan
    leaky = replace(
        plan,
        people=plan.people.assign(name="Siti Rahmawati", gender="F", score=97.5),
        items=plan.items.assign(name="Siti Rahmawati", gender="F", score=97.5),
    )
    path = write_plan(replace(document, plan=leaky), tmp_path / "plan.xlsx")
    book = openpyxl.load_workbook(path)
    cells = {
        str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
    }
    assert "Siti Rahmawati" not in cells and "97.5" not in cells
    assert not any(h in cells for h in ("name", "gender", "score", "remote", "person"))
