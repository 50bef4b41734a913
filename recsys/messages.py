"""User-facing text of the command line, in Bahasa Indonesia (default) and English.

Keys are stable identifiers; values are ``str.format`` templates. A missing translation
falls back to English, so a new message is never lost, only untranslated.
"""

from __future__ import annotations

from recsys.settings import Language

_MESSAGES: dict[str, dict[str, str]] = {
    "error": {"id": "Galat", "en": "Error"},
    "simulating": {"id": "Membuat data demo", "en": "Making the demo world"},
    "stage.history": {"id": "riwayat", "en": "history"},
    "stage.ground truth": {"id": "kebenaran dasar", "en": "ground truth"},
    "stage.catalog": {"id": "katalog", "en": "catalog"},
    "simulated": {
        "id": "Data demo {employees:,} pegawai ditulis ke {out} dalam {seconds:.1f} detik.",
        "en": "Demo world of {employees:,} employees written to {out} in {seconds:.1f} s.",
    },
    "truth_note": {
        "id": "Kebenaran dasar (hanya untuk evaluasi): {path}",
        "en": "Ground truth (evaluation only): {path}",
    },
    "loading": {"id": "Memuat dan memeriksa data", "en": "Loading and checking the data"},
    "report.title": {
        "id": "Laporan pemuatan data: {source}",
        "en": "Load report: {source}",
    },
    "col.table": {"id": "Tabel", "en": "Table"},
    "col.read": {"id": "Dibaca", "en": "Read"},
    "col.loaded": {"id": "Dimuat", "en": "Loaded"},
    "col.quarantined": {"id": "Karantina", "en": "Quarantined"},
    "col.reasons": {"id": "Alasan karantina", "en": "Quarantine reasons"},
    "col.rows": {"id": "Baris", "en": "Rows"},
    "report.written": {
        "id": "Laporan dan berkas karantina: {path}",
        "en": "Report and quarantine files: {path}",
    },
    "report.clean": {
        "id": "Semua baris lolos pemeriksaan.",
        "en": "Every row passed the checks.",
    },
    "report.some_quarantined": {
        "id": "{count:,} baris dikarantina (tidak dimuat); lihat alasannya di berkas karantina.",
        "en": "{count:,} rows quarantined (not loaded); see the reasons in the quarantine files.",
    },
    "warning": {"id": "Peringatan", "en": "Warning"},
    "demo.title": {"id": "ASN Recsys — demo", "en": "ASN Recsys — demo"},
    "demo.where": {"id": "Lokasi", "en": "Where things are"},
    "demo.data": {"id": "Data demo", "en": "Demo data"},
    "demo.truth": {"id": "Kebenaran dasar", "en": "Ground truth"},
    "demo.report": {"id": "Laporan pemuatan", "en": "Load report"},
    "demo.contract": {"id": "Kontrak data", "en": "Data contract"},
    "demo.next": {"id": "Langkah berikutnya", "en": "Next steps"},
    "demo.refuse": {
        "id": "{path} berisi data yang bukan data demo; pilih folder lain (RECSYS_DEMO_DIR).",
        "en": "{path} holds data that is not a demo world; choose another folder "
        "(RECSYS_DEMO_DIR).",
    },
    "contract.written": {
        "id": "Dokumentasi kontrak data ditulis ke {path}",
        "en": "Data contract documentation written to {path}",
    },
}


def t(key: str, lang: Language, **values: object) -> str:
    """The message ``key`` in ``lang``, filled with ``values``."""
    entry = _MESSAGES[key]
    template = entry.get(lang) or entry["en"]
    return template.format(**values)
