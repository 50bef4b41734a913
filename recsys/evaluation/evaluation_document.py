"""The program evaluation as a workbook for the agency's leadership and its Inspektorat.

Sheets (names and headers in Bahasa Indonesia by default, English on request):

* **Ringkasan**: the year, how many trainings work, are unclear, do not work or had too
  few participants to say, enrolments and dropout, the unit service effect, and how to read
  the verdicts;
* **Per Pelatihan**: the four Kirkpatrick levels per training, with the SKP effect's
  interval, cost per SKP point and verdict;
* **Per Penyelenggara**: the same per provider;
* **Putus Pelatihan**: dropout by modality and remote area (3T);
* **Layanan Unit**: each unit's effect of the year's training on its satisfaction index and
  service days, and whether it served better than expected; **Koefisien Layanan**: the
  panel's slopes;
* **Tinjau Ulang**: the trainings that do not work, to reconsider in the next plan;
* **Metode**: how every figure was estimated.

No NIP, name or score of a person enters the workbook: every row is a training, a provider,
a group or a unit.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from openpyxl.styles import Font

from recsys.evaluation.verdicts import VERDICTS, verdict_text
from recsys.settings import LANGUAGES

if TYPE_CHECKING:
    from recsys.evaluation.kirkpatrick import ProgramEvaluation

SUFFIXES = (".xlsx",)

_SHEETS = {
    "summary": {"id": "Ringkasan", "en": "Summary"},
    "trainings": {"id": "Per Pelatihan", "en": "By training"},
    "providers": {"id": "Per Penyelenggara", "en": "By provider"},
    "dropout": {"id": "Putus Pelatihan", "en": "Dropout"},
    "units": {"id": "Layanan Unit", "en": "Unit service"},
    "coefficients": {"id": "Koefisien Layanan", "en": "Service slopes"},
    "flagged": {"id": "Tinjau Ulang", "en": "To reconsider"},
    "method": {"id": "Metode", "en": "Method"},
}
_COLUMNS = {
    "training_id": {"id": "ID Pelatihan", "en": "Training ID"},
    "title": {"id": "Judul", "en": "Title"},
    "provider": {"id": "Penyelenggara", "en": "Provider"},
    "modality": {"id": "Modalitas", "en": "Modality"},
    "hours_jp": {"id": "JP", "en": "JP"},
    "cost_idr": {"id": "Biaya per Peserta (Rp)", "en": "Cost per participant (IDR)"},
    "trainings": {"id": "Jumlah Pelatihan", "en": "Trainings"},
    "enrolled": {"id": "Peserta Terdaftar", "en": "Enrolled"},
    "completed": {"id": "Lulus", "en": "Completed"},
    "dropped": {"id": "Putus", "en": "Dropped"},
    "dropout_rate": {"id": "Tingkat Putus", "en": "Dropout rate"},
    "remote_area": {"id": "Daerah 3T", "en": "Remote area (3T)"},
    "reaction_mean": {"id": "L1 Reaksi (1–5)", "en": "L1 Reaction (1–5)"},
    "reaction_n": {"id": "L1 Responden", "en": "L1 Respondents"},
    "learning_gain": {"id": "L2 Pembelajaran (post − pre)", "en": "L2 Learning (post − pre)"},
    "learning_lower": {"id": "L2 Batas Bawah", "en": "L2 Lower"},
    "learning_upper": {"id": "L2 Batas Atas", "en": "L2 Upper"},
    "learning_n": {"id": "L2 Diuji", "en": "L2 Tested"},
    "behavior_mean": {"id": "L3 Perilaku (1–5)", "en": "L3 Behaviour (1–5)"},
    "behavior_n": {"id": "L3 Dinilai Atasan", "en": "L3 Rated by supervisor"},
    "participants": {"id": "L4 Peserta dengan Hasil SKP", "en": "L4 Participants with outcome"},
    "effect": {"id": "L4 Dampak SKP (poin)", "en": "L4 SKP effect (points)"},
    "effect_lower": {"id": "L4 Batas Bawah", "en": "L4 Lower"},
    "effect_upper": {"id": "L4 Batas Atas", "en": "L4 Upper"},
    "std_error": {"id": "L4 Galat Baku", "en": "L4 Standard error"},
    "cost_per_point": {"id": "Biaya per Poin SKP (Rp)", "en": "Cost per SKP point (IDR)"},
    "verdict": {"id": "Kesimpulan", "en": "Verdict"},
    "unit": {"id": "Unit Kerja", "en": "Work unit"},
    "staff": {"id": "Pegawai", "en": "Staff"},
    "trained_share": {"id": "Porsi Pegawai Dilatih", "en": "Share of staff trained"},
    "satisfaction_index": {"id": "IKM", "en": "Satisfaction index"},
    "satisfaction_effect": {"id": "Dampak pada IKM (poin)", "en": "Effect on IKM (points)"},
    "satisfaction_lower": {"id": "IKM Batas Bawah", "en": "IKM lower"},
    "satisfaction_upper": {"id": "IKM Batas Atas", "en": "IKM upper"},
    "satisfaction_surprise": {"id": "IKM di Atas Harapan (z)", "en": "IKM above expected (z)"},
    "avg_service_days": {"id": "Rata-rata Hari Layanan", "en": "Average service days"},
    "service_days_effect": {"id": "Dampak pada Hari Layanan", "en": "Effect on service days"},
    "service_days_lower": {"id": "Hari Layanan Batas Bawah", "en": "Service days lower"},
    "service_days_upper": {"id": "Hari Layanan Batas Atas", "en": "Service days upper"},
    "service_days_surprise": {
        "id": "Layanan Lebih Cepat dari Harapan (z)",
        "en": "Faster than expected (z)",
    },
    "better_than_expected": {"id": "Melampaui Harapan", "en": "Better than expected"},
    "outcome": {"id": "Ukuran", "en": "Outcome"},
    "term": {"id": "Faktor", "en": "Term"},
    "estimate": {"id": "Perkiraan", "en": "Estimate"},
    "lower_90": {"id": "Batas Bawah 90%", "en": "Lower 90%"},
    "upper_90": {"id": "Batas Atas 90%", "en": "Upper 90%"},
    "meaning": {"id": "Arti", "en": "Meaning"},
    "item": {"id": "Butir", "en": "Item"},
    "value": {"id": "Nilai", "en": "Value"},
    "text": {"id": "Keterangan", "en": "Explanation"},
}
_FORMATS = {
    "cost_idr": "#,##0",
    "cost_per_point": "#,##0",
    "dropout_rate": "0.0%",
    "trained_share": "0.0%",
}
_TEXT = {
    "year": {"id": "Tahun pelatihan yang dievaluasi", "en": "Training year evaluated"},
    "trainings": {"id": "Pelatihan dengan peserta", "en": "Trainings with participants"},
    "enrolled": {"id": "Peserta terdaftar", "en": "Enrolments"},
    "dropout": {"id": "Tingkat putus pelatihan", "en": "Dropout rate"},
    "verdict": {"id": "Pelatihan: {verdict}", "en": "Trainings: {verdict}"},
    "min_effect": {
        "id": "Dampak terkecil yang layak dibiayai (poin SKP)",
        "en": "Smallest effect worth funding (SKP points)",
    },
    "level": {"id": "Tingkat keyakinan selang", "en": "Interval level"},
    "min_participants": {
        "id": "Peserta minimal untuk menilai dampak",
        "en": "Fewest participants to judge an effect",
    },
    "units_better": {
        "id": "Unit kerja dengan layanan melampaui harapan",
        "en": "Units serving better than expected",
    },
    "unit_effect": {
        "id": "Dampak melatih seluruh pegawai unit pada IKM (poin, selang 90%)",
        "en": "Effect on IKM of training a unit's whole staff (points, 90% interval)",
    },
    "no_units": {
        "id": "Layanan unit tidak dievaluasi: {why}",
        "en": "Unit service not evaluated: {why}",
    },
}
_METHOD = {
    "id": [
        "L1 Reaksi: rata-rata survei peserta (1–5). L2 Pembelajaran: rata-rata nilai post-test "
        "dikurangi pre-test peserta yang lulus dan diuji dua kali, dengan selang keyakinan. "
        "L3 Perilaku: rata-rata penilaian atasan setelah pelatihan (1–5).",
        "L4 Hasil: dampak menyelesaikan pelatihan pada nilai SKP pesertanya sendiri. Perubahan "
        "SKP peserta (penilaian terakhir sebelum pelatihan sampai penilaian pertama minimal "
        "enam bulan sesudahnya) dibandingkan dengan perubahan yang diperkirakan tanpa kegiatan "
        "apa pun, dipelajari dari pegawai yang tidak mengikuti pengembangan pada periode yang "
        "sama, lalu dikoreksi dengan perubahan rekan satu unit (selisih-dalam-selisih). Siapa "
        "yang dikirim ke pelatihan sudah diperhitungkan.",
        "Kesimpulan: 'berhasil' bila seluruh selang di atas nol; 'tidak berhasil' bila seluruh "
        "selang di bawah dampak terkecil yang layak dibiayai; 'belum jelas' bila selang "
        "mencakup nol; 'peserta terlalu sedikit' bila peserta dengan hasil SKP kurang dari "
        "batas minimal (tanpa angka dampak).",
        "Layanan unit: panel unit kerja × tahun dengan efek tetap unit dan tahun; dampak "
        "pelatihan = kemiringan porsi pegawai dilatih × porsi unit tersebut. 'Melampaui "
        "harapan': IKM naik (atau hari layanan turun) lebih dari 1,645 simpangan baku di atas "
        "perkiraan model.",
    ],
    "en": [
        "L1 Reaction: participants' mean survey score (1–5). L2 Learning: mean post-test minus "
        "pre-test score of completers tested twice, with its interval. L3 Behaviour: the "
        "supervisor's mean post-training score (1–5).",
        "L4 Results: the effect of completing the training on its own participants' SKP score. "
        "Their SKP change (last appraisal before the training to the first at least six months "
        "after) is set against the change expected without any activity, learned from staff "
        "with no development in the same period, and corrected by their unit colleagues' "
        "change (difference in differences). Who was sent is accounted for.",
        "Verdicts: 'works' when the whole interval is above zero; 'does not work' when the "
        "whole interval is below the smallest effect worth funding; 'unclear' when it spans "
        "zero; 'too few participants' below the minimum (no effect figure is given).",
        "Unit service: a panel of units × years with unit and year effects; a unit's effect "
        "of training = the trained-share slope × the share it trained. 'Better than "
        "expected': satisfaction rose (or service days fell) by more than 1.645 residual "
        "standard deviations beyond the model's expectation.",
    ],
}


def evaluation_tables(evaluation: ProgramEvaluation, lang: str = "id") -> dict[str, pd.DataFrame]:
    """The workbook's sheets in order: sheet name → table with headers in ``lang``."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    trainings = _verdicts(evaluation.trainings, lang)
    sheets: dict[str, pd.DataFrame] = {
        "summary": _summary(evaluation, lang),
        "trainings": trainings,
        "providers": _verdicts(evaluation.providers, lang),
        "dropout": evaluation.dropout,
    }
    if evaluation.units is not None:
        sheets["units"] = evaluation.units.units
        sheets["coefficients"] = evaluation.units.coefficients
    flagged = trainings[evaluation.trainings["verdict"] == "does_not_work"]
    sheets["flagged"] = flagged[
        [
            "training_id",
            "title",
            "provider",
            "participants",
            "effect",
            "effect_lower",
            "effect_upper",
        ]
    ]
    sheets["method"] = pd.DataFrame({"text": _METHOD[lang]})
    return {
        _SHEETS[key][lang]: frame.rename(columns={c: _header(c, lang) for c in frame.columns})
        for key, frame in sheets.items()
    }


def write_evaluation(evaluation: ProgramEvaluation, path: Path | str, lang: str = "id") -> Path:
    """Write the workbook to ``path`` (``.xlsx``; another suffix is a ValueError raised
    before anything is written)."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES:
        raise ValueError(
            f"cannot write the evaluation as {path.suffix or 'a file without a suffix'!r} "
            f"({path}); use .xlsx"
        )
    tables = evaluation_tables(evaluation, lang)
    formats = {_header(c, lang): f for c, f in _FORMATS.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            ws = writer.sheets[name]
            ws.freeze_panes = "A2"
            for j, column in enumerate(frame.columns, start=1):
                ws.cell(row=1, column=j).font = Font(bold=True)
                fmt = formats.get(str(column))
                if fmt is None and pd.api.types.is_float_dtype(frame[column]):
                    fmt = "0.00"
                if fmt is not None:
                    for i in range(2, len(frame) + 2):
                        ws.cell(row=i, column=j).number_format = fmt
                width = max([len(str(column)), *(len(str(v)) for v in frame[column].head(200))])
                ws.column_dimensions[ws.cell(row=1, column=j).column_letter].width = min(
                    90 if name == _SHEETS["method"][lang] else 50, max(8, width + 2)
                )
    return path


def read_flagged(path: Path | str) -> list[str]:
    """The trainings an evaluation workbook (:func:`write_evaluation`, either language)
    lists as not working. A file that is not such a workbook is a ValueError naming it."""
    from openpyxl import load_workbook

    path = Path(path)
    try:
        book = load_workbook(path, read_only=True)
    except Exception as exc:  # any unreadable file is the same user error
        raise ValueError(f"{path}: not a readable .xlsx workbook ({exc})") from exc
    names = [_SHEETS["flagged"][lang] for lang in LANGUAGES]
    sheet = next((book[n] for n in names if n in book.sheetnames), None)
    if sheet is None:
        raise ValueError(
            f"{path}: not a program evaluation workbook (no sheet {' or '.join(names)}; "
            "write one with `recsys evaluate-program`)"
        )
    rows = list(sheet.values)
    headers = {_COLUMNS["training_id"][lang] for lang in LANGUAGES}
    if not rows or rows[0][0] not in headers:
        raise ValueError(f"{path}: sheet {sheet.title!r} has no training id column")
    return [str(r[0]) for r in rows[1:] if r and r[0] not in (None, "")]


def _header(column: str, lang: str) -> str:
    return _COLUMNS[column][lang] if column in _COLUMNS else column


def _verdicts(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return frame.assign(verdict=frame["verdict"].map(lambda v: verdict_text(str(v), lang)))


def _summary(evaluation: ProgramEvaluation, lang: str) -> pd.DataFrame:
    s = evaluation.summary()
    rows: list[tuple[str, object]] = [
        (_TEXT["year"][lang], evaluation.year),
        (_TEXT["trainings"][lang], int(s["trainings"])),
        (_TEXT["enrolled"][lang], int(s["enrolled"])),
        (
            _TEXT["dropout"][lang],
            f"{s['dropout_rate']:.1%}" if np.isfinite(s["dropout_rate"]) else "—",
        ),
    ]
    for verdict in VERDICTS:
        rows.append(
            (
                _TEXT["verdict"][lang].format(verdict=verdict_text(verdict, lang)),
                int(s[f"trainings_{verdict}"]),
            )
        )
    rows += [
        (_TEXT["min_effect"][lang], evaluation.min_effect),
        (_TEXT["min_participants"][lang], evaluation.min_participants),
        (_TEXT["level"][lang], f"{1 - evaluation.alpha:.0%}"),
    ]
    if evaluation.units is not None:
        coef = evaluation.units.coefficients
        row = coef[(coef["outcome"] == "satisfaction_index") & (coef["term"] == "trained_share")]
        if len(row):
            r = row.iloc[0]
            rows.append(
                (
                    _TEXT["unit_effect"][lang],
                    f"{r['estimate']:+.2f} ({r['lower_90']:+.2f} … {r['upper_90']:+.2f})",
                )
            )
        rows.append(
            (_TEXT["units_better"][lang], int(evaluation.units.units["better_than_expected"].sum()))
        )
    else:
        rows.append((_TEXT["no_units"][lang].format(why=evaluation.unit_note), ""))
    return pd.DataFrame(rows, columns=["item", "value"]).astype({"value": str})
