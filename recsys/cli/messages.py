"""User-facing text of the command line, in Bahasa Indonesia (default) and English.

Keys are stable identifiers; values are ``str.format`` templates, their numbers written as
the language writes them (:mod:`recsys.numbers`: ``20.000`` and ``14,9`` in Bahasa
Indonesia). A missing translation falls back to English, so a new message is never lost, only
untranslated.
"""

from __future__ import annotations

from recsys.numbers import fill
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
    # --- simulate --mechanism
    "simulate.bad_mechanism": {
        "id": "mekanisme {name!r} tidak dikenal; pilih salah satu: {valid}",
        "en": "unknown mechanism {name!r}; choose one of: {valid}",
    },
    "simulate.error.employees": {
        "id": "--employees harus antara {low:,} dan {high:,}, bukan {got:,}",
        "en": "--employees must be between {low:,} and {high:,}, got {got:,}",
    },
    "simulate.error.format": {
        "id": "--format harus salah satu dari {valid}, bukan {got!r}",
        "en": "--format must be one of {valid}, got {got!r}",
    },
    "simulate.error.seed": {
        "id": "--seed harus 0 atau lebih, bukan {got}",
        "en": "--seed must be 0 or more, got {got}",
    },
    "simulate.error.not_folder": {
        "id": "{out} sudah ada dan bukan folder",
        "en": "{out} exists and is not a folder",
    },
    "simulate.error.not_empty": {
        "id": "{out} tidak kosong; pilih folder lain atau izinkan menimpa (--force)",
        "en": "{out} is not empty; choose another folder or allow overwriting (--force)",
    },
    "simulate.mechanism": {
        "id": "Mekanisme dunia: {name}",
        "en": "World mechanism: {name}",
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
    "report.more_detected": {
        "id": "… dan {count} hal lain yang dikenali dan dikonversi (lihat report.txt)",
        "en": "… and {count} more things recognised and converted (see report.txt)",
    },
    "fix_report.written": {
        "id": "Panduan perbaikan data untuk tim HR: {path}",
        "en": "Data fix guide for the HR team: {path}",
    },
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
    "training": {"id": "Melatih model", "en": "Training the models"},
    "recommending": {"id": "Menyusun rekomendasi", "en": "Recommending"},
    "col.metric": {"id": "Metrik", "en": "Metric"},
    "col.value": {"id": "Nilai", "en": "Value"},
    "col.rank": {"id": "#", "en": "#"},
    "col.training": {"id": "Pelatihan", "en": "Training"},
    "col.gain": {"id": "Kenaikan SKP (interval 90%)", "en": "SKP gain (90% interval)"},
    "col.jp_cost": {"id": "JP / biaya", "en": "JP / cost"},
    "col.reason": {"id": "Alasan", "en": "Reason"},
    "trained": {
        "id": "Model versi {version} terdaftar (run {run}) di {uri}.",
        "en": "Model version {version} registered (run {run}) in {uri}.",
    },
    "champion.yes": {
        "id": "Versi {version} kini menjadi champion (sebelumnya: {previous}; metrik {metric}).",
        "en": "Version {version} is now the champion (before: {previous}; metric {metric}).",
    },
    # --- training rankers and the champion gate
    "ranker.name.structured": {"id": "model terstruktur", "en": "the structured model"},
    "ranker.name.uplift": {"id": "model uplift fleksibel", "en": "the flexible uplift model"},
    "ranker.name.blend": {"id": "gabungan beberapa model", "en": "a blend of several models"},
    "ranker.name.gap_rule": {
        "id": "aturan kesenjangan kompetensi",
        "en": "the competency-gap rule",
    },
    "ranker.beats_rule": {
        "id": "Daftar pelatihan disusun oleh {ranker}: pada hasil nyata tahun uji ia lebih baik "
        "daripada aturan kesenjangan ({diff:+.2f} poin SKP per pelatihan yang direkomendasikan, "
        "{lower:+.2f} s.d. {upper:+.2f}).",
        "en": "Training lists are made by {ranker}: on the held-out year's observed outcomes it "
        "beats the gap rule ({diff:+.2f} SKP points per recommended training, "
        "{lower:+.2f} to {upper:+.2f}).",
    },
    "ranker.no_better": {
        "id": "Tidak ada model terlatih yang lebih baik daripada aturan kesenjangan melampaui "
        "ketidakpastian pada hasil nyata tahun uji: daftar disusun oleh aturan kesenjangan, "
        "dengan interval yang dipelajari dari data.",
        "en": "No learned ranker beats the gap rule beyond the uncertainty on the held-out "
        "year's observed outcomes: lists are made by the gap rule, with intervals learned "
        "from the data.",
    },
    "ranker.no_test": {
        "id": "Riwayat terlalu pendek untuk validasi lintas waktu: daftar disusun oleh aturan "
        "kesenjangan, dengan interval yang dipelajari dari data.",
        "en": "The history is too short for an out-of-time validation: lists are made by the "
        "gap rule, with intervals learned from the data.",
    },
    "ranker.fixed": {
        "id": "Daftar pelatihan disusun oleh {ranker} (ditetapkan dalam parameter).",
        "en": "Training lists are made by {ranker} (set in the parameters).",
    },
    "validation.title": {
        "id": "Validasi lintas waktu: kenaikan SKP per pelatihan yang direkomendasikan, "
        "diperkirakan dari hasil nyata tahun uji (doubly robust, {hits:,} pendaftaran)",
        "en": "Out-of-time validation: SKP gain per recommended training, estimated from the "
        "held-out years' observed outcomes (doubly robust, {hits:,} enrollments)",
    },
    "col.ranker": {"id": "Penyusun daftar", "en": "Ranker"},
    "col.vs_rule": {"id": "Selisih vs aturan", "en": "vs gap rule"},
    "col.interval": {"id": "Interval 90%", "en": "90% interval"},
    "col.served": {"id": "Dipakai", "en": "Served"},
    "refused": {
        "id": "Versi {version} terdaftar tetapi TIDAK dijadikan champion: {reasons}.",
        "en": "Version {version} is registered but NOT made champion: {reasons}.",
    },
    "refused.non_finite_metrics": {
        "id": "metrik tidak berhingga ({detail})",
        "en": "metrics are not finite ({detail})",
    },
    "refused.non_finite_forecasts": {
        "id": "perkiraan tidak berhingga ({detail})",
        "en": "forecasts are not finite ({detail})",
    },
    "refused.empty_lists": {
        "id": "hanya {detail} pegawai yang mendapat rekomendasi",
        "en": "only {detail} of people get any recommendation",
    },
    "refused.effect_loses_to_rule": {
        "id": "kalah dari aturan sederhana (cakupan × satu efektivitas) pada hasil bimbingan "
        "yang disisihkan ({detail})",
        "en": "loses to the simple rule (coverage × one effectiveness) on held-out mentoring "
        "outcomes ({detail})",
    },
    "refused.loses_to_rule": {
        "id": "kalah dari aturan kesenjangan pada validasi lintas waktu ({detail} poin)",
        "en": "loses to the gap rule on the out-of-time validation ({detail} points)",
    },
    "champion.no": {
        "id": "Versi {version} tidak mengungguli champion versi {previous} ({metric}); "
        "champion tetap.",
        "en": "Version {version} did not beat champion version {previous} ({metric}); "
        "the champion stays.",
    },
    "truth.skipped": {
        "id": "kebenaran dasar di {path} tidak lengkap; bagian yang tidak dapat dipakai "
        "dilewati ({problems}). Evaluasi terhadap kebenaran bersifat opsional.",
        "en": "the ground truth in {path} is incomplete; the parts that cannot be used are "
        "skipped ({problems}). Evaluation against the truth is optional.",
    },
    "truth.missing": {"id": "{file}: tidak ada", "en": "{file}: not found"},
    "truth.columns": {
        "id": "{file}: tidak memiliki {detail}",
        "en": "{file}: missing {detail}",
    },
    "truth.unreadable": {
        "id": "{file}: tidak dapat dibaca ({detail})",
        "en": "{file}: unreadable ({detail})",
    },
    "model.none": {
        "id": "belum ada model champion {name} di registri: jalankan dulu "
        "`recsys train --data ...`",
        "en": "no champion {name} model is registered yet: run `recsys train --data ...` first",
    },
    "model.retrain": {
        "id": "model {name} di registri disimpan oleh versi ASN Recsys sebelumnya dan tidak "
        "dapat dipakai oleh versi ini; latih ulang dengan `recsys train --data ...`",
        "en": "the registered model {name} was saved by an earlier version of ASN Recsys and "
        "cannot be used by this one; retrain it with `recsys train --data ...`",
    },
    "evaluate.no_truth": {
        "id": "{data} tidak memiliki kebenaran dasar (_truth/); evaluasi terhadap kebenaran "
        "hanya untuk data demo. Jalankan `recsys train` untuk evaluasi berbasis waktu.",
        "en": "{data} has no ground truth (_truth/); evaluation against the truth is for demo "
        "worlds. `recsys train` runs the time-split evaluation.",
    },
    "nip.malformed": {
        "id": "NIP harus 18 digit angka, bukan {nip!r}",
        "en": "a NIP is 18 digits, not {nip!r}",
    },
    "nip.unknown": {
        "id": "NIP tidak dikenal dalam data ini: {nips}",
        "en": "NIP not found in this data set: {nips}",
    },
    "recommend.one_of": {
        "id": "pilih salah satu: --nip NIP atau --all",
        "en": "give exactly one of --nip NIP or --all",
    },
    "recommend.bad_out": {
        "id": "{path}: format keluaran harus .csv, .parquet atau .xlsx",
        "en": "{path}: the output must be .csv, .parquet or .xlsx",
    },
    "recommend.written": {
        "id": "{rows:,} baris rekomendasi ditulis ke {path}",
        "en": "{rows:,} recommendation rows written to {path}",
    },
    "recommend.none": {
        "id": "Tidak ada pelatihan aktif yang menutup kesenjangan kompetensi pegawai ini.",
        "en": "No active training closes a competency gap of this employee.",
    },
    "recommend.title": {
        "id": "Rekomendasi pelatihan untuk NIP {nip}",
        "en": "Training recommendations for NIP {nip}",
    },
    "demo.trained": {
        "id": "Model pelatihan versi {version}: top-5 mencapai {share:.0%} dari gain oracle "
        "(aturan kesenjangan: {gap:.0%}).",
        "en": "Training model version {version}: top-5 reaches {share:.0%} of the oracle's gain "
        "(gap rule: {gap:.0%}).",
    },
    "mentor.title": {
        "id": "Rekomendasi mentor untuk NIP {nip}",
        "en": "Mentor recommendations for NIP {nip}",
    },
    "mentor.none": {
        "id": "Tidak ada calon mentor yang memenuhi syarat (lebih senior, satu instansi, "
        "kinerja baik, unggul di kompetensi yang kurang) untuk pegawai ini.",
        "en": "No eligible mentor (more senior, same agency, good performance, ahead where "
        "this employee is weak) for this employee.",
    },
    "col.mentor": {"id": "Mentor (NIP)", "en": "Mentor (NIP)"},
    # --- recommend mentors: suggestions from the agency's capacity-respecting matching
    "suggesting": {
        "id": "Mencocokkan mentee dengan mentor di instansi",
        "en": "Matching the agency's mentees to mentors",
    },
    "col.status": {"id": "Status", "en": "Status"},
    "status.assigned": {"id": "hasil pencocokan", "en": "assigned"},
    "status.alternative": {"id": "alternatif (masih ada tempat)", "en": "alternative (has room)"},
    "status.unassigned": {"id": "tanpa mentor", "en": "no mentor"},
    "status.matched": {"id": "dipasangkan", "en": "matched"},
    "status.unmatched": {"id": "tanpa mentor", "en": "unmatched"},
    "distance.same_unit": {"id": "satu unit kerja", "en": "same unit"},
    "distance.same_region": {"id": "satu wilayah, beda unit", "en": "same region, other unit"},
    "distance.far": {"id": "beda wilayah", "en": "other region"},
    # the columns of a workbook for HR (recsys/cli/output.py)
    "export.col.nip": {"id": "NIP", "en": "NIP"},
    "export.col.rank": {"id": "Peringkat", "en": "Rank"},
    "export.col.training_id": {"id": "ID pelatihan", "en": "Training id"},
    "export.col.mentor_nip": {"id": "NIP mentor", "en": "Mentor NIP"},
    "export.col.status": {"id": "Status", "en": "Status"},
    "export.col.expected_gain": {
        "id": "Perkiraan kenaikan SKP (poin)",
        "en": "Forecast SKP gain (points)",
    },
    "export.col.gain_lower": {"id": "Batas bawah 90%", "en": "90% lower bound"},
    "export.col.gain_upper": {"id": "Batas atas 90%", "en": "90% upper bound"},
    "export.col.list_gain": {
        "id": "Kenaikan seluruh daftar (poin)",
        "en": "Whole list's gain (points)",
    },
    "export.col.distance": {"id": "Jarak", "en": "Distance"},
    "export.col.reason": {"id": "Alasan", "en": "Reason"},
    "export.col.note": {"id": "Keterangan", "en": "Note"},
    "mentor.matching": {
        "id": "Pencocokan mentor instansi: {matched:,} dari {cohort:,} pegawai aktif mendapat "
        "mentor ({mentors:,} mentor, kapasitas tiap mentor dipatuhi, bimbingan berjalan "
        "dihitung).",
        "en": "Agency mentor matching: {matched:,} of {cohort:,} active staff get a mentor "
        "({mentors:,} mentors, each within capacity, ongoing mentorships counted).",
    },
    "mentor.unassigned": {
        "id": "NIP {nip} tidak mendapat mentor dari pencocokan instansi: {reason}",
        "en": "NIP {nip} gets no mentor from the agency's matching: {reason}",
    },
    "mentor.unassigned_count": {
        "id": "{count:,} pegawai tanpa mentor (baris berstatus unassigned): {reasons}",
        "en": "{count:,} people without a mentor (rows with status unassigned): {reasons}",
    },
    "col.covers": {"id": "Kompetensi yang ditutup", "en": "Gaps covered"},
    "mentor.trained": {
        "id": "Model mentor versi {version}: top-3 mencapai {share:.0%} dari gain oracle "
        "(senior acak: {random:.0%}, senior satu unit: {unit:.0%}).",
        "en": "Mentor model version {version}: top-3 reaches {share:.0%} of the oracle's gain "
        "(random senior: {random:.0%}, same-unit senior: {unit:.0%}).",
    },
    "mentor.skipped": {
        "id": "Model mentor tidak dilatih: {reason}",
        "en": "Mentor model not trained: {reason}",
    },
    "match.capacity": {
        "id": "kapasitas mentor minimal 1, bukan {capacity}",
        "en": "a mentor's capacity is at least 1, not {capacity}",
    },
    "match.no_agency": {
        "id": "instansi {agency!r} tidak ada dalam data ini; instansi yang ada: {known}",
        "en": "agency {agency!r} is not in this data set; agencies: {known}",
    },
    "match.no_mentors": {
        "id": "instansi {agency} tidak memiliki calon mentor (pegawai senior aktif dengan "
        "kinerja baik); tidak ada yang ditulis",
        "en": "agency {agency} has no eligible mentors (active senior staff with good "
        "performance); nothing written",
    },
    "match.no_mentees": {
        "id": "tidak ada calon mentee (pelaksana/fungsional aktif di bawah standar kompetensi) "
        "dalam cakupan ini",
        "en": "no mentees (active pelaksana/fungsional below their competency standard) in "
        "this scope",
    },
    "matching": {"id": "Mencocokkan mentee dengan mentor", "en": "Matching mentees to mentors"},
    "match.summary": {
        "id": "{matched:,} dari {mentees:,} mentee mendapat mentor ({mentors:,} mentor, "
        "kapasitas {capacity}). Total perkiraan kenaikan SKP: {total:,.1f} poin; batas atas LP: "
        "{bound:,.1f} (selisih optimalitas {gap:.4%}). Penugasan serakah: {greedy:,.1f}.",
        "en": "{matched:,} of {mentees:,} mentees matched ({mentors:,} mentors, capacity "
        "{capacity}). Total forecast SKP gain: {total:,.1f} points; LP bound: {bound:,.1f} "
        "(optimality gap {gap:.4%}). Greedy assignment: {greedy:,.1f}.",
    },
    "match.summary_unbounded": {
        "id": "{matched:,} dari {mentees:,} mentee mendapat mentor ({mentors:,} mentor, "
        "kapasitas {capacity}). Total perkiraan kenaikan SKP: {total:,.1f} poin (penugasan "
        "optimal; batas atas LP tidak dihitung, gunakan --bound). Penugasan serakah: "
        "{greedy:,.1f}.",
        "en": "{matched:,} of {mentees:,} mentees matched ({mentors:,} mentors, capacity "
        "{capacity}). Total forecast SKP gain: {total:,.1f} points (optimal; LP bound not "
        "computed, use --bound). Greedy assignment: {greedy:,.1f}.",
    },
    "match.unmatched": {
        "id": "{count:,} mentee tanpa mentor: {reasons}",
        "en": "{count:,} mentees unmatched: {reasons}",
    },
    "match.written": {
        "id": "Penugasan ditulis ke {path} (mentee tanpa mentor beserta alasannya ikut dicatat).",
        "en": "Assignment written to {path} (unmatched mentees listed with their reason).",
    },
    "reason.no_candidates": {
        "id": "tidak ada calon mentor yang memenuhi syarat",
        "en": "no eligible mentor",
    },
    "reason.no_positive_gain": {
        "id": "tidak ada mentor dengan perkiraan kenaikan positif",
        "en": "no mentor with a positive forecast gain",
    },
    "reason.capacity": {
        "id": "kapasitas semua calon mentornya terpakai untuk mentee dengan kenaikan lebih besar",
        "en": "all their candidate mentors are full with mentees who gain more",
    },
    "mentees.bad_file": {
        "id": "{path}: daftar mentee harus berkas CSV dengan kolom nip",
        "en": "{path}: the mentee list must be a CSV file with a nip column",
    },
    "mentors.bad_file": {
        "id": "{path}: daftar mentor harus berkas CSV dengan kolom nip (dan opsional capacity)",
        "en": "{path}: the mentor pool must be a CSV file with a nip column (capacity optional)",
    },
    "nip.inactive": {
        "id": "NIP bukan pegawai aktif: {nips}",
        "en": "NIP of an employee who is no longer active: {nips}",
    },
    "export.written": {
        "id": "Bundel model ditulis ke {path}: {models}. API dapat melayaninya tanpa server "
        "MLflow.",
        "en": "Model bundle written to {path}: {models}. The API can serve it without an "
        "MLflow server.",
    },
    # --- score: the recommendation store
    "score.scoring": {
        "id": "Menghitung rekomendasi per instansi atau unit kerja",
        "en": "Scoring recommendations agency by agency (or unit by unit)",
    },
    "score.no_models": {
        "id": "Belum ada model juara untuk dinilai ({error}). Jalankan `recsys train` dulu, "
        "atau berikan --bundle.",
        "en": "No champion model to score with ({error}). Run `recsys train` first, or give "
        "--bundle.",
    },
    "score.cluster_error": {
        "id": "Klaster Dask tidak dapat dipakai ({error}). Periksa alamat --cluster "
        "(mis. tcp://host:8786) atau pakai --cluster local. Tidak ada yang diubah: generasi "
        "yang dilayani tetap sama.",
        "en": "The Dask cluster cannot be used ({error}). Check the --cluster address (e.g. "
        "tcp://host:8786) or use --cluster local. Nothing was changed: the generation served "
        "stays the same.",
    },
    "demo.store": {"id": "Rekomendasi siap saji", "en": "Scored recommendations"},
    "score.done": {
        "id": "Generasi {generation} siap dan kini dilayani: {people:,} pegawai dari "
        "{partitions} instansi ({resumed} dilanjutkan dari proses sebelumnya) dalam "
        "{seconds:.1f} detik; model {models}; penyimpanan {store}.",
        "en": "Generation {generation} is complete and now served: {people:,} employees in "
        "{partitions} agencies ({resumed} resumed from an earlier run) in {seconds:.1f} s; "
        "models {models}; store {store}.",
    },
    "contract.written": {
        "id": "Dokumentasi kontrak data ditulis ke {path}",
        "en": "Data contract documentation written to {path}",
    },
    # --- plan: the agency's yearly development program
    "planning": {
        "id": "Menyusun rencana pengembangan kompetensi",
        "en": "Planning the development program",
    },
    "plan.stage.forecasts": {"id": "perkiraan kenaikan", "en": "forecasts"},
    "plan.stage.plan": {"id": "optimasi rencana", "en": "optimising the plan"},
    "plan.stage.baselines": {"id": "pembanding", "en": "baselines"},
    "plan.stage.curve": {"id": "kurva anggaran", "en": "budget curve"},
    "plan.stage.service": {"id": "layanan unit", "en": "unit service"},
    "plan.bad_out": {
        "id": "{path}: dokumen rencana harus berformat {suffixes}",
        "en": "{path}: the plan document must be one of {suffixes}",
    },
    "plan.bad_amount": {
        "id": "{option}: {value!r} bukan jumlah rupiah; tulis angka saja atau dengan titik "
        "ribuan, mis. 1500000000 atau 1.500.000.000",
        "en": "{option}: {value!r} is not an amount of rupiah; write digits, or with "
        "Indonesian thousands separators, e.g. 1500000000 or 1.500.000.000",
    },
    "plan.bad_input": {
        "id": "nilai {option} tidak valid ({detail}); tidak ada yang ditulis",
        "en": "{option} is not valid ({detail}); nothing written",
    },
    # the planner's input errors (PlanInputError codes), after "plan.bad_input"'s option
    "plan.error.negative": {
        "id": "harus angka ≥ 0, bukan {got}",
        "en": "must be a number ≥ 0, got {got}",
    },
    "plan.error.absurd_budget": {
        "id": "Rp {got:,.0f} melampaui RKA instansi mana pun",
        "en": "IDR {got:,.0f} is beyond any agency's RKA",
    },
    "plan.error.unknown_unit": {
        "id": "unit kerja {unit!r} tidak dikenal",
        "en": "unknown unit {unit!r}",
    },
    "plan.error.negative_unit": {
        "id": "{unit}: harus ≥ 0, bukan {got}",
        "en": "{unit}: must be ≥ 0, got {got}",
    },
    "plan.error.unknown_training": {
        "id": "pelatihan {training!r} tidak dikenal",
        "en": "unknown training {training!r}",
    },
    "plan.error.seats": {
        "id": "{training}: harus bilangan bulat ≥ 0",
        "en": "{training}: must be a whole number ≥ 0",
    },
    "plan.error.positive": {"id": "harus > 0", "en": "must be > 0"},
    "plan.error.share_open": {"id": "harus dalam (0, 1]", "en": "must be in (0, 1]"},
    "plan.error.share": {"id": "harus dalam [0, 1]", "en": "must be in [0, 1]"},
    "plan.error.non_negative": {"id": "harus ≥ 0", "en": "must be ≥ 0"},
    "plan.error.year": {
        "id": "harus antara {low} dan {high}, bukan {got}",
        "en": "must be between {low} and {high}, got {got}",
    },
    "plan.error.no_staff": {
        "id": "tidak ada pegawai aktif untuk direncanakan",
        "en": "no active staff to plan for",
    },
    "plan.error.missing_columns": {
        "id": "kolom tidak ada: {columns}",
        "en": "missing column(s): {columns}",
    },
    "plan.error.not_staff": {
        "id": "{nip}: bukan pegawai aktif yang direncanakan",
        "en": "{nip}: not an active employee of the planned staff",
    },
    "plan.error.not_active": {
        "id": "{training}: bukan pelatihan aktif",
        "en": "{training}: not an active training",
    },
    "plan.error.too_many": {
        "id": "{nip}: lebih dari {most} pelatihan wajib",
        "en": "{nip}: more than {most} mandatory trainings",
    },
    "plan.error.not_candidate": {
        "id": "{nip} × {training}: bukan calon pelatihan pegawai ini",
        "en": "{nip} × {training}: not a candidate of theirs",
    },
    "plan.error.not_in_catalog": {
        "id": "{training}: bukan pelatihan dalam katalog",
        "en": "{training}: not a training of the catalog",
    },
    "plan.bad_table": {
        "id": "{option} {path}: harus berkas CSV atau XLSX dengan kolom {columns}",
        "en": "{option} {path}: must be a CSV or XLSX file with columns {columns}",
    },
    "plan.bad_row": {
        "id": "{option} {path}, baris {row}: {value} bukan nilai yang valid",
        "en": "{option} {path}, row {row}: {value} is not a valid value",
    },
    "plan.repeated": {
        "id": "{path}: {name!r} tercantum lebih dari sekali",
        "en": "{path}: {name!r} is listed more than once",
    },
    "plan.all_agencies": {"id": "semua instansi", "en": "every agency"},
    "plan.title": {
        "id": "Rencana pengembangan kompetensi {agency} tahun {year}",
        "en": "Development program of {agency}, {year}",
    },
    "plan.row.staff": {"id": "Pegawai", "en": "Staff"},
    "plan.row.cost": {"id": "Biaya / anggaran", "en": "Cost / budget"},
    "plan.cost": {
        "id": "{cost} dari {budget} ({share})",
        "en": "{cost} of {budget} ({share})",
    },
    "plan.row.gain": {"id": "Perkiraan kenaikan SKP", "en": "Forecast SKP gain"},
    "plan.gain": {
        "id": "{gain} poin (interval {lower} … {upper})",
        "en": "{gain} points (interval {lower} … {upper})",
    },
    "plan.row.at_minimum": {"id": "Mencapai 20 JP", "en": "Reaching 20 JP"},
    "plan.row.below": {"id": "Masih di bawah 20 JP", "en": "Still below 20 JP"},
    "plan.reason.budget": {"id": "anggaran", "en": "budget"},
    "plan.reason.seats": {"id": "kursi penuh", "en": "seats full"},
    "plan.reason.away": {
        "id": "kuota pegawai yang ditinggalkan",
        "en": "unit's share of staff away",
    },
    "plan.reason.no_training": {
        "id": "tidak ada pelatihan yang sesuai",
        "en": "no suitable training",
    },
    "plan.row.gap": {
        "id": "Selisih terhadap batas atas LP",
        "en": "Gap to the LP bound",
    },
    "plan.no_bound": {"id": "tidak dihitung", "en": "not computed"},
    "plan.row.values": {"id": "Dasar perkiraan", "en": "Forecasts from"},
    "plan.values.rule": {
        "id": "aturan kesenjangan kompetensi",
        "en": "the competency-gap rule",
    },
    "plan.values.champion": {"id": "model juara", "en": "the champion model"},
    "plan.values.mixed": {
        "id": "{share} aturan kesenjangan kompetensi, sisanya model juara",
        "en": "{share} the competency-gap rule, the rest the champion model",
    },
    "plan.row.method": {"id": "Metode", "en": "Method"},
    "plan.method": {"id": "{method}, {seconds} detik", "en": "{method}, {seconds} s"},
    "plan.row.greedy": {
        "id": "Pembanding: greedy per rupiah",
        "en": "Baseline: greedy per rupiah",
    },
    "plan.row.gap_rule": {
        "id": "Pembanding: rencana aturan kesenjangan",
        "en": "Baseline: the gap rule's plan",
    },
    "plan.row.greedy_is_gap_rule": {
        "id": "Pembanding: greedy per rupiah = rencana aturan kesenjangan",
        "en": "Baseline: greedy per rupiah = the gap rule's plan",
    },
    "plan.written": {
        "id": "Dokumen rencana ditulis ke {path}",
        "en": "Plan document written to {path}",
    },
    "evaluating": {"id": "Mengevaluasi program pengembangan", "en": "Evaluating the program"},
    "evaluation.bad_out": {
        "id": "--out: buku kerja evaluasi harus berupa .xlsx, bukan {path}",
        "en": "--out: the evaluation workbook must be .xlsx, not {path}",
    },
    "evaluation.bad_option": {
        "id": "{option}: nilai {value} tidak valid",
        "en": "{option}: {value} is not a valid value",
    },
    "evaluation.failed": {
        "id": "Evaluasi tidak dapat dibuat: {reason}",
        "en": "The evaluation cannot be made: {reason}",
    },
    "evaluation.written": {
        "id": "Buku kerja evaluasi ditulis ke {path}",
        "en": "Evaluation workbook written to {path}",
    },
    "plan.logged_evaluation": {
        "id": "Evaluasi dicatat di MLflow (eksperimen {experiment}, run {run_id})",
        "en": "Evaluation logged to MLflow (experiment {experiment}, run {run_id})",
    },
    "evaluation.title": {
        "id": "Evaluasi pelatihan yang dimulai tahun {year}",
        "en": "Evaluation of the trainings started in {year}",
    },
    "evaluation.verdict": {"id": "Kesimpulan", "en": "Verdict"},
    "evaluation.trainings": {"id": "Pelatihan", "en": "Trainings"},
    "evaluation.flagged": {
        "id": "Tidak berhasil, tinjau ulang di rencana berikutnya: {ids}",
        "en": "Do not work, reconsider in the next plan: {ids}",
    },
    "evaluation.no_units": {
        "id": "Layanan unit tidak dievaluasi: {reason}",
        "en": "Unit service not evaluated: {reason}",
    },
    "plan.logged": {
        "id": "Rencana dicatat di MLflow (eksperimen {experiment}, run {run_id})",
        "en": "Plan logged to MLflow (experiment {experiment}, run {run_id})",
    },
    # --- recommend trainings: the whole list (marginal gains) and its ranker
    "recommend.list_gain": {
        "id": "Perkiraan kenaikan SKP seluruh daftar: +{gain:.1f} poin (tiap pelatihan dihitung "
        "sebagai tambahan setelah pelatihan di atasnya); diurutkan oleh {ranker}.",
        "en": "Forecast SKP gain of the whole list: +{gain:.1f} points (each training counted "
        "on top of the trainings above it); ranked by {ranker}.",
    },
    # --- score: the agency plans attached (each person's place in the plan)
    "score.plan_and_no_plan": {
        "id": "Pilih --plan atau --no-plan, bukan keduanya.",
        "en": "Give --plan or --no-plan, not both.",
    },
    "score.plans_off": {
        "id": "Tanpa rencana terlampir (--no-plan): tidak ada yang mendapat tempat dalam rencana.",
        "en": "No plan attached (--no-plan): nobody gets a place in a plan.",
    },
    "score.no_plans": {
        "id": "Tanpa rencana terlampir: MLflow belum memiliki rencana `recsys plan` untuk tahun "
        "{year} (lampirkan dengan --plan RUN_ID).",
        "en": "No plan attached: MLflow has no `recsys plan` plan for {year} (attach one with "
        "--plan RUN_ID).",
    },
    "score.plan_error": {
        "id": "Rencana tidak dapat dilampirkan: {error}. Tidak ada yang ditulis (--no-plan: "
        "menilai tanpa rencana).",
        "en": "A plan cannot be attached: {error}. Nothing was written (--no-plan: score "
        "without plans).",
    },
    "score.plans": {"id": "Rencana terlampir: {plans}.", "en": "Plans attached: {plans}."},
    "score.plan": {
        "id": "run {run} ({scope}, {year}): {people:,} pegawai",
        "en": "run {run} ({scope}, {year}): {people:,} employees",
    },
    "score.plan_left_out": {
        "id": " ({left_out:,} lainnya bukan pegawai aktif data ini, dilewati)",
        "en": " ({left_out:,} more are not active employees of this data, left out)",
    },
    "score.every_agency": {"id": "semua instansi", "en": "every agency"},
}


def t_or(key: str, lang: Language, fallback: str, **values: object) -> str:
    """:func:`t` if ``key`` is a message (e.g. one made from an error's code or a column's
    name), else ``fallback``."""
    return t(key, lang, **values) if key in _MESSAGES else fallback


def t(key: str, lang: Language, **values: object) -> str:
    """The message ``key`` in ``lang``, filled with ``values`` (numbers in ``lang``'s way)."""
    entry = _MESSAGES[key]
    template = entry.get(lang) or entry["en"]
    return fill(template, lang, **values)
