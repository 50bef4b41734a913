"""A fix guide for an HR data team: what to correct in their files, table by table.

:func:`fix_guide` turns a load's findings (a :class:`~recsys.data.report.LoadReport`, or
the :class:`~recsys.data.sources.DataContractError` that stopped the load) into a short
Markdown document written for people who prepare the data in Excel from SIASN or
e-Kinerja exports, with no programmer at hand:

1. a fatal error first: the file and column, and what to do about it;
2. per table with quarantined rows, per kind of problem: how many rows, up to three
   example rows (their ``source_row``), and concrete advice;
3. what the loader recognised and converted by itself (nothing to do);
4. the warnings.

Bahasa Indonesia by default, English on request. Advice is chosen from the canonical
reason keys (:attr:`~recsys.data.report.TableReport.reasons`) through
:mod:`recsys.data.messages`, never from translated text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from recsys.data import contract
from recsys.data.messages import (
    ReasonPart,
    detected_text,
    error_text,
    notable,
    parse_reason,
    reason_kind,
    reason_text,
    warning_text,
)
from recsys.data.report import QUARANTINE_DIR, LoadReport, TableReport
from recsys.data.sources import REASON, SOURCE_ROW
from recsys.settings import Language

#: Example rows shown per kind of problem.
MAX_EXAMPLES = 3
#: Where the column mapping file and the contract are explained.
FORMATS_DOC = "docs/data-formats.md"
CONTRACT_DOC = "docs/data-contract.md"

_CASCADE = "(quarantined in "
_NOUNS = ("employee", "training", "competency")

# --- texts ---------------------------------------------------------------------------------

_T: dict[str, dict[str, str]] = {
    "title": {"id": "Panduan perbaikan data", "en": "Data fix guide"},
    "source": {"id": "Sumber data: {source}", "en": "Data: {source}"},
    "nothing": {
        "id": "Tidak ada laporan pemuatan: jalankan pemeriksaan data dulu (`recsys validate`).",
        "en": "No load report: check the data first (`recsys validate`).",
    },
    "fatal_head": {
        "id": "Data belum bisa dimuat: perbaiki ini lebih dulu",
        "en": "The data cannot be loaded: fix this first",
    },
    "fatal_file": {"id": "Berkas", "en": "File"},
    "fatal_column": {"id": "Kolom", "en": "Column"},
    "fatal_intro": {
        "id": "Tidak ada baris yang diperiksa, karena pemuatan berhenti pada masalah ini:",
        "en": "No rows were checked, because loading stopped at this problem:",
    },
    "fatal_after": {
        "id": "Setelah diperbaiki, jalankan pemeriksaan lagi (`recsys validate`): masalah "
        "pada baris-baris data baru terlihat setelah berkasnya dapat dibaca.",
        "en": "Once it is fixed, check the data again (`recsys validate`): problems in "
        "single rows show once the file can be read.",
    },
    "summary_head": {"id": "Ringkasan", "en": "Summary"},
    "summary": {
        "id": "{loaded} dari {read} baris dimuat; {quarantined} baris dikarantina (tidak "
        "dimuat) di {tables} tabel.",
        "en": "{loaded} of {read} rows loaded; {quarantined} rows quarantined (not loaded) "
        "in {tables} tables.",
    },
    "summary_files": {
        "id": "Baris yang dikarantina ada di `{dir}/<tabel>.csv` di folder laporan ini, "
        "apa adanya, dengan alasannya di kolom `reason`. `source_row` adalah nomor baris data di "
        "berkas sumber tanpa baris judul: di Excel, baris itu ada di baris ke-(source_row + 1).",
        "en": "Quarantined rows are in `{dir}/<table>.csv` beside this report, as sent, with "
        "their reason in the `reason` column. `source_row` is the data row's number in the "
        "source file, header excluded: in Excel it is on row source_row + 1.",
    },
    "summary_fix": {
        "id": "Perbaiki baris-baris itu di berkas sumber (bukan di berkas karantina), lalu "
        "muat ulang: baris yang sudah benar akan ikut dimuat. Tabel di bawah diurutkan "
        "seperti urutan pemuatan: perbaiki dari atas, karena baris yang merujuk baris "
        "dikarantina di tabel sebelumnya ikut dikarantina.",
        "en": "Fix those rows in the source file (not in the quarantine file), then load "
        "again: corrected rows are loaded. Tables below are in loading order: fix from the "
        "top, since rows referring to a row quarantined in an earlier table are quarantined "
        "with it.",
    },
    "clean": {
        "id": "Semua {read} baris lolos pemeriksaan: tidak ada yang perlu diperbaiki.",
        "en": "All {read} rows passed the checks: nothing needs fixing.",
    },
    "table_head": {
        "id": "Tabel `{name}`: {quarantined} dari {read} baris dikarantina",
        "en": "Table `{name}`: {quarantined} of {read} rows quarantined",
    },
    "table_files": {
        "id": "Berkas: {file} · baris yang dikarantina: `{dir}/{name}.csv`",
        "en": "File: {file} · quarantined rows: `{dir}/{name}.csv`",
    },
    "rows": {"id": "baris", "en": "rows"},
    "row": {"id": "baris", "en": "row"},
    "examples": {"id": "contoh baris sumber", "en": "e.g. source rows"},
    "cascade": {
        "id": "{count} di antaranya merujuk baris yang dikarantina di tabel {table}: "
        "perbaiki baris itu di sana lebih dulu, baris ini ikut dimuat.",
        "en": "{count} of them refer to rows quarantined in {table}: fix those rows there "
        "first, and these load with them.",
    },
    "detected_head": {
        "id": "Yang dikenali dan dikonversi otomatis",
        "en": "Recognised and converted automatically",
    },
    "detected_intro": {
        "id": "Sekadar informasi, tidak perlu diperbaiki:",
        "en": "For information; nothing to fix:",
    },
    "warnings_head": {"id": "Peringatan", "en": "Warnings"},
    "warnings_intro": {
        "id": "Tidak menghentikan pemuatan, tetapi perlu diperiksa:",
        "en": "They did not stop the load, but are worth a look:",
    },
}

#: Headings per kind of problem (see :func:`_group`).
_KIND_TITLES: dict[str, dict[str, str]] = {
    "bad_line": {
        "id": "Jumlah kolom per baris salah (pemisah atau tanda kutip)",
        "en": "Wrong number of fields (separator or quotes)",
    },
    "missing": {"id": "Sel wajib yang kosong", "en": "Required cells left empty"},
    "category": {"id": "Nilai di luar daftar yang diizinkan", "en": "Values not in the list"},
    "number": {"id": "Bukan angka", "en": "Not a number"},
    "integer": {"id": "Bukan bilangan bulat", "en": "Not a whole number"},
    "boolean": {"id": "Bukan true/false", "en": "Not true/false"},
    "date": {"id": "Tanggal tidak terbaca", "en": "Dates that cannot be read"},
    "date_range": {"id": "Tahun yang tidak masuk akal", "en": "Impossible years"},
    "nip_digits": {"id": "NIP bukan 18 digit", "en": "NIP not 18 digits"},
    "pattern": {"id": "Format nilai salah", "en": "Values in the wrong format"},
    "duplicate": {"id": "Duplikat", "en": "Duplicates"},
    "nip_consistency": {
        "id": "NIP tidak cocok dengan tanggal lahir, TMT atau jenis kelamin",
        "en": "NIP inconsistent with birth date, TMT or gender",
    },
    "hire_age": {"id": "TMT CPNS sebelum usia 18 tahun", "en": "TMT CPNS before age 18"},
    "own_reference": {
        "id": "Pegawai menjadi atasannya sendiri",
        "en": "Employees who are their own supervisor",
    },
    "same_as": {"id": "Mentor dan mentee orang yang sama", "en": "Mentor and mentee the same"},
    "date_order": {
        "id": "Tanggal selesai sebelum tanggal mulai",
        "en": "End date before start date",
    },
    "range": {"id": "Angka di luar rentang", "en": "Numbers out of range"},
    "unknown_employee": {
        "id": "NIP yang tidak ada di data pegawai",
        "en": "NIPs not among the employees",
    },
    "unknown_training": {"id": "Kode pelatihan tidak dikenal", "en": "Unknown training codes"},
    "unknown_competency": {
        "id": "Kode kompetensi tidak dikenal",
        "en": "Unknown competency codes",
    },
    "unknown_other": {"id": "Nilai rujukan tidak dikenal", "en": "Unknown reference values"},
    "other": {"id": "Alasan lain", "en": "Other reasons"},
}

_MAPPING_ID = f"berkas pemetaan kolom (`--columns`, lihat {FORMATS_DOC})"
_MAPPING_EN = f"a column mapping file (`--columns`, see {FORMATS_DOC})"

#: Advice per kind of problem: ``{columns}`` names the columns involved.
_ADVICE: dict[str, dict[str, str]] = {
    "bad_line": {
        "id": "Baris ini punya jumlah kolom yang berbeda dari baris judul, jadi isinya tidak "
        "dapat dibaca. Biasanya sebuah sel memuat pemisah (koma atau titik koma, mis. "
        "'Manajemen ASN, Dasar') tanpa tanda kutip, atau ada tanda kutip yang tidak ditutup. "
        "Simpan ulang dari Excel dengan File → Save As → 'CSV UTF-8 (Comma delimited)' "
        "(Excel menambahkan tanda kutip sendiri), atau beri tanda kutip ganda di sekitar "
        "nilai itu. Isi baris aslinya ada di kolom `raw_line` berkas karantina.",
        "en": "These lines have a different number of fields than the header, so they "
        "cannot be read. Usually a cell holds the separator (a comma or semicolon, e.g. "
        "'Manajemen ASN, Dasar') without quotes, or a quote is left open. Save the file "
        "again from Excel with File → Save As → 'CSV UTF-8 (Comma delimited)' (Excel adds "
        "the quotes), or put double quotes around such values. The line as it was is in "
        "the quarantine file's `raw_line` column.",
    },
    "missing": {
        "id": "Kolom {columns} wajib diisi di setiap baris. Lengkapi sel yang kosong (sel "
        "yang hanya berisi spasi juga dianggap kosong) dari SIASN, e-Kinerja atau dokumen "
        "sumbernya.",
        "en": "{columns} must be filled in on every row. Fill in the empty cells (a cell "
        "holding only spaces counts as empty) from SIASN, e-Kinerja or the source document.",
    },
    "category": {
        "id": "Hanya nilai dari daftar kontrak yang diterima; huruf besar/kecil dan spasi "
        "tidak masalah ('Sangat Baik' dibaca sangat_baik). Ganti nilai lain dengan salah "
        "satu nilai yang diizinkan. Jika ekspor SIASN/e-Kinerja memakai kata lain (mis. "
        "'Laki-laki' untuk M), berkasnya tidak perlu diubah: terjemahkan nilainya dengan "
        f"{_MAPPING_ID}.",
        "en": "Only the contract's values are accepted; case and spaces do not matter "
        "('Sangat Baik' reads sangat_baik). Replace other values by an allowed one. If the "
        "SIASN/e-Kinerja export uses other words (e.g. 'Laki-laki' for M), leave the file "
        f"as it is and translate the values with {_MAPPING_EN}.",
    },
    "number": {
        "id": "Kolom {columns} harus berisi angka: tanpa satuan, tanpa 'Rp', tanpa pemisah "
        "ribuan, dengan titik desimal (3.5). Tulisan seperti 'NA', '-' atau 'n/a' bukan "
        "angka: kosongkan selnya bila nilainya memang tidak ada (hanya di kolom yang boleh "
        "kosong). Di Excel, format kolomnya sebagai Number.",
        "en": "{columns} must hold numbers: no units, no 'Rp', no thousands separators, a "
        "decimal point (3.5). Text such as 'NA', '-' or 'n/a' is not a number: leave the "
        "cell empty if there is no value (only in columns that may be empty). In Excel, "
        "format the column as Number.",
    },
    "integer": {
        "id": "Kolom {columns} harus berisi bilangan bulat (mis. 24, bukan 24,5 atau '24 JP').",
        "en": "{columns} must hold whole numbers (e.g. 24, not 24.5 or '24 JP').",
    },
    "boolean": {
        "id": "Kolom {columns} hanya menerima true atau false. Ganti 'ya/tidak', '1/0' atau "
        f"'Y/N' dengan true/false, atau terjemahkan nilainya dengan {_MAPPING_ID}.",
        "en": "{columns} accepts only true or false. Replace 'ya/tidak', '1/0' or 'Y/N' by "
        f"true/false, or translate the values with {_MAPPING_EN}.",
    },
    "date": {
        "id": "Kolom {columns} harus berisi tanggal. Format kolom sebagai tanggal di Excel "
        "(Format Cells → Date) atau tulis YYYY-MM-DD (2023-12-31) / DD/MM/YYYY "
        "(31/12/2023), satu format per kolom: format yang dipakai sebagian besar baris "
        "dikenali otomatis, baris dengan format lain dikarantina dengan format yang "
        "diharapkan. Jangan menulis nama bulan (31 Des 2023) atau jam.",
        "en": "{columns} must hold dates. Format the column as dates in Excel (Format Cells "
        "→ Date) or write YYYY-MM-DD (2023-12-31) / DD/MM/YYYY (31/12/2023), one format per "
        "column: the format most rows use is recognised, rows in another format are "
        "quarantined with the format expected. Do not write month names (31 Dec 2023) or "
        "times.",
    },
    "date_range": {
        "id": "Tahun di kolom {columns} tidak mungkin (sebelum 1677 atau sesudah 2262): "
        "biasanya salah ketik tahun (mis. 0201 untuk 2021). Perbaiki dari dokumen sumber "
        "(SK, SIASN).",
        "en": "The years in {columns} are impossible (before 1677 or after 2262): usually a "
        "mistyped year (e.g. 0201 for 2021). Correct them from the source (SK, SIASN).",
    },
    "nip_digits": {
        "id": "NIP di kolom {columns} harus tepat 18 angka, tanpa spasi atau titik. Format "
        "kolom NIP sebagai Teks (Format Cells → Text) sebelum menempelkan data; Excel "
        "mengubah angka 18 digit menjadi 1,97702E+17 dan mengganti digit terakhirnya "
        "dengan 0. Bila sudah rusak, salin ulang NIP dari SIASN.",
        "en": "NIPs in {columns} must be exactly 18 digits, without spaces or dots. Format "
        "the NIP column as Text (Format Cells → Text) before pasting the data; Excel turns "
        "an 18-digit number into 1.97702E+17 and its last digits into 0. If they are "
        "already damaged, copy the NIPs again from SIASN.",
    },
    "pattern": {
        "id": "Nilai di kolom {columns} tidak sesuai format yang diminta kontrak "
        f"({CONTRACT_DOC}): periksa penulisannya.",
        "en": f"Values in {{columns}} do not match the contract's format ({CONTRACT_DOC}): "
        "check how they are written.",
    },
    "duplicate": {
        "id": "Nilai di kolom {columns} harus unik tetapi muncul lebih dari sekali. Baris "
        "pertama dimuat, yang berikutnya dikarantina (alasannya menyebut baris sumber yang "
        "pertama). Biasanya data tergabung dua kali: hapus baris ganda (Excel: Data → "
        "Remove Duplicates), atau perbaiki kodenya bila memang dua data berbeda.",
        "en": "{columns} must be unique but a value appears more than once. The first row "
        "is loaded, later ones are quarantined (their reason names the first row). Usually "
        "the data was pasted twice: delete the repeated rows (Excel: Data → Remove "
        "Duplicates), or fix the code if they are really different records.",
    },
    "nip_consistency": {
        "id": "NIP tersusun dari tanggal lahir (digit 1–8, YYYYMMDD), TMT CPNS (digit 9–14, "
        "YYYYMM), jenis kelamin (digit 15: 1 laki-laki, 2 perempuan) dan nomor urut (digit "
        "16–18, bukan 000). Bandingkan NIP dengan birth_date, hire_date dan gender di baris "
        "yang sama: salah satunya salah ketik, atau hari dan bulan tanggalnya tertukar. "
        "Cocokkan dengan data SIASN.",
        "en": "A NIP is made of the birth date (digits 1–8, YYYYMMDD), the TMT CPNS (digits "
        "9–14, YYYYMM), the gender (digit 15: 1 male, 2 female) and a sequence number "
        "(digits 16–18, not 000). Compare the NIP with birth_date, hire_date and gender on "
        "the same row: one of them is mistyped, or a date has day and month swapped. Check "
        "against SIASN.",
    },
    "hire_age": {
        "id": "TMT CPNS (hire_date) jatuh sebelum pegawai berusia 18 tahun menurut "
        "birth_date. Periksa kedua tanggal: tahun salah ketik, atau kolomnya tertukar.",
        "en": "The TMT CPNS (hire_date) falls before the employee's 18th birthday by "
        "birth_date. Check both dates: a mistyped year, or the columns swapped.",
    },
    "own_reference": {
        "id": "Kolom {columns} berisi NIP pegawai itu sendiri. Isi dengan NIP atasan "
        "langsungnya, atau kosongkan untuk pimpinan tertinggi.",
        "en": "{columns} holds the employee's own NIP. Put the direct supervisor's NIP "
        "there, or leave it empty for the head of the agency.",
    },
    "same_as": {
        "id": "Mentor dan mentee di baris ini orang yang sama: periksa NIP keduanya.",
        "en": "Mentor and mentee are the same person on these rows: check both NIPs.",
    },
    "date_order": {
        "id": "Tanggal selesai ({columns}) lebih awal dari tanggal mulai. Periksa apakah "
        "kedua tanggal tertukar, atau hari dan bulannya tertukar (DD/MM atau MM/DD).",
        "en": "The end date ({columns}) is before the start date. Check whether the dates "
        "are swapped, or their day and month (DD/MM or MM/DD).",
    },
    "range": {
        "id": "Nilai di kolom {columns} di luar rentang yang diizinkan. Periksa salah ketik "
        "dan skalanya (mis. nilai 0–100 di kolom berskala 1–5, atau angka negatif).",
        "en": "Values in {columns} are out of the allowed range. Check for typing mistakes "
        "and the scale (e.g. 0–100 values in a 1–5 column, or negative numbers).",
    },
    "unknown_employee": {
        "id": "NIP di kolom {columns} tidak ada di antara pegawai yang dimuat: baris "
        "pegawainya tidak ada di tabel employees, atau ikut dikarantina di tabel employees "
        "(alasannya lalu berakhir dengan '(dikarantina di employees)'). Tambahkan atau "
        "perbaiki baris pegawainya dulu; baris ini ikut dimuat. Pastikan juga NIP ditulis "
        "sebagai teks 18 digit di kedua tabel.",
        "en": "The NIPs in {columns} are not among the loaded employees: the employee's row "
        "is missing from the employees table, or was quarantined there (the reason then "
        "ends with '(quarantined in employees)'). Add or fix the employee's row first; "
        "these rows load with it. Make sure NIPs are 18-digit text in both tables.",
    },
    "unknown_training": {
        "id": "Kode di kolom {columns} tidak ada di katalog trainings yang dimuat: tambahkan "
        "pelatihannya ke trainings, perbaiki kodenya (harus sama persis, termasuk huruf "
        "besar/kecil dan spasi), atau perbaiki baris pelatihannya bila dikarantina di "
        "trainings.",
        "en": "The codes in {columns} are not in the loaded trainings catalog: add the "
        "training to trainings, fix the code (it must match exactly, case and spaces "
        "included), or fix the training's row if it was quarantined in trainings.",
    },
    "unknown_competency": {
        "id": "Kode di kolom {columns} tidak ada di kolom code tabel competencies yang "
        "dimuat: tambahkan kompetensinya, atau perbaiki kodenya (harus sama persis, "
        "termasuk huruf besar/kecil dan spasi).",
        "en": "The codes in {columns} are not in the loaded competencies' code column: add "
        "the competency, or fix the code (it must match exactly, case and spaces included).",
    },
    "unknown_other": {
        "id": "Nilai di kolom {columns} harus sama persis dengan nilai di tabel yang "
        "dirujuk (mis. unit ditulis persis seperti kolom unit di employees).",
        "en": "Values in {columns} must match the referenced table's exactly (e.g. a unit "
        "written exactly as in the employees' unit column).",
    },
    "other": {
        "id": "Lihat alasan lengkapnya di kolom `reason` berkas karantina.",
        "en": "See the full reasons in the quarantine file's `reason` column.",
    },
}

_ALLOWED = {"id": "Nilai yang diizinkan di {column}: {values}.", "en": "{column} allows: {values}."}

#: Advice for a fatal error, by kind (see :func:`_error_kind`).
_ERROR_ADVICE: dict[str, dict[str, str]] = {
    "missing_column": {
        "id": "Tambahkan kolom {column} ke {file} dengan judul persis seperti di kontrak "
        f"({CONTRACT_DOC}). Jika ekspor SIASN/e-Kinerja memakai nama lain untuk kolom ini "
        f"(mis. 'NIP BARU', 'TGL LAHIR'), berkasnya tidak perlu diubah: gunakan {_MAPPING_ID}.",
        "en": f"Add the column {{column}} to {{file}}, headed exactly as in the contract "
        f"({CONTRACT_DOC}). If the SIASN/e-Kinerja export names it differently (e.g. 'NIP "
        f"BARU', 'TGL LAHIR'), leave the file as it is and use {_MAPPING_EN}.",
    },
    "missing_table": {
        "id": "Simpan tabel ini sebagai `<tabel>.csv` (atau `.xlsx`) di folder data, atau "
        f"sebagai lembar (sheet) bernama seperti tabelnya di buku kerja Excel; daftar tabel "
        f"wajib ada di {CONTRACT_DOC}.",
        "en": "Save the table as `<table>.csv` (or `.xlsx`) in the data folder, or as a "
        f"sheet named after the table in an Excel workbook; the required tables are listed "
        f"in {CONTRACT_DOC}.",
    },
    "ambiguous": {
        "id": "Satu tabel ada dalam dua berkas: sisakan satu, hapus atau pindahkan yang lain.",
        "en": "One table is in two files: keep one, delete or move the other.",
    },
    "header_twice": {
        "id": "Judul kolom {column} muncul dua kali di {file}: hapus kolom ganda atau ganti "
        "namanya.",
        "en": "The header {column} appears twice in {file}: delete the repeated column or "
        "rename it.",
    },
    "mapped_twice": {
        "id": f"Dua kolom di {{file}} sama-sama menjadi {{column}}: hapus salah satunya, "
        f"atau ubah {_MAPPING_ID}.",
        "en": f"Two columns of {{file}} both become {{column}}: delete one of them, or change "
        f"{_MAPPING_EN}.",
    },
    "destroyed_nip": {
        "id": "Kolom {column} di {file} berisi NIP yang sudah dirusak Excel (1,97702E+17 "
        "atau berakhiran 000): digit aslinya hilang dan tidak bisa dipulihkan dari berkas "
        "ini. Di Excel: pilih kolom NIP, Format Cells → Text, tempel ulang NIP dari "
        "sumbernya (SIASN), lalu simpan; atau ekspor ke CSV tanpa membuka berkasnya di Excel.",
        "en": "The column {column} of {file} holds NIPs damaged by Excel (1.97702E+17 or "
        "ending in 000): the real digits are gone and cannot be recovered from this file. "
        "In Excel: select the NIP column, Format Cells → Text, paste the NIPs again from "
        "the source (SIASN), and save; or export to CSV without opening it in Excel.",
    },
    "format_rule": {
        "id": "Sebagian besar baris {file} melanggar aturan yang sama, jadi masalahnya ada "
        "di format kolom {column} secara keseluruhan, bukan di baris satu per satu.",
        "en": "Most rows of {file} break the same rule, so the problem is the format of the "
        "whole column {column}, not single rows.",
    },
    "encoding": {
        "id": "Berkas {file} bukan teks yang dapat dibaca. Buka di Excel lalu simpan ulang "
        "dengan File → Save As → 'CSV UTF-8 (Comma delimited) (*.csv)'.",
        "en": "{file} is not text that can be read. Open it in Excel and save it again with "
        "File → Save As → 'CSV UTF-8 (Comma delimited) (*.csv)'.",
    },
    "empty": {
        "id": "Berkas {file} kosong: ekspor ulang datanya, dengan baris judul kolom.",
        "en": "{file} is empty: export the data again, with its header row.",
    },
    "location": {
        "id": "Periksa lokasi data yang diberikan: folder data (berisi satu berkas per "
        "tabel), buku kerja Excel `.xlsx`, atau alamat basis data.",
        "en": "Check the data location given: a data folder (one file per table), an Excel "
        "`.xlsx` workbook, or a database address.",
    },
    "mapping": {
        "id": f"Berkas pemetaan kolom tidak dapat dipakai: perbaiki bagian yang disebut "
        f"pesan di atas ({FORMATS_DOC}).",
        "en": f"The column mapping file cannot be used: fix the part the message names "
        f"({FORMATS_DOC}).",
    },
    "unreadable": {
        "id": "Berkas {file} tidak dapat dibaca: buka di Excel dan simpan ulang sebagai "
        "'CSV UTF-8 (Comma delimited)' atau 'Excel Workbook (*.xlsx)', atau ekspor ulang "
        "dari sumbernya.",
        "en": "{file} cannot be read: open it in Excel and save it again as 'CSV UTF-8 "
        "(Comma delimited)' or 'Excel Workbook (*.xlsx)', or export it again from the source.",
    },
    "other": {
        "id": "Perbaiki masalah yang disebut di atas pada {file}.",
        "en": "Fix the problem named above in {file}.",
    },
}


def _t(key: str, lang: Language, **values: object) -> str:
    return _T[key][lang].format(**values)


def _n(count: int, lang: Language) -> str:
    """A count with the language's thousands separator (1.234 / 1,234)."""
    text = f"{count:,}"
    return text.replace(",", ".") if lang == "id" else text


def _code(text: object) -> str:
    """``text`` as a Markdown code span, whatever backticks it holds."""
    text = str(text).replace("\n", " ")
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _file_name(source: str) -> str:
    """A table's source as people know it: the file name, or ``sql:<table>``."""
    if not source or source.startswith("sql:"):
        return source
    return Path(source).name


# --- grouping a table's reasons -----------------------------------------------------------


@dataclass
class _Key:
    """One canonical reason key of a table, with its count and example rows."""

    key: str
    count: int
    column: str | None = None
    examples: list[int] = field(default_factory=list)


@dataclass
class _Group:
    """The keys of one table that share a kind of problem (and so an advice)."""

    kind: str
    keys: list[_Key] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(k.count for k in self.keys)

    @property
    def columns(self) -> list[str]:
        out: list[str] = []
        for k in self.keys:
            if k.column and k.column not in out and k.column != "row":
                out.append(k.column)
        return out


def _column_kind(table: str, column: str | None) -> str | None:
    try:
        return contract.table(table).column(column).kind if column else None
    except KeyError:
        return None


def _group_of(table: str, key: str) -> tuple[str, str | None]:
    """The advice group of a reason key, and its column."""
    parts = parse_reason(key)
    part = parts[0] if len(parts) == 1 else None
    if not isinstance(part, ReasonPart):
        return "other", None
    kind = part.kind
    if kind == "unknown":
        noun = part.key.split("unknown ", 1)[-1]
        kind = f"unknown_{noun}" if noun in _NOUNS else "unknown_other"
    elif kind == "range" and _column_kind(table, part.column) == "date":
        kind = "date_range"
    return kind, part.column


def _examples(entry: TableReport, keys: dict[str, _Key]) -> None:
    """Fill each key's examples with its first :data:`MAX_EXAMPLES` source rows."""
    quarantine = entry.quarantine
    if quarantine.empty or REASON not in quarantine.columns:
        return
    if SOURCE_ROW in quarantine.columns:
        rows = quarantine[SOURCE_ROW].to_numpy()
    else:
        rows = quarantine.index.to_numpy()
    waiting = set(keys)
    for row, reason in zip(rows, quarantine[REASON].to_numpy(), strict=True):
        if not isinstance(reason, str) or pd.isna(row):
            continue
        for part in parse_reason(reason):
            target = keys.get(part.key if isinstance(part, ReasonPart) else part)
            if target is None or len(target.examples) >= MAX_EXAMPLES:
                continue
            if int(row) not in target.examples:
                target.examples.append(int(row))
            if len(target.examples) >= MAX_EXAMPLES:
                waiting.discard(target.key)
        if not waiting:
            return


def _groups(entry: TableReport) -> list[_Group]:
    keys: dict[str, _Key] = {}
    groups: dict[str, _Group] = {}
    for key, count in entry.sorted_reasons().items():
        kind, column = _group_of(entry.name, key)
        keys[key] = _Key(key, count, column)
        groups.setdefault(kind, _Group(kind)).keys.append(keys[key])
    _examples(entry, keys)
    return sorted(groups.values(), key=lambda g: -g.count)


def _cascades(entry: TableReport, keys: list[_Key]) -> dict[str, int]:
    """Rows whose reason under one of ``keys`` refers to a row quarantined in another
    table (``... (quarantined in employees)``), per that table."""
    if entry.quarantine.empty or REASON not in entry.quarantine.columns:
        return {}
    reasons = entry.quarantine[REASON].dropna().astype(str)
    counts: dict[str, int] = {}
    for item in keys:
        pattern = rf"(?:^|; ){re.escape(item.key)} '.*?' \(quarantined in (\w+)\)(?=; |$)"
        for tables in reasons.str.findall(pattern):
            for name in set(tables):
                counts[name] = counts.get(name, 0) + 1
    return counts


# --- rendering -----------------------------------------------------------------------------


def _columns_text(columns: list[str]) -> str:
    return ", ".join(_code(c) for c in columns) if columns else "?"


def _advice(kind: str, lang: Language, columns: list[str]) -> str:
    template = _ADVICE.get(kind, _ADVICE["other"])[lang]
    return template.format(columns=_columns_text(columns))


def _allowed(table: str, columns: list[str], lang: Language) -> list[str]:
    lines = []
    for column in columns:
        try:
            categories = contract.table(table).column(column).categories
        except KeyError:
            continue
        if categories:
            values = ", ".join(_code(c) for c in categories)
            lines.append(_ALLOWED[lang].format(column=_code(column), values=values))
    return lines


def _key_line(table: str, item: _Key, lang: Language) -> str:
    rows = _t("row" if item.count == 1 else "rows", lang)
    line = f"- {_code(reason_text(item.key, lang))}: {_n(item.count, lang)} {rows}"
    if item.examples:
        shown = ", ".join(str(r) for r in sorted(item.examples))
        line += f" ({_t('examples', lang)}: {shown})"
    return line


def _table_section(entry: TableReport, lang: Language) -> list[str]:
    head = _t(
        "table_head",
        lang,
        name=entry.name,
        quarantined=_n(entry.quarantined, lang),
        read=_n(entry.read, lang),
    )
    lines = [
        f"## {head}",
        "",
        _t(
            "table_files",
            lang,
            file=_code(_file_name(entry.source) or "?"),
            dir=QUARANTINE_DIR,
            name=entry.name,
        ),
    ]
    for group in _groups(entry):
        lines += ["", f"### {_KIND_TITLES.get(group.kind, _KIND_TITLES['other'])[lang]}", ""]
        lines += [_key_line(entry.name, k, lang) for k in group.keys]
        lines += ["", _advice(group.kind, lang, group.columns)]
        if group.kind == "category":
            allowed = _allowed(entry.name, group.columns, lang)
            if allowed:
                lines += ["", *allowed]
        cascades = _cascades(entry, group.keys) if group.kind.startswith("unknown_") else {}
        for table, count in sorted(cascades.items()):
            lines += ["", _t("cascade", lang, count=_n(count, lang), table=_code(table))]
    return lines


def _error_kind(message: str) -> str:
    if re.search(r"required columns? .* (?:is|are) missing", message):
        return "missing_column"
    if "required table" in message:
        return "missing_table"
    if "is ambiguous" in message or "both exist" in message:
        return "ambiguous"
    if "appears more than once in the header" in message:
        return "header_twice"
    if "both map to" in message:
        return "mapped_twice"
    if "Excel stored the column as numbers" in message or "NIPs in scientific" in message:
        return "destroyed_nip"
    if "rows break the same rule" in message:
        return "format_rule"
    if "UTF-8" in message or "Windows-1252" in message:
        return "encoding"
    if "the file is empty" in message:
        return "empty"
    if "column mapping" in message or re.search(r"\.ya?ml\b", message):
        return "mapping"
    if re.search(r"does not exist|is not a folder|is a file|not a database URL", message):
        return "location"
    if "cannot be parsed" in message or "cannot be read" in message:
        return "unreadable"
    return "other"


def _error_section(error: Exception, lang: Language) -> list[str]:
    message = str(error)
    file = getattr(error, "file", None)
    column = getattr(error, "column", None)
    kind = _error_kind(message)
    lines = [f"## {_t('fatal_head', lang)}", ""]
    if file:
        name = _file_name(str(file))
        shown = _code(name) + (f" ({_code(file)})" if name != str(file) else "")
        lines.append(f"- **{_t('fatal_file', lang)}:** {shown}")
    if column:
        lines.append(f"- **{_t('fatal_column', lang)}:** {_code(column)}")
    lines += ["", _t("fatal_intro", lang), ""]
    lines += [f"> {line}" if line else ">" for line in error_text(message, lang).splitlines()]
    file_text = _code(_file_name(str(file))) if file else "?"
    column_text = _code(column) if column else "?"
    advice = _ERROR_ADVICE[kind][lang].format(file=file_text, column=column_text)
    lines += ["", advice]
    if kind == "format_rule":
        rule = re.search(r"break the same rule, '(.*?)' \(e\.g\.", message)
        if rule is not None:
            rule_kind = reason_kind(rule.group(1))
            if rule_kind == "unknown":
                rule_kind = "unknown_other"
            table = Path(str(file)).stem if file else ""
            if rule_kind == "range" and _column_kind(table, column) == "date":
                rule_kind = "date_range"
            lines += ["", _advice(rule_kind, lang, [column] if column else [])]
    lines += ["", _t("fatal_after", lang)]
    return lines


def fix_guide(
    report: LoadReport | None, error: Exception | None = None, lang: Language = "id"
) -> str:
    """A Markdown guide for the people who prepare the data: what to fix, table by table.

    ``report`` is the load's report (None if the load stopped); ``error`` what stopped it
    (a :class:`~recsys.data.sources.DataContractError`, whose ``file`` and ``column`` are
    named). Per table with quarantined rows: each kind of problem with its counts, up to
    :data:`MAX_EXAMPLES` example source rows, and advice in terms of Excel, SIASN and
    e-Kinerja; then what was recognised and converted, and the warnings. A clean load
    gives a short guide saying nothing needs fixing.
    """
    lang = lang if lang in ("id", "en") else "en"
    lines = [f"# {_t('title', lang)}", ""]
    if report is not None:
        lines += [_t("source", lang, source=_code(report.source)), ""]
    if error is not None:
        lines += [*_error_section(error, lang), ""]
    if report is None:
        if error is None:
            lines += [_t("nothing", lang), ""]
        return "\n".join(lines).rstrip() + "\n"

    bad = [t for t in report.tables if t.quarantined]
    if not bad and error is None:
        lines += [_t("clean", lang, read=_n(report.read, lang)), ""]
    elif bad:
        lines += [f"## {_t('summary_head', lang)}", ""]
        lines.append(
            _t(
                "summary",
                lang,
                loaded=_n(report.loaded, lang),
                read=_n(report.read, lang),
                quarantined=_n(report.quarantined, lang),
                tables=_n(len(bad), lang),
            )
        )
        lines += ["", _t("summary_files", lang, dir=QUARANTINE_DIR), ""]
        lines += [_t("summary_fix", lang), ""]
        for entry in bad:
            lines += [*_table_section(entry, lang), ""]

    noted = [(t, d) for t in report.tables for d in t.detected if notable(d)]
    if noted:
        lines += [f"## {_t('detected_head', lang)}", "", _t("detected_intro", lang), ""]
        lines += [f"- {detected_text(d, lang)}" for _, d in noted]
        lines.append("")
    if report.warnings:
        lines += [f"## {_t('warnings_head', lang)}", "", _t("warnings_intro", lang), ""]
        lines += [f"- {warning_text(w, lang)}" for w in report.warnings]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_fix_guide(
    path: str | Path,
    report: LoadReport | None,
    error: Exception | None = None,
    lang: Language = "id",
) -> Path:
    """Write :func:`fix_guide` to ``path`` (UTF-8 Markdown; ``.md`` is added if the name
    has no suffix); returns the path written."""
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(".md")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(fix_guide(report, error, lang), encoding="utf-8")
    return path
