"""The plan document: the agency's rencana pengembangan kompetensi as a workbook HR can file.

PP 11/2017 (as amended by PP 17/2020) Pasal 207 ayat (3) asks the plan to state, for each
item: (a) the competency, (b) the target PNS, (c) the type and path of development (jenis
dan jalur), (d) the provider (penyelenggara), (e) the schedule (jadwal), (f) how it fits
the curriculum standard (kesesuaian dengan standar kurikulum) and (g) the budget
(anggaran). The workbook (:func:`write_plan`) has

* **Ringkasan**: agency, year, budget and cost, the total forecast gain with its interval,
  the share of staff reaching 20 JP, the optimality gap to the bound, the method, the
  baselines beside it, and where each Pasal 207(3) item stands in the workbook;
* **Rencana**: one row per item, with (a)–(g) as columns labelled by their letter;
* one recap sheet per item, **a.** … **g.** (by competency, target PNS, jenis/jalur,
  provider, quarter, training's curriculum fit, unit and quarter's budget);
* **Per Unit Kerja** and **Per Pelatihan**: peserta, JP, anggaran and forecast gain with
  its interval;
* **Kepatuhan 20 JP** (Pasal 203 ayat (4)): everyone still below 20 JP, and why;
* **Kurva Anggaran** and **Layanan Unit**, when given.

(c) Every modality of the data contract is a *pelatihan* (none is a degree, *pendidikan*);
its *jalur* is klasikal (face to face: klasikal, workshop, seminar), nonklasikal
(e-learning, coaching as bimbingan di tempat kerja, magang) or both (blended). (f) is what
the training develops and up to which level (``training_competencies``); the data contract
records no accreditation, so the document claims none.

Least personal data: NIP and unit kerja identify the target PNS; no name, score or
protected attribute enters the document.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.styles import Font

from recsys.models.service import FORECAST_COLUMNS
from recsys.planning.program import QUARTERS, Plan, baseline_groups, gain_intervals
from recsys.settings import LANGUAGES

log = logging.getLogger(__name__)

#: File types :func:`write_plan` writes (.csv: the item table only).
PLAN_SUFFIXES = (".xlsx", ".csv")
#: The items of PP 11/2017 Pasal 207 ayat (3), by letter.
PASAL_207_ITEMS = ("a", "b", "c", "d", "e", "f", "g")
#: Modality (data contract) → (jenis, jalur) of development, as label keys.
PATHS: dict[str, tuple[str, str]] = {
    "klasikal": ("training", "classroom"),
    "workshop": ("training", "classroom"),
    "seminar": ("training", "classroom"),
    "blended": ("training", "blended"),
    "e_learning": ("training", "nonclassroom"),
    "coaching": ("training", "nonclassroom"),
    "magang": ("training", "nonclassroom"),
}
#: Columns the budget curve must have (a ``gap`` column is shown too, when present).
CURVE_SHEET_COLUMNS = (
    "budget_idr",
    "cost_idr",
    "total_gain",
    "gain_lower",
    "gain_upper",
    "share_at_minimum",
    "budget_price",
)
#: Columns the unit service forecast must have (shares 0–1, IKM points, days).
SERVICE_SHEET_COLUMNS = FORECAST_COLUMNS
#: Columns of the plan's items the document reads (``gaps_closed`` too, when present).
_ITEM_NEEDS = (
    "nip",
    "unit",
    "training_id",
    "gain",
    "gain_lower",
    "gain_upper",
    "cost_idr",
    "hours_jp",
    "modality",
    "quarter",
)
#: Identifier columns, written as text (an 18-digit NIP read as a number loses digits).
_TEXT_COLUMNS = ("b_nip", "nip", "training_id")
_TOTAL = "total"  # label key of a table's total row

_LABELS: dict[str, dict[str, str]] = {
    # sheets (Excel allows 31 characters)
    "sheet.cover": {"id": "Ringkasan", "en": "Summary"},
    "sheet.plan": {"id": "Rencana", "en": "Plan"},
    "sheet.a": {"id": "a. Kompetensi", "en": "a. Competencies"},
    "sheet.b": {"id": "b. PNS Sasaran", "en": "b. Target staff"},
    "sheet.c": {"id": "c. Jenis dan Jalur", "en": "c. Type and path"},
    "sheet.d": {"id": "d. Penyelenggara", "en": "d. Providers"},
    "sheet.e": {"id": "e. Jadwal", "en": "e. Schedule"},
    "sheet.f": {"id": "f. Standar Kurikulum", "en": "f. Curriculum standard"},
    "sheet.g": {"id": "g. Anggaran", "en": "g. Budget"},
    "sheet.units": {"id": "Per Unit Kerja", "en": "By unit"},
    "sheet.trainings": {"id": "Per Pelatihan", "en": "By training"},
    "sheet.compliance": {"id": "Kepatuhan 20 JP", "en": "20-JP compliance"},
    "sheet.curve": {"id": "Kurva Anggaran", "en": "Budget curve"},
    "sheet.service": {"id": "Layanan Unit", "en": "Unit service"},
    # columns: the Pasal 207(3) items
    "col.a_competency": {"id": "(a) Kompetensi", "en": "(a) Competency"},
    "col.a_code": {"id": "(a) Kode Kompetensi", "en": "(a) Competency code"},
    "col.b_nip": {"id": "(b) PNS Sasaran (NIP)", "en": "(b) Target civil servant (NIP)"},
    "col.b_unit": {"id": "(b) Unit Kerja", "en": "(b) Work unit"},
    "col.c_kind": {"id": "(c) Jenis Pengembangan", "en": "(c) Type of development"},
    "col.c_path": {"id": "(c) Jalur", "en": "(c) Path"},
    "col.c_form": {"id": "(c) Bentuk", "en": "(c) Form"},
    "col.d_provider": {"id": "(d) Penyelenggara", "en": "(d) Provider"},
    "col.e_schedule": {"id": "(e) Jadwal", "en": "(e) Schedule"},
    "col.e_q1": {"id": "(e) Triwulan I (Jan–Mar)", "en": "(e) Q1 (Jan–Mar)"},
    "col.e_q2": {"id": "(e) Triwulan II (Apr–Jun)", "en": "(e) Q2 (Apr–Jun)"},
    "col.e_q3": {"id": "(e) Triwulan III (Jul–Sep)", "en": "(e) Q3 (Jul–Sep)"},
    "col.e_q4": {"id": "(e) Triwulan IV (Okt–Des)", "en": "(e) Q4 (Oct–Dec)"},
    "col.f_curriculum": {
        "id": "(f) Kesesuaian dengan Standar Kurikulum",
        "en": "(f) Fit with the curriculum standard",
    },
    "col.g_budget": {"id": "(g) Anggaran (Rp)", "en": "(g) Budget (IDR)"},
    "col.g_q1": {"id": "(g) Anggaran Triwulan I (Rp)", "en": "(g) Budget Q1 (IDR)"},
    "col.g_q2": {"id": "(g) Anggaran Triwulan II (Rp)", "en": "(g) Budget Q2 (IDR)"},
    "col.g_q3": {"id": "(g) Anggaran Triwulan III (Rp)", "en": "(g) Budget Q3 (IDR)"},
    "col.g_q4": {"id": "(g) Anggaran Triwulan IV (Rp)", "en": "(g) Budget Q4 (IDR)"},
    # columns: the rest
    "col.no": {"id": "No", "en": "No."},
    "col.training_id": {"id": "Kode Pelatihan", "en": "Training code"},
    "col.title": {"id": "Nama Pelatihan", "en": "Training"},
    "col.hours_jp": {"id": "JP per Peserta", "en": "JP per participant"},
    "col.cost_per": {"id": "Biaya per Peserta (Rp)", "en": "Cost per participant (IDR)"},
    "col.gain": {
        "id": "Perkiraan Kenaikan Kinerja (poin SKP)",
        "en": "Forecast performance gain (SKP points)",
    },
    "col.gain_lower": {"id": "Kenaikan: Batas Bawah", "en": "Gain: lower bound"},
    "col.gain_upper": {"id": "Kenaikan: Batas Atas", "en": "Gain: upper bound"},
    "col.unit": {"id": "Unit Kerja", "en": "Work unit"},
    "col.nip": {"id": "NIP", "en": "NIP"},
    "col.competency_kind": {"id": "Jenis Kompetensi", "en": "Competency kind"},
    "col.developed": {
        "id": "Kompetensi yang Dikembangkan (level target)",
        "en": "Competencies developed (target level)",
    },
    "col.staff": {"id": "Jumlah Pegawai", "en": "Staff"},
    "col.people": {"id": "Peserta (orang)", "en": "Participants (people)"},
    "col.seats": {"id": "Peserta", "en": "Participants"},
    "col.items": {"id": "Jumlah Item Pengembangan", "en": "Development items"},
    "col.n_trainings": {"id": "Jumlah Pelatihan", "en": "Trainings"},
    "col.trainings": {"id": "Pelatihan (kode)", "en": "Trainings (codes)"},
    "col.jp_total": {"id": "Total JP", "en": "Total JP"},
    "col.budget": {"id": "Anggaran (Rp)", "en": "Budget (IDR)"},
    "col.jp_completed": {"id": "JP Tercapai", "en": "JP completed"},
    "col.jp_planned": {"id": "JP Direncanakan", "en": "JP planned"},
    "col.jp_after": {"id": "JP Setelah Rencana", "en": "JP after the plan"},
    "col.shortfall": {"id": "Kekurangan JP", "en": "JP short of 20"},
    "col.reaches": {"id": "Mencapai 20 JP", "en": "Reaches 20 JP"},
    "col.at_minimum": {"id": "Pegawai Mencapai 20 JP", "en": "Staff reaching 20 JP"},
    "col.below_minimum": {"id": "Pegawai < 20 JP", "en": "Staff below 20 JP"},
    "col.reason": {"id": "Alasan", "en": "Reason"},
    "col.reason_note": {"id": "Keterangan", "en": "Note"},
    "col.seat_price": {
        "id": "Nilai Satu Kursi Tambahan (poin SKP)",
        "en": "Value of one more seat (SKP points)",
    },
    "col.budget_idr": {"id": "Anggaran (Rp)", "en": "Budget (IDR)"},
    "col.cost_idr": {"id": "Biaya Rencana (Rp)", "en": "Plan cost (IDR)"},
    "col.total_gain": {
        "id": "Perkiraan Kenaikan Kinerja (poin SKP)",
        "en": "Forecast performance gain (SKP points)",
    },
    "col.share_at_minimum": {"id": "Pegawai Mencapai 20 JP (%)", "en": "Staff reaching 20 JP (%)"},
    "col.budget_price": {
        "id": "Nilai Tambahan Rp 1 Juta (poin SKP)",
        "en": "Value of IDR 1 million more (SKP points)",
    },
    "col.gap": {"id": "Selisih Optimalitas (%)", "en": "Optimality gap (%)"},
    "col.trained_share_now": {"id": "Pegawai Terlatih Saat Ini (%)", "en": "Trained now (%)"},
    "col.trained_share_planned": {
        "id": "Pegawai Terlatih dengan Rencana (%)",
        "en": "Trained with the plan (%)",
    },
    "col.satisfaction_now": {"id": "IKM Saat Ini (0–100)", "en": "Satisfaction now (0–100)"},
    "col.satisfaction_change": {
        "id": "Perkiraan Perubahan IKM (poin)",
        "en": "Forecast satisfaction change (points)",
    },
    "col.satisfaction_lower": {"id": "Perubahan IKM: Batas Bawah", "en": "Satisfaction: lower"},
    "col.satisfaction_upper": {"id": "Perubahan IKM: Batas Atas", "en": "Satisfaction: upper"},
    "col.service_days_now": {
        "id": "Rata-rata Lama Layanan Saat Ini (hari)",
        "en": "Average service days now",
    },
    "col.service_days_change": {
        "id": "Perkiraan Perubahan Lama Layanan (hari)",
        "en": "Forecast change in service days",
    },
    "col.service_days_lower": {"id": "Lama Layanan: Batas Bawah", "en": "Service days: lower"},
    "col.service_days_upper": {"id": "Lama Layanan: Batas Atas", "en": "Service days: upper"},
    "col.item": {"id": "Uraian", "en": "Item"},
    "col.value": {"id": "Nilai", "en": "Value"},
    "col.lower": {"id": "Batas Bawah", "en": "Lower bound"},
    "col.upper": {"id": "Batas Atas", "en": "Upper bound"},
    "col.note": {"id": "Keterangan", "en": "Note"},
    # values
    "total": {"id": "Jumlah", "en": "Total"},
    "yes": {"id": "Ya", "en": "Yes"},
    "no": {"id": "Tidak", "en": "No"},
    "kind.training": {"id": "Pelatihan", "en": "Training (pelatihan)"},
    "path.classroom": {"id": "Klasikal", "en": "Classroom (klasikal)"},
    "path.nonclassroom": {"id": "Nonklasikal", "en": "Non-classroom (nonklasikal)"},
    "path.blended": {
        "id": "Klasikal dan nonklasikal",
        "en": "Classroom and non-classroom",
    },
    "form.klasikal": {"id": "Pelatihan tatap muka", "en": "Classroom training"},
    "form.e_learning": {"id": "E-learning", "en": "E-learning"},
    "form.blended": {"id": "Blended (tatap muka dan daring)", "en": "Blended"},
    "form.workshop": {"id": "Lokakarya (workshop)", "en": "Workshop"},
    "form.seminar": {"id": "Seminar", "en": "Seminar"},
    "form.coaching": {
        "id": "Coaching (bimbingan di tempat kerja)",
        "en": "Coaching (on-the-job guidance)",
    },
    "form.magang": {"id": "Magang", "en": "Internship (magang)"},
    "quarter.1": {"id": "Triwulan I (Jan–Mar)", "en": "Q1 (Jan–Mar)"},
    "quarter.2": {"id": "Triwulan II (Apr–Jun)", "en": "Q2 (Apr–Jun)"},
    "quarter.3": {"id": "Triwulan III (Jul–Sep)", "en": "Q3 (Jul–Sep)"},
    "quarter.4": {"id": "Triwulan IV (Okt–Des)", "en": "Q4 (Oct–Dec)"},
    "develops": {
        "id": "{name} ({code}) hingga level {level}",
        "en": "{name} ({code}) to level {level}",
    },
    "curriculum": {
        "id": "Mengembangkan {competencies}",
        "en": "Develops {competencies}",
    },
    "curriculum.none": {
        "id": "Tidak ada data standar kompetensi untuk pelatihan ini",
        "en": "No competency standard recorded for this training",
    },
    "competency.manajerial": {"id": "Manajerial", "en": "Managerial"},
    "competency.sosial_kultural": {"id": "Sosial kultural", "en": "Socio-cultural"},
    "competency.teknis": {"id": "Teknis", "en": "Technical"},
    "reason.budget": {"id": "anggaran", "en": "budget"},
    "reason.seats": {"id": "kursi", "en": "seats"},
    "reason.away": {"id": "kuota pegawai yang ditinggalkan", "en": "staff away"},
    "reason.no_training": {"id": "tidak ada pelatihan yang sesuai", "en": "no suitable training"},
    "reason_note.budget": {
        "id": "Anggaran tidak cukup untuk pelatihan sesuai yang masih tersedia",
        "en": "The budget does not stretch to the suitable trainings still open",
    },
    "reason_note.seats": {
        "id": "Kursi semua pelatihan yang sesuai sudah penuh",
        "en": "Every suitable training's seats are taken",
    },
    "reason_note.away": {
        "id": "Unit kerjanya sudah mencapai batas pegawai yang mengikuti pelatihan klasikal "
        "bersamaan",
        "en": "Their unit already has its share of staff away in classroom training",
    },
    "reason_note.no_training": {
        "id": "Pelatihan yang berdampak positif baginya tidak cukup JP untuk mencapai 20 JP",
        "en": "The trainings that would help them carry too few JP to reach 20",
    },
    "method.exact": {
        "id": "Program bilangan bulat campuran, branch and bound (HiGHS)",
        "en": "Mixed-integer program, branch and bound (HiGHS)",
    },
    "method.auto": {
        "id": "LP dengan generasi kolom, dibulatkan; branch and bound bila selisih > 0,2% (HiGHS)",
        "en": "LP by column generation, rounded; branch and bound if the gap is > 0.2% (HiGHS)",
    },
    "method.rounded": {
        "id": "Relaksasi LP yang dibulatkan dan diperbaiki (HiGHS)",
        "en": "LP relaxation rounded and repaired (HiGHS)",
    },
    "method.greedy": {
        "id": "Greedy: 20 JP dahulu, lalu kenaikan per rupiah",
        "en": "Greedy: 20 JP first, then gain per rupiah",
    },
    "method.gap_rule": {
        "id": "Aturan kesenjangan kompetensi (seperti perencanaan manual)",
        "en": "Competency-gap rule (as planned by hand)",
    },
    # the cover's rows
    "cover.basis": {"id": "Dasar", "en": "Basis"},
    "cover.basis_value": {
        "id": "PP 11/2017 jo. PP 17/2020, Pasal 207 ayat (3) dan Pasal 203 ayat (4)",
        "en": "PP 11/2017 as amended by PP 17/2020, Article 207(3) and Article 203(4)",
    },
    "cover.agency": {"id": "Instansi", "en": "Agency"},
    "cover.year": {"id": "Tahun", "en": "Year"},
    "cover.budget": {"id": "Anggaran tersedia (Rp)", "en": "Budget available (IDR)"},
    "cover.cost": {"id": "Biaya rencana (Rp)", "en": "Plan cost (IDR)"},
    "cover.left": {"id": "Sisa anggaran (Rp)", "en": "Budget left (IDR)"},
    "cover.staff": {"id": "Pegawai dalam rencana (orang)", "en": "Staff planned for (people)"},
    "cover.people": {"id": "Peserta (orang)", "en": "Participants (people)"},
    "cover.items": {"id": "Item pengembangan", "en": "Development items"},
    "cover.jp": {"id": "JP direncanakan", "en": "JP planned"},
    "cover.gain": {
        "id": "Perkiraan kenaikan kinerja total (poin SKP)",
        "en": "Total forecast performance gain (SKP points)",
    },
    "cover.gain_note": {
        "id": "Interval: jumlah batas tiap item (dianggap berkorelasi penuh, jadi lebar)",
        "en": "Interval: the items' bounds added (treated as fully correlated, so wide)",
    },
    "cover.share": {"id": "Pegawai mencapai 20 JP", "en": "Staff reaching 20 JP"},
    "cover.below": {"id": "Pegawai masih < 20 JP (orang)", "en": "Staff still below 20 JP"},
    "cover.below_note": {
        "id": "Lihat lembar '{sheet}' untuk alasannya",
        "en": "See sheet '{sheet}' for why",
    },
    "cover.objective": {
        "id": "Nilai fungsi tujuan (poin SKP)",
        "en": "Objective value (SKP points)",
    },
    "cover.objective_note": {
        "id": "Kenaikan kinerja dikurangi penalti kekurangan JP",
        "en": "Forecast gain less the penalty of JP short of 20",
    },
    "cover.bound": {"id": "Batas atas fungsi tujuan (poin SKP)", "en": "Bound on the objective"},
    "cover.bound_note": {
        "id": "Tidak ada rencana dalam batas yang sama yang bernilai lebih tinggi",
        "en": "No plan within the same limits is worth more",
    },
    "cover.gap": {
        "id": "Selisih optimalitas terhadap batas atas (LP)",
        "en": "Optimality gap to the (LP) bound",
    },
    "cover.method": {"id": "Metode", "en": "Method"},
    "cover.seconds": {"id": "Waktu penyelesaian (detik)", "en": "Solving time (seconds)"},
    "cover.budget_price": {
        "id": "Nilai tambahan Rp 1 juta (poin SKP)",
        "en": "Value of IDR 1 million more (SKP points)",
    },
    "cover.seat_prices": {
        "id": "Pelatihan yang kursinya membatasi",
        "en": "Trainings whose seats bind",
    },
    "cover.seat_note": {
        "id": "Nilai satu kursi tambahan ada di lembar '{sheet}'",
        "en": "The value of one more seat is in sheet '{sheet}'",
    },
    "cover.baseline_gain": {
        "id": "Pembanding ({name}): kenaikan kinerja total (poin SKP)",
        "en": "Baseline ({name}): total forecast gain (SKP points)",
    },
    "cover.baseline_cost": {
        "id": "Pembanding ({name}): biaya (Rp)",
        "en": "Baseline ({name}): cost (IDR)",
    },
    "cover.baseline_share": {
        "id": "Pembanding ({name}): pegawai mencapai 20 JP",
        "en": "Baseline ({name}): staff reaching 20 JP",
    },
    "cover.item_a": {
        "id": "Pasal 207 ayat (3) huruf a: kompetensi",
        "en": "Art. 207(3)(a): competency",
    },
    "cover.item_b": {
        "id": "Pasal 207 ayat (3) huruf b: PNS sasaran",
        "en": "Art. 207(3)(b): target PNS",
    },
    "cover.item_c": {
        "id": "Pasal 207 ayat (3) huruf c: jenis dan jalur pengembangan",
        "en": "Art. 207(3)(c): type and path of development",
    },
    "cover.item_d": {
        "id": "Pasal 207 ayat (3) huruf d: penyelenggara",
        "en": "Art. 207(3)(d): provider",
    },
    "cover.item_e": {"id": "Pasal 207 ayat (3) huruf e: jadwal", "en": "Art. 207(3)(e): schedule"},
    "cover.item_f": {
        "id": "Pasal 207 ayat (3) huruf f: kesesuaian dengan standar kurikulum",
        "en": "Art. 207(3)(f): fit with the curriculum standard",
    },
    "cover.item_g": {"id": "Pasal 207 ayat (3) huruf g: anggaran", "en": "Art. 207(3)(g): budget"},
    "cover.item_where": {
        "id": "Kolom {columns} di lembar '{plan}'; rekap di lembar '{sheet}'",
        "en": "Columns {columns} of sheet '{plan}'; recap in sheet '{sheet}'",
    },
}

#: Excel number format of each kind of value.
_FORMATS = {"idr": "#,##0", "gain": "0.00", "pct": "0.0%", "count": "#,##0"}
#: The kind of each column (by key); others (JP too: "General" shows 24 and 24.5) are plain.
_KINDS: dict[str, str] = {
    **dict.fromkeys(
        ("g_budget", "g_q1", "g_q2", "g_q3", "g_q4", "budget", "cost_per", "budget_idr"), "idr"
    ),
    "cost_idr": "idr",
    **dict.fromkeys(("gain", "gain_lower", "gain_upper", "total_gain"), "gain"),
    **dict.fromkeys(("seat_price", "budget_price"), "gain"),
    **dict.fromkeys(
        (
            "satisfaction_now",
            "satisfaction_change",
            "satisfaction_lower",
            "satisfaction_upper",
            "service_days_now",
            "service_days_change",
            "service_days_lower",
            "service_days_upper",
        ),
        "gain",
    ),
    **dict.fromkeys(
        ("share_at_minimum", "gap", "trained_share_now", "trained_share_planned"), "pct"
    ),
    **dict.fromkeys(
        (
            "no",
            "staff",
            "people",
            "seats",
            "items",
            "n_trainings",
            "at_minimum",
            "below_minimum",
            "e_q1",
            "e_q2",
            "e_q3",
            "e_q4",
        ),
        "count",
    ),
    **dict.fromkeys(
        ("hours_jp", "jp_total", "jp_completed", "jp_planned", "jp_after", "shortfall"), "jp"
    ),
}
#: Kinds of value a total row adds up.
_ADDITIVE = ("idr", "gain", "count", "jp")
_MAX_WIDTH = 60


@dataclass
class PlanDocument:
    """What the plan document says.

    ``plan``: the program (:class:`~recsys.planning.program.Plan`); its items may carry
    ``gaps_closed`` (``"CODE 2.6→4; …"``, from the recommendations), preferred for item (a).
    ``agency``, ``year``: whose plan, for which calendar year. ``budget_idr``: the budget
    available (IDR). ``trainings``, ``training_competencies``, ``competencies``: the data
    contract's tables. ``baselines``: plans to compare with, by name (e.g. ``greedy``,
    ``gap_rule``). ``curve``: the budget curve (:data:`CURVE_SHEET_COLUMNS`, optionally ``gap``)
    or None; ``service``: the unit service forecast (:data:`SERVICE_SHEET_COLUMNS`) or None.
    """

    plan: Plan
    agency: str
    year: int
    budget_idr: float
    trainings: pd.DataFrame
    training_competencies: pd.DataFrame
    competencies: pd.DataFrame
    baselines: dict[str, Plan] = field(default_factory=dict)
    curve: pd.DataFrame | None = None
    service: pd.DataFrame | None = None


@dataclass
class _Sheet:
    """A sheet: its label key, its table (columns by key) and, for the cover, each row's
    kind of value."""

    key: str
    frame: pd.DataFrame
    row_kinds: list[str] | None = None


def plan_tables(document: PlanDocument, lang: str = "id") -> dict[str, pd.DataFrame]:
    """The document's sheets in order, sheet name → table, names and headers in ``lang``
    (``"id"`` or ``"en"``). Amounts are IDR, gains SKP points, shares 0–1."""
    return {_label(f"sheet.{s.key}", lang): _headed(s.frame, lang) for s in _sheets(document, lang)}


def write_plan(document: PlanDocument, path: Path | str, lang: str = "id") -> Path:
    """Write the document to ``path``: ``.xlsx`` (every sheet, formatted for filing) or
    ``.csv`` (the item table, "Rencana", only). Another suffix is a :class:`ValueError`
    naming it, raised before any work."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in PLAN_SUFFIXES:
        raise ValueError(
            f"cannot write the plan document as {suffix or 'a file without a suffix'!r} "
            f"({path}); use one of {', '.join(PLAN_SUFFIXES)}"
        )
    sheets = _sheets(document, lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        _write_csv(next(s for s in sheets if s.key == "plan"), path, lang)
    else:
        _write_xlsx(sheets, path, lang)
    log.info("plan document: %d items written to %s", len(document.plan.items), path)
    return path


# ----------------------------------------------------------------------------- labels


def _label(key: str, lang: str, **values: object) -> str:
    """The text of ``key`` in ``lang`` (English when untranslated), filled with ``values``."""
    texts = _LABELS[key]
    text = texts.get(lang, texts["en"])
    return text.format(**values) if values else text


def _headed(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return frame.rename(columns={c: _label(f"col.{c}", lang) for c in frame.columns})


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")


def _check_columns(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)}")


def _check(document: PlanDocument) -> None:
    """A clear error naming the first table that lacks a column the document needs."""
    _check_columns(document.trainings, ("training_id", "title", "provider"), "trainings")
    _check_columns(
        document.training_competencies,
        ("training_id", "competency", "target_level"),
        "training_competencies",
    )
    _check_columns(document.competencies, ("code", "name"), "competencies")
    if document.curve is not None:
        _check_columns(document.curve, CURVE_SHEET_COLUMNS, "curve")
    if document.service is not None:
        _check_columns(document.service, SERVICE_SHEET_COLUMNS, "service")


# ----------------------------------------------------------------------------- the sheets


def _sheets(document: PlanDocument, lang: str) -> list[_Sheet]:
    _check_lang(lang)
    _check(document)
    items = _items(document, lang)
    sheets = [
        _cover(document, items, lang),
        _Sheet("plan", _plan_sheet(items)),
        _Sheet("a", _by_competency(document, items, lang)),
        _Sheet("b", _by_person(document, items)),
        _Sheet("c", _by_path(items, lang)),
        _Sheet("d", _by_provider(items, lang)),
        _Sheet("e", _by_quarter(items, lang)),
        _Sheet("f", _curricula(document, items, lang)),
        _Sheet("g", _budget(items, lang)),
        _Sheet("units", _by_unit(document, items, lang)),
        _Sheet("trainings", _by_training(document, items, lang)),
        _Sheet("compliance", _compliance(document, lang)),
    ]
    if document.curve is not None:
        columns = [*CURVE_SHEET_COLUMNS, *(["gap"] if "gap" in document.curve else [])]
        sheets.append(_Sheet("curve", document.curve[columns].reset_index(drop=True)))
    if document.service is not None:
        sheets.append(
            _Sheet("service", document.service[list(SERVICE_SHEET_COLUMNS)].reset_index(drop=True))
        )
    return sheets


def _items(document: PlanDocument, lang: str) -> pd.DataFrame:
    """The plan's items in filing order (unit, NIP, quarter) with what the sheets show:
    title, provider, jenis/jalur/bentuk, schedule, competency and curriculum fit."""
    raw = document.plan.items
    items = raw.reindex(columns=[*_ITEM_NEEDS, *(["gaps_closed"] if "gaps_closed" in raw else [])])
    items = items.assign(
        nip=items["nip"].astype(str),
        unit=items["unit"].astype(str),
        training_id=items["training_id"].astype(str),
        modality=items["modality"].astype(str),
        quarter=pd.to_numeric(items["quarter"]).fillna(0).astype(int),
    )
    items = items.sort_values(["unit", "nip", "quarter", "training_id"], kind="stable")
    items = items.reset_index(drop=True)
    catalog = document.trainings.set_index(document.trainings["training_id"].astype(str))
    kind_path = [PATHS.get(m) for m in items["modality"]]
    items["title"] = items["training_id"].map(catalog["title"]).fillna("").astype(str)
    items["provider"] = items["training_id"].map(catalog["provider"]).fillna("").astype(str)
    items["c_kind"] = [_label(f"kind.{k[0]}", lang) if k else "" for k in kind_path]
    items["c_path"] = [_label(f"path.{k[1]}", lang) if k else "" for k in kind_path]
    items["c_form"] = [_form(m, lang) for m in items["modality"]]
    items["e_schedule"] = [
        _label(f"quarter.{q}", lang) if 1 <= q <= QUARTERS else "" for q in items["quarter"]
    ]
    names = _competency_names(document)
    curricula = _curriculum_texts(document, lang)
    items["f_curriculum"] = (
        items["training_id"].map(curricula).fillna(_label("curriculum.none", lang)).astype(str)
    )
    developed = _developed(document)
    items["a_codes"] = [
        _gap_codes(gaps) or developed.get(t, [])
        for gaps, t in zip(_gaps(items), items["training_id"], strict=True)
    ]
    items["a_competency"] = [
        _gap_text(gaps, names) if gaps else "; ".join(f"{names.get(c, c)} ({c})" for c in codes)
        for gaps, codes in zip(_gaps(items), items["a_codes"], strict=True)
    ]
    return items


def _form(modality: str, lang: str) -> str:
    key = f"form.{modality}"
    return _label(key, lang) if key in _LABELS else modality


def _gaps(items: pd.DataFrame) -> list[str]:
    """Each item's ``gaps_closed`` text ('' when absent or missing)."""
    if "gaps_closed" not in items:
        return [""] * len(items)
    return [
        "" if not isinstance(g, str) or g.strip().lower() in ("", "nan", "none") else g.strip()
        for g in items["gaps_closed"]
    ]


def _gap_codes(gaps: str) -> list[str]:
    """The competency codes of a ``gaps_closed`` text ``"M1 2.6→4; T-01 1.0→3"``."""
    return [part.split()[0] for part in gaps.split(";") if part.strip()]


def _gap_text(gaps: str, names: dict[str, str]) -> str:
    """``"M1 2.6→4"`` as ``"Integritas (M1) 2.6→4"``."""
    parts = []
    for part in gaps.split(";"):
        code, _, span = part.strip().partition(" ")
        if code:
            parts.append(f"{names.get(code, code)} ({code}) {span}".strip())
    return "; ".join(parts)


def _competency_names(document: PlanDocument) -> dict[str, str]:
    table = document.competencies
    return dict(zip(table["code"].astype(str), table["name"].astype(str), strict=True))


def _developed(document: PlanDocument) -> dict[str, list[str]]:
    """Each training's competencies (codes, as listed)."""
    table = document.training_competencies
    codes: dict[str, list[str]] = {}
    for training, code in zip(
        table["training_id"].astype(str), table["competency"].astype(str), strict=True
    ):
        codes.setdefault(training, []).append(code)
    return codes


def _developed_text(document: PlanDocument, lang: str) -> dict[str, str]:
    """Each training's competencies with their target levels, as a phrase."""
    names = _competency_names(document)
    table = document.training_competencies
    texts: dict[str, list[str]] = {}
    for training, code, level in zip(
        table["training_id"].astype(str),
        table["competency"].astype(str),
        table["target_level"],
        strict=True,
    ):
        level_text = str(int(level)) if pd.notna(level) else "?"
        texts.setdefault(training, []).append(
            _label("develops", lang, name=names.get(code, code), code=code, level=level_text)
        )
    return {training: "; ".join(parts) for training, parts in texts.items()}


def _curriculum_texts(document: PlanDocument, lang: str) -> dict[str, str]:
    return {
        training: _label("curriculum", lang, competencies=text)
        for training, text in _developed_text(document, lang).items()
    }


def _plan_sheet(items: pd.DataFrame) -> pd.DataFrame:
    """Rencana: one row per item, (a)–(g) in the regulation's order."""
    return pd.DataFrame(
        {
            "no": np.arange(1, len(items) + 1),
            "training_id": items["training_id"],
            "title": items["title"],
            "a_competency": items["a_competency"],
            "b_nip": items["nip"],
            "b_unit": items["unit"],
            "c_kind": items["c_kind"],
            "c_path": items["c_path"],
            "c_form": items["c_form"],
            "hours_jp": items["hours_jp"].astype(float),
            "d_provider": items["provider"],
            "e_schedule": items["e_schedule"],
            "f_curriculum": items["f_curriculum"],
            "g_budget": items["cost_idr"].astype(float),
            "gain": items["gain"].astype(float),
            "gain_lower": items["gain_lower"].astype(float),
            "gain_upper": items["gain_upper"].astype(float),
        }
    )


def _totals(frame: pd.DataFrame, label_column: str, lang: str) -> pd.DataFrame:
    """``frame`` with a total row: amounts, counts and JP summed (0 when empty), the rest
    blank, and ``label_column`` saying "Jumlah"."""
    total: dict[str, object] = {c: "" for c in frame.columns}
    for column in frame.columns:
        if _KINDS.get(column) in _ADDITIVE:
            total[column] = pd.to_numeric(frame[column]).sum()
    total[label_column] = _label(_TOTAL, lang)
    return pd.concat([frame, pd.DataFrame([total])], ignore_index=True)


def _interval_total(table: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """``table``'s total row with the plan's interval (intervals do not add up)."""
    table.loc[table.index[-1], ["gain_lower", "gain_upper"]] = plan.gain_interval
    return table


def _by_competency(document: PlanDocument, items: pd.DataFrame, lang: str) -> pd.DataFrame:
    """a. per competency: who develops it and through which trainings (an item developing
    two competencies counts for both, so no budget is split here)."""
    pairs = items[["nip", "training_id", "a_codes"]].explode("a_codes").dropna()
    pairs = pairs.rename(columns={"a_codes": "code"})
    grouped = pairs.groupby("code", sort=False)
    table = pd.DataFrame(
        {
            "people": grouped["nip"].nunique(),
            "items": grouped.size(),
            "trainings": grouped["training_id"].agg(lambda ids: ", ".join(sorted(set(ids)))),
        }
    )
    names = _competency_names(document)
    kinds: dict[str, str] = {}
    if "kind" in document.competencies:
        kinds = dict(
            zip(
                document.competencies["code"].astype(str),
                document.competencies["kind"].astype(str),
                strict=True,
            )
        )
    codes = table.index.astype(str)
    table.insert(0, "a_code", codes)
    table.insert(1, "a_competency", [names.get(c, c) for c in codes])
    table.insert(2, "competency_kind", [_kind(kinds.get(c, ""), lang) for c in codes])
    table = table.sort_values(["people", "a_code"], ascending=[False, True], kind="stable")
    columns = ["a_code", "a_competency", "competency_kind", "people", "items", "trainings"]
    return table.reset_index(drop=True).reindex(columns=columns)


def _kind(kind: str, lang: str) -> str:
    """A competency kind (manajerial, sosial_kultural, teknis) in ``lang``."""
    key = f"competency.{kind}"
    return _label(key, lang) if key in _LABELS else kind


def _by_person(document: PlanDocument, items: pd.DataFrame) -> pd.DataFrame:
    """b. the target PNS: everyone the plan develops, with their JP and budget."""
    grouped = items.groupby("nip", sort=False)
    table = pd.DataFrame(
        {
            "b_nip": grouped.size().index.astype(str),
            "b_unit": grouped["unit"].first().to_numpy(),
            "n_trainings": grouped.size().to_numpy(),
            "jp_planned": grouped["hours_jp"].sum().to_numpy(dtype=float),
            "g_budget": grouped["cost_idr"].sum().to_numpy(dtype=float),
            "gain": grouped["gain"].sum().to_numpy(dtype=float),
            "gain_lower": gain_intervals(items, "nip")[0].reindex(grouped.size().index).to_numpy(),
            "gain_upper": gain_intervals(items, "nip")[1].reindex(grouped.size().index).to_numpy(),
        }
    )
    people = document.plan.people
    completed = pd.Series(
        people["jp_completed"].to_numpy(dtype=float), index=people["nip"].astype(str)
    )
    table.insert(3, "jp_completed", table["b_nip"].map(completed).to_numpy(dtype=float))
    table.insert(5, "jp_after", table["jp_completed"] + table["jp_planned"])
    return table


def _sums(items: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per ``keys``: trainings, participants, JP and budget."""
    if items.empty:
        return pd.DataFrame(columns=[*keys, "n_trainings", "seats", "jp_total", "g_budget"])
    grouped = items.groupby(keys, sort=True)
    return pd.DataFrame(
        {
            "n_trainings": grouped["training_id"].nunique(),
            "seats": grouped.size(),
            "jp_total": grouped["hours_jp"].sum().astype(float),
            "g_budget": grouped["cost_idr"].sum().astype(float),
        }
    ).reset_index()


def _by_path(items: pd.DataFrame, lang: str) -> pd.DataFrame:
    """c. per jenis, jalur and bentuk."""
    return _totals(_sums(items, ["c_kind", "c_path", "c_form"]), "c_kind", lang)


def _by_provider(items: pd.DataFrame, lang: str) -> pd.DataFrame:
    """d. per penyelenggara."""
    table = _sums(items, ["provider"]).rename(columns={"provider": "d_provider"})
    return _totals(table, "d_provider", lang)


def _by_quarter(items: pd.DataFrame, lang: str) -> pd.DataFrame:
    """e. per training, its participants in each quarter."""
    quarters = [f"e_q{q}" for q in range(1, QUARTERS + 1)]
    if items.empty:
        table = pd.DataFrame(columns=["training_id", "title", "c_form", *quarters, "seats"])
        return _totals(table, "training_id", lang)
    counts = pd.crosstab(items["training_id"], items["quarter"])
    counts = counts.reindex(columns=range(1, QUARTERS + 1), fill_value=0)
    counts.columns = pd.Index(quarters)
    first = items.groupby("training_id")[["title", "c_form"]].first()
    table = first.join(counts).reset_index()
    table["seats"] = table[quarters].sum(axis=1)
    return _totals(table, "training_id", lang)


def _curricula(document: PlanDocument, items: pd.DataFrame, lang: str) -> pd.DataFrame:
    """f. per training in the plan: what it develops, up to which level."""
    developed = _developed_text(document, lang)
    first = items.groupby("training_id", sort=True)[["title", "provider", "f_curriculum"]].first()
    return pd.DataFrame(
        {
            "training_id": first.index.astype(str),
            "title": first["title"].to_numpy(),
            "d_provider": first["provider"].to_numpy(),
            "developed": [developed.get(t, "") for t in first.index.astype(str)],
            "f_curriculum": first["f_curriculum"].to_numpy(),
        }
    )


def _budget(items: pd.DataFrame, lang: str) -> pd.DataFrame:
    """g. the budget per unit kerja and quarter, with totals."""
    quarters = [f"g_q{q}" for q in range(1, QUARTERS + 1)]
    if items.empty:
        table = pd.DataFrame(columns=["unit", *quarters, "g_budget"])
    else:
        table = items.pivot_table(
            index="unit", columns="quarter", values="cost_idr", aggfunc="sum", fill_value=0.0
        )
        table = table.reindex(columns=range(1, QUARTERS + 1), fill_value=0.0).astype(float)
        table.columns = pd.Index(quarters)
        table["g_budget"] = table.sum(axis=1)
        table = table.rename_axis(index="unit").reset_index()
    return _totals(table, "unit", lang)


def _by_unit(document: PlanDocument, items: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Per unit kerja: staff, participants, items, JP, budget, gain and 20-JP counts."""
    people = document.plan.people
    unit_of = people["unit"].astype(str)
    below = people["shortfall"].to_numpy(dtype=float) > 1e-9
    staff = unit_of.value_counts()
    units = sorted(set(staff.index) | set(items["unit"]))
    grouped = items.groupby("unit")
    low, high = gain_intervals(items, "unit")
    table = pd.DataFrame(
        {
            "unit": units,
            "staff": staff.reindex(units, fill_value=0).to_numpy(),
            "people": grouped["nip"].nunique().reindex(units, fill_value=0).to_numpy(),
            "items": grouped.size().reindex(units, fill_value=0).to_numpy(),
            "jp_total": grouped["hours_jp"].sum().reindex(units, fill_value=0.0).to_numpy(),
            "g_budget": grouped["cost_idr"].sum().reindex(units, fill_value=0.0).to_numpy(),
            "gain": grouped["gain"].sum().reindex(units, fill_value=0.0).to_numpy(),
            "gain_lower": low.reindex(units, fill_value=0.0).to_numpy(),
            "gain_upper": high.reindex(units, fill_value=0.0).to_numpy(),
            "at_minimum": unit_of[~below].value_counts().reindex(units, fill_value=0).to_numpy(),
            "below_minimum": unit_of[below].value_counts().reindex(units, fill_value=0).to_numpy(),
        }
    )
    for column in ("jp_total", "g_budget", "gain", "gain_lower", "gain_upper"):
        table[column] = table[column].astype(float)
    return _interval_total(_totals(table, "unit", lang), document.plan)


def _by_training(document: PlanDocument, items: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Per training: participants, JP, budget, gain and the value of one more seat."""
    columns = [
        "training_id",
        "title",
        "c_form",
        "d_provider",
        "hours_jp",
        "cost_per",
        "seats",
        "jp_total",
        "g_budget",
        "gain",
        "gain_lower",
        "gain_upper",
        "seat_price",
    ]
    if items.empty:
        return _totals(pd.DataFrame(columns=columns), "training_id", lang)
    grouped = items.groupby("training_id", sort=True)
    first = grouped[["title", "c_form", "provider"]].first()
    seat_prices = document.plan.seat_prices
    seat_prices = pd.Series(
        seat_prices.to_numpy(dtype=float), index=seat_prices.index.astype(str), dtype=float
    )
    table = pd.DataFrame(
        {
            "training_id": first.index.astype(str),
            "title": first["title"].to_numpy(),
            "c_form": first["c_form"].to_numpy(),
            "d_provider": first["provider"].to_numpy(),
            "hours_jp": grouped["hours_jp"].max().to_numpy(dtype=float),
            "cost_per": grouped["cost_idr"].max().to_numpy(dtype=float),
            "seats": grouped.size().to_numpy(),
            "jp_total": grouped["hours_jp"].sum().to_numpy(dtype=float),
            "g_budget": grouped["cost_idr"].sum().to_numpy(dtype=float),
            "gain": grouped["gain"].sum().to_numpy(dtype=float),
            "gain_lower": gain_intervals(items, "training_id")[0].to_numpy(),
            "gain_upper": gain_intervals(items, "training_id")[1].to_numpy(),
            "seat_price": seat_prices.reindex(first.index.astype(str)).to_numpy(dtype=float),
        }
    )
    table = _interval_total(_totals(table, "training_id", lang), document.plan)
    # per participant and per seat do not add up
    table.loc[table.index[-1], ["hours_jp", "cost_per", "seat_price"]] = np.nan
    return table


def _compliance(document: PlanDocument, lang: str) -> pd.DataFrame:
    """Everyone still below 20 JP with the plan (Pasal 203(4)), and why."""
    people = document.plan.people
    short = people[people["shortfall"].to_numpy(dtype=float) > 0]
    reasons = short["reason"].fillna("").astype(str)
    table = pd.DataFrame(
        {
            "nip": short["nip"].astype(str).to_numpy(),
            "unit": short["unit"].astype(str).to_numpy(),
            "jp_completed": short["jp_completed"].to_numpy(dtype=float),
            "jp_planned": short["jp_planned"].to_numpy(dtype=float),
            "jp_after": (short["jp_completed"] + short["jp_planned"]).to_numpy(dtype=float),
            "shortfall": short["shortfall"].to_numpy(dtype=float),
            "reason": [_label(f"reason.{r}", lang) if r else "" for r in reasons],
            "reason_note": [_label(f"reason_note.{r}", lang) if r else "" for r in reasons],
        }
    )
    order = table.sort_values(["unit", "shortfall", "nip"], ascending=[True, False, True])
    return order.reset_index(drop=True)


def _method(method: str, lang: str) -> str:
    key = f"method.{method}"
    return _label(key, lang) if key in _LABELS else method


def _cover(document: PlanDocument, items: pd.DataFrame, lang: str) -> _Sheet:
    """Ringkasan: the plan in figures, the baselines beside it, and where each Pasal 207(3)
    item stands. Each row: label, value, interval (gains only), note and kind of value."""
    rows: list[tuple[str, object, float, float, str]] = []
    kinds: list[str] = []

    def add(
        key: str,
        value: object,
        kind: str,
        *,
        interval: tuple[float, float] | None = None,
        note: str = "",
        **values: object,
    ) -> None:
        low, high = interval or (float("nan"), float("nan"))
        rows.append((_label(key, lang, **values), value, low, high, note))
        kinds.append(kind)

    plan = document.plan
    below = int((plan.people["shortfall"].to_numpy(dtype=float) > 0).sum())
    add("cover.basis", _label("cover.basis_value", lang), "text")
    add("cover.agency", document.agency, "text")
    add("cover.year", int(document.year), "text")
    add("cover.budget", float(document.budget_idr), "idr")
    add("cover.cost", plan.cost, "idr")
    add("cover.left", float(document.budget_idr) - plan.cost, "idr")
    add("cover.staff", len(plan.people), "count")
    add("cover.people", int(items["nip"].nunique()), "count")
    add("cover.items", len(items), "count")
    add("cover.jp", float(items["hours_jp"].sum()), "jp")
    add(
        "cover.gain",
        plan.total_gain,
        "gain",
        interval=plan.gain_interval,
        note=_label("cover.gain_note", lang),
    )
    add("cover.share", plan.share_at_minimum, "pct")
    add(
        "cover.below",
        below,
        "count",
        note=_label("cover.below_note", lang, sheet=_label("sheet.compliance", lang)),
    )
    add("cover.objective", plan.objective, "gain", note=_label("cover.objective_note", lang))
    add("cover.bound", plan.bound, "gain", note=_label("cover.bound_note", lang))
    add("cover.gap", plan.gap, "pct")
    add("cover.method", _method(plan.method, lang), "text")
    add("cover.seconds", plan.seconds, "gain")
    add("cover.budget_price", plan.budget_price, "gain")
    add(
        "cover.seat_prices",
        len(plan.seat_prices),
        "count",
        note=_label("cover.seat_note", lang, sheet=_label("sheet.trainings", lang)),
    )
    for names, baseline in baseline_groups(document.baselines):
        name = " = ".join(names)
        add(
            "cover.baseline_gain",
            baseline.total_gain,
            "gain",
            interval=baseline.gain_interval,
            note=_method(baseline.method, lang),
            name=name,
        )
        add("cover.baseline_cost", baseline.cost, "idr", name=name)
        add("cover.baseline_share", baseline.share_at_minimum, "pct", name=name)
    plan_columns = _plan_sheet(items.head(0)).columns
    for letter in PASAL_207_ITEMS:
        columns = [_label(f"col.{c}", lang) for c in plan_columns if c.startswith(f"{letter}_")]
        where = _label(
            "cover.item_where",
            lang,
            columns=", ".join(f"'{c}'" for c in columns),
            plan=_label("sheet.plan", lang),
            sheet=_label(f"sheet.{letter}", lang),
        )
        add(f"cover.item_{letter}", where, "text")
    frame = pd.DataFrame(rows, columns=["item", "value", "lower", "upper", "note"])
    return _Sheet("cover", frame, row_kinds=kinds)


# ----------------------------------------------------------------------------- writing


def _write_csv(sheet: _Sheet, path: Path, lang: str) -> None:
    """The item table as CSV, as the command line's other exports are written: UTF-8,
    identifiers as text, fractions to three decimals, whole rupiah and JP as integers."""
    frame = sheet.frame.copy()
    for column in frame.columns:
        if column in _TEXT_COLUMNS:
            frame[column] = frame[column].astype(str)
        elif _KINDS.get(column) in ("idr", "jp", "count") and _whole(frame[column]):
            frame[column] = frame[column].round().astype("Int64")
    _headed(frame, lang).to_csv(path, index=False, float_format="%.3f")


def _whole(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    return bool(np.all(np.abs(numbers - np.round(numbers)) < 1e-6))


def _write_xlsx(sheets: list[_Sheet], path: Path, lang: str) -> None:
    """Every sheet: bold header, frozen header row, filters, number formats (Rupiah
    ``#,##0``, gains ``0.00``, shares as percentages) and widths fitted to the text."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for sheet in sheets:
            name = _label(f"sheet.{sheet.key}", lang)
            frame = sheet.frame.assign(
                **{c: sheet.frame[c].astype(str) for c in _TEXT_COLUMNS if c in sheet.frame}
            )
            _headed(frame, lang).to_excel(writer, sheet_name=name, index=False)
            ws = writer.sheets[name]
            ws.freeze_panes = "A2"
            if sheet.row_kinds is None and len(frame):
                ws.auto_filter.ref = ws.dimensions
            for j, column in enumerate(frame.columns, start=1):
                ws.cell(row=1, column=j).font = Font(bold=True)
                kinds = _column_kinds(sheet, column, len(frame))
                for i, kind in enumerate(kinds, start=2):
                    if kind in _FORMATS:
                        ws.cell(row=i, column=j).number_format = _FORMATS[kind]
                letter = ws.cell(row=1, column=j).column_letter
                ws.column_dimensions[letter].width = _width(
                    _label(f"col.{column}", lang), frame[column]
                )


def _column_kinds(sheet: _Sheet, column: str, rows: int) -> list[str]:
    """The kind of each cell of ``column``: the column's, or on the cover the row's."""
    if sheet.row_kinds is not None and column in ("value", "lower", "upper"):
        return sheet.row_kinds
    return [_KINDS.get(column, "")] * rows


def _width(header: str, values: pd.Series) -> float:
    """A column wide enough for its header and (a sample of) its values, within reason."""
    sample = values.head(500)
    longest = max([len(header), *(len(_shown(v)) for v in sample)])
    return float(min(_MAX_WIDTH, max(8, longest + 2)))


def _shown(value: object) -> str:
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else f"{value:,.2f}"
    return str(value)
