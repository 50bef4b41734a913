"""The static side of the demo world: agencies, units, competencies, positions and trainings.

Modelled on regional governments (pemerintah daerah) such as Kota Sawahlunto, Provinsi Jambi
and Provinsi Jawa Tengah: each agency has the usual dinas/badan, kecamatan and, in the
kabupaten, UPTD Puskesmas; some of those sit in remote (3T) areas. Positions carry the
managerial competencies M1–M8, Perekat Bangsa (SK1) and three technical competencies of
their field, with required levels set by position type.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from recsys.data.contract import MODALITIES
from recsys.simulation.mechanism import (
    MECHANISM,
    TEMPLATE_MULTI_MODALITY_SHARE,
    Mechanism,
)

MANAGERIAL = (
    ("M1", "Integritas"),
    ("M2", "Kerja Sama"),
    ("M3", "Komunikasi"),
    ("M4", "Orientasi pada Hasil"),
    ("M5", "Pelayanan Publik"),
    ("M6", "Pengembangan Diri dan Orang Lain"),
    ("M7", "Mengelola Perubahan"),
    ("M8", "Pengambilan Keputusan"),
)
SOCIO_CULTURAL = (("SK1", "Perekat Bangsa"),)
TECHNICAL = (
    ("T-ADM-01", "Administrasi Perkantoran"),
    ("T-ARS-01", "Pengelolaan Kearsipan"),
    ("T-HKM-01", "Penyusunan Produk Hukum Daerah"),
    ("T-ORG-01", "Kelembagaan dan Tata Laksana"),
    ("T-SDM-01", "Manajemen ASN"),
    ("T-SDM-02", "Pengembangan Kompetensi ASN"),
    ("T-REN-01", "Perencanaan Pembangunan Daerah"),
    ("T-REN-02", "Monitoring dan Evaluasi Pembangunan"),
    ("T-DAT-01", "Analisis Data dan Statistik"),
    ("T-KEU-01", "Pengelolaan Keuangan Daerah"),
    ("T-KEU-02", "Akuntansi Pemerintahan"),
    ("T-AST-01", "Pengelolaan Barang Milik Daerah"),
    ("T-DUK-01", "Pelayanan Administrasi Kependudukan"),
    ("T-DUK-02", "Pengelolaan Database Kependudukan"),
    ("T-TIK-01", "Pengelolaan Sistem Informasi"),
    ("T-TIK-02", "Keamanan Informasi"),
    ("T-KES-01", "Manajemen Pelayanan Kesehatan"),
    ("T-KES-02", "Surveilans dan Promosi Kesehatan"),
    ("T-DIK-01", "Manajemen Pendidikan"),
    ("T-DIK-02", "Penjaminan Mutu Pendidikan"),
    ("T-PRZ-01", "Pelayanan Perizinan Berusaha"),
    ("T-PRZ-02", "Promosi Penanaman Modal"),
    ("T-PUR-01", "Perencanaan Teknis Infrastruktur"),
    ("T-PUR-02", "Pengawasan Konstruksi"),
    ("T-PBJ-01", "Pengadaan Barang/Jasa Pemerintah"),
    ("T-SOS-01", "Rehabilitasi dan Pemberdayaan Sosial"),
    ("T-SOS-02", "Pengelolaan Data Terpadu Kesejahteraan Sosial"),
    ("T-PEN-01", "Pengelolaan Pajak dan Retribusi Daerah"),
    ("T-KOM-01", "Komunikasi Publik"),
    ("T-PEL-01", "Pelayanan Administrasi Terpadu Kecamatan"),
)
#: The competencies every position carries, in a fixed slot order.
COMMON_CODES = tuple(code for code, _ in MANAGERIAL + SOCIO_CULTURAL)
N_TECH_SLOTS = 3
N_SLOTS = len(COMMON_CODES) + N_TECH_SLOTS

POSITION_TYPES = ("jpt", "administrator", "pengawas", "pelaksana", "fungsional")
#: Rank used for seniority (mentoring, supervision): higher is more senior.
POSITION_RANK = {"pelaksana": 0, "fungsional": 1, "pengawas": 2, "administrator": 3, "jpt": 4}


@dataclass(frozen=True)
class Domain:
    """A field of government work: the units that do it and the positions in them."""

    code: str
    unit: str  # unit name before the agency suffix
    technical: tuple[str, str, str]
    fungsional: str
    pelaksana: tuple[str, str]
    areas: tuple[str, str]
    weight: float  # share of an agency's staff


DOMAINS: tuple[Domain, ...] = (
    Domain(
        "SETDA",
        "Sekretariat Daerah",
        ("T-ADM-01", "T-HKM-01", "T-ORG-01"),
        "Analis Hukum",
        ("Pengadministrasi Umum Setda", "Pengelola Tata Laksana"),
        ("Pemerintahan", "Organisasi"),
        0.08,
    ),
    Domain(
        "BKPSDM",
        "Badan Kepegawaian dan Pengembangan Sumber Daya Manusia",
        ("T-SDM-01", "T-SDM-02", "T-ADM-01"),
        "Analis SDM Aparatur",
        ("Pengelola Data Kepegawaian", "Pengelola Pengembangan Kompetensi"),
        ("Mutasi dan Promosi", "Pengembangan Kompetensi"),
        0.04,
    ),
    Domain(
        "BAPPEDA",
        "Badan Perencanaan Pembangunan Daerah",
        ("T-REN-01", "T-REN-02", "T-DAT-01"),
        "Perencana",
        ("Pengelola Data Perencanaan", "Pengolah Bahan Evaluasi"),
        ("Perencanaan Makro", "Evaluasi Pembangunan"),
        0.04,
    ),
    Domain(
        "BPKAD",
        "Badan Pengelolaan Keuangan dan Aset Daerah",
        ("T-KEU-01", "T-KEU-02", "T-AST-01"),
        "Analis Keuangan Pusat dan Daerah",
        ("Pengelola Keuangan", "Pengadministrasi Barang Milik Daerah"),
        ("Anggaran", "Akuntansi dan Aset"),
        0.05,
    ),
    Domain(
        "DUKCAPIL",
        "Dinas Kependudukan dan Pencatatan Sipil",
        ("T-DUK-01", "T-DUK-02", "T-TIK-01"),
        "Administrator Database Kependudukan",
        ("Pengelola Layanan Kependudukan", "Verifikator Data Kependudukan"),
        ("Pelayanan Pendaftaran Penduduk", "Pencatatan Sipil"),
        0.05,
    ),
    Domain(
        "DINKES",
        "Dinas Kesehatan",
        ("T-KES-01", "T-KES-02", "T-ADM-01"),
        "Epidemiolog Kesehatan",
        ("Pengelola Program Kesehatan", "Pengadministrasi Kesehatan"),
        ("Pelayanan Kesehatan", "Pencegahan Penyakit"),
        0.10,
    ),
    Domain(
        "DISDIK",
        "Dinas Pendidikan",
        ("T-DIK-01", "T-DIK-02", "T-ADM-01"),
        "Pengawas Sekolah",
        ("Pengelola Data Pendidikan", "Pengadministrasi Sekolah"),
        ("Pendidikan Dasar", "Pendidik dan Tenaga Kependidikan"),
        0.14,
    ),
    Domain(
        "DPMPTSP",
        "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
        ("T-PRZ-01", "T-PRZ-02", "T-TIK-01"),
        "Analis Penanaman Modal",
        ("Pengelola Perizinan", "Petugas Layanan Informasi"),
        ("Pelayanan Perizinan", "Promosi Penanaman Modal"),
        0.03,
    ),
    Domain(
        "DPUPR",
        "Dinas Pekerjaan Umum dan Penataan Ruang",
        ("T-PUR-01", "T-PUR-02", "T-PBJ-01"),
        "Teknik Jalan dan Jembatan",
        ("Pengawas Lapangan", "Pengelola Pengadaan"),
        ("Bina Marga", "Penataan Ruang"),
        0.06,
    ),
    Domain(
        "DINSOS",
        "Dinas Sosial",
        ("T-SOS-01", "T-SOS-02", "T-ADM-01"),
        "Penyuluh Sosial",
        ("Pendamping Rehabilitasi Sosial", "Pengelola Data Kesejahteraan Sosial"),
        ("Rehabilitasi Sosial", "Perlindungan dan Jaminan Sosial"),
        0.04,
    ),
    Domain(
        "BAPENDA",
        "Badan Pendapatan Daerah",
        ("T-PEN-01", "T-KEU-01", "T-TIK-01"),
        "Penilai Pajak",
        ("Pengelola Pajak Daerah", "Petugas Pemungut Retribusi"),
        ("Pajak Daerah", "Retribusi Daerah"),
        0.04,
    ),
    Domain(
        "KOMINFO",
        "Dinas Komunikasi dan Informatika",
        ("T-TIK-01", "T-TIK-02", "T-KOM-01"),
        "Pranata Humas",
        ("Pengelola Aplikasi", "Pengelola Media Informasi"),
        ("Aplikasi Informatika", "Informasi dan Komunikasi Publik"),
        0.03,
    ),
    Domain(
        "KECAMATAN",
        "Kecamatan",
        ("T-PEL-01", "T-DUK-01", "T-ADM-01"),
        "Penyuluh Pemerintahan",
        ("Pengelola Layanan Kecamatan", "Pengadministrasi Pemerintahan Kecamatan"),
        ("Pemerintahan Kecamatan", "Pelayanan Umum"),
        0.14,
    ),
    Domain(
        "PUSKESMAS",
        "UPTD Puskesmas",
        ("T-KES-01", "T-KES-02", "T-ADM-01"),
        "Perawat",
        ("Pengelola Pelayanan Puskesmas", "Pengadministrasi Puskesmas"),
        ("Upaya Kesehatan Masyarakat", "Upaya Kesehatan Perorangan"),
        0.16,
    ),
)
DOMAINS_BY_CODE = {d.code: d for d in DOMAINS}

#: Positions found in every domain, with a fixed technical profile.
SHARED_POSITIONS: tuple[tuple[str, str, tuple[str, str, str]], ...] = (
    ("Kepala Subbagian Umum dan Kepegawaian", "pengawas", ("T-ADM-01", "T-SDM-01", "T-KEU-01")),
    ("Pengadministrasi Perkantoran", "pelaksana", ("T-ADM-01", "T-ARS-01", "T-TIK-01")),
    ("Pranata Komputer", "fungsional", ("T-TIK-01", "T-TIK-02", "T-DAT-01")),
    ("Analis Kebijakan", "fungsional", ("T-REN-01", "T-DAT-01", "T-HKM-01")),
)

#: Required level per position type: (managerial, socio-cultural, technical).
REQUIRED_LEVELS = {
    "jpt": (4, 4, 4),
    "administrator": (3, 3, 4),
    "pengawas": (3, 3, 3),
    "pelaksana": (2, 2, 3),
    "fungsional": (2, 2, 4),
}
#: Competencies that weigh more in a position type's performance (beyond technical ones).
KEY_MANAGERIAL = {
    "jpt": ("M7", "M8", "M4"),
    "administrator": ("M8", "M4", "M6"),
    "pengawas": ("M4", "M6", "M2"),
    "pelaksana": ("M5", "M4", "M1"),
    "fungsional": ("M4", "M5", "M3"),
}


@dataclass(frozen=True)
class Agency:
    name: str
    kind: str  # "provinsi" | "kabupaten" | "kota"
    region: str  # seat
    province: str
    weight: float
    kecamatan: tuple[tuple[str, bool], ...]  # (name, remote)
    uptd_regions: tuple[tuple[str, bool], ...] = ()  # provincial UPTD seats (region, remote)


AGENCIES: tuple[Agency, ...] = (
    Agency(
        "Pemerintah Kota Sawahlunto",
        "kota",
        "Kota Sawahlunto",
        "Sumatera Barat",
        0.06,
        (("Barangin", False), ("Lembah Segar", False), ("Silungkang", True), ("Talawi", True)),
    ),
    Agency(
        "Pemerintah Provinsi Sumatera Barat",
        "provinsi",
        "Kota Padang",
        "Sumatera Barat",
        0.10,
        (),
        (
            ("Kabupaten Kepulauan Mentawai", True),
            ("Kabupaten Solok", False),
            ("Kabupaten Pesisir Selatan", False),
        ),
    ),
    Agency(
        "Pemerintah Provinsi Jambi",
        "provinsi",
        "Kota Jambi",
        "Jambi",
        0.10,
        (),
        (
            ("Kabupaten Kerinci", True),
            ("Kabupaten Merangin", True),
            ("Kabupaten Tanjung Jabung Timur", True),
            ("Kabupaten Sarolangun", False),
        ),
    ),
    Agency(
        "Pemerintah Kota Jambi",
        "kota",
        "Kota Jambi",
        "Jambi",
        0.08,
        (
            ("Jambi Timur", False),
            ("Telanaipura", False),
            ("Kota Baru", False),
            ("Danau Sipin", False),
        ),
    ),
    Agency(
        "Pemerintah Kabupaten Kerinci",
        "kabupaten",
        "Kabupaten Kerinci",
        "Jambi",
        0.07,
        (
            ("Gunung Kerinci", True),
            ("Kayu Aro", True),
            ("Air Hangat", False),
            ("Siulak", True),
            ("Batang Merangin", True),
        ),
    ),
    Agency(
        "Pemerintah Kabupaten Merangin",
        "kabupaten",
        "Kabupaten Merangin",
        "Jambi",
        0.06,
        (("Bangko", False), ("Jangkat", True), ("Lembah Masurai", True), ("Tabir", True)),
    ),
    Agency(
        "Pemerintah Provinsi Jawa Tengah",
        "provinsi",
        "Kota Semarang",
        "Jawa Tengah",
        0.18,
        (),
        (
            ("Kabupaten Banyumas", False),
            ("Kabupaten Cilacap", False),
            ("Kabupaten Wonosobo", False),
            ("Kabupaten Blora", True),
        ),
    ),
    Agency(
        "Pemerintah Kota Semarang",
        "kota",
        "Kota Semarang",
        "Jawa Tengah",
        0.12,
        (
            ("Semarang Tengah", False),
            ("Tembalang", False),
            ("Banyumanik", False),
            ("Gunungpati", False),
            ("Mijen", False),
        ),
    ),
    Agency(
        "Pemerintah Kabupaten Banyumas",
        "kabupaten",
        "Kabupaten Banyumas",
        "Jawa Tengah",
        0.13,
        (
            ("Purwokerto Utara", False),
            ("Ajibarang", False),
            ("Cilongok", True),
            ("Lumbir", True),
            ("Gumelar", True),
        ),
    ),
    Agency(
        "Pemerintah Kabupaten Wonosobo",
        "kabupaten",
        "Kabupaten Wonosobo",
        "Jawa Tengah",
        0.10,
        (
            ("Wonosobo", False),
            ("Kejajar", True),
            ("Garung", True),
            ("Kalikajar", False),
            ("Sapuran", True),
        ),
    ),
)


def agency_suffix(agency: Agency) -> str:
    """'Kota Sawahlunto', 'Provinsi Jambi', 'Kabupaten Kerinci'."""
    return agency.name.removeprefix("Pemerintah ")


def build_units() -> pd.DataFrame:
    """Every unit kerja of every agency, with its domain, region, remoteness and size weight.

    Columns: unit, agency, agency_idx, domain, region, remote_area, central, weight
    (share of the agency's staff).
    """
    rows: list[dict[str, object]] = []
    for a_idx, agency in enumerate(AGENCIES):
        suffix = agency_suffix(agency)
        for domain in DOMAINS:
            if domain.code == "KECAMATAN":
                if not agency.kecamatan:
                    continue
                share = domain.weight / len(agency.kecamatan)
                for name, remote in agency.kecamatan:
                    rows.append(
                        {
                            "unit": f"Kecamatan {name} {suffix}",
                            "agency_idx": a_idx,
                            "domain": domain.code,
                            "region": agency.region,
                            "remote_area": remote,
                            "central": False,
                            "weight": share,
                        }
                    )
                continue
            if domain.code == "PUSKESMAS":
                seats = agency.kecamatan if agency.kind != "provinsi" else ()
                if not seats:
                    continue
                share = domain.weight / len(seats)
                for name, remote in seats:
                    rows.append(
                        {
                            "unit": f"UPTD Puskesmas {name} {suffix}",
                            "agency_idx": a_idx,
                            "domain": domain.code,
                            "region": agency.region,
                            "remote_area": remote,
                            "central": False,
                            "weight": share,
                        }
                    )
                continue
            weight = domain.weight
            if agency.kind == "provinsi" and domain.code in ("BAPENDA", "DINKES", "DISDIK"):
                # Provincial UPTD (Samsat, balai) in the kabupaten, some of them remote.
                uptd_share = weight * 0.5 / len(agency.uptd_regions)
                label = {
                    "BAPENDA": "UPTD Samsat",
                    "DINKES": "UPTD Balai Kesehatan",
                    "DISDIK": "Cabang Dinas Pendidikan",
                }[domain.code]
                for region, remote in agency.uptd_regions:
                    place = region.removeprefix("Kabupaten ")
                    rows.append(
                        {
                            "unit": f"{label} {place} {suffix}",
                            "agency_idx": a_idx,
                            "domain": domain.code,
                            "region": region,
                            "remote_area": remote,
                            "central": False,
                            "weight": uptd_share,
                        }
                    )
                weight *= 0.5
            if agency.kind == "provinsi" and domain.code == "KECAMATAN":
                continue
            rows.append(
                {
                    "unit": f"{domain.unit} {suffix}",
                    "agency_idx": a_idx,
                    "domain": domain.code,
                    "region": agency.region,
                    "remote_area": False,
                    "central": domain.code in ("SETDA", "BKPSDM", "BAPPEDA", "BPKAD"),
                    "weight": weight,
                }
            )
    units = pd.DataFrame(rows)
    units["agency"] = [AGENCIES[i].name for i in units["agency_idx"]]
    units["weight"] = units["weight"] / units.groupby("agency_idx")["weight"].transform("sum")
    return units


def build_positions() -> pd.DataFrame:
    """Every position (jabatan): name, type, domain ('*' for shared) and its three
    technical competencies."""
    rows: list[dict[str, object]] = []
    for d in DOMAINS:
        if d.code == "KECAMATAN":
            named = [("Camat", "administrator"), ("Sekretaris Kecamatan", "administrator")]
        elif d.code == "PUSKESMAS":
            named = [("Kepala Puskesmas", "administrator")]
        else:
            named = [(f"Kepala {d.unit}", "jpt"), (f"Sekretaris {d.unit}", "administrator")]
            named += [(f"Kepala Bidang {area}", "administrator") for area in d.areas]
        named += [(f"Kepala Seksi {area}", "pengawas") for area in d.areas]
        named += [(d.fungsional, "fungsional")]
        named += [(p, "pelaksana") for p in d.pelaksana]
        for name, ptype in named:
            rows.append(
                {"position": name, "position_type": ptype, "domain": d.code, "tech": d.technical}
            )
    for name, ptype, tech in SHARED_POSITIONS:
        rows.append({"position": name, "position_type": ptype, "domain": "*", "tech": tech})
    positions = pd.DataFrame(rows).drop_duplicates("position").reset_index(drop=True)
    return positions


def competency_table() -> pd.DataFrame:
    """The contract's competencies table."""
    rows = [(c, n, "manajerial") for c, n in MANAGERIAL]
    rows += [(c, n, "sosial_kultural") for c, n in SOCIO_CULTURAL]
    rows += [(c, n, "teknis") for c, n in TECHNICAL]
    return pd.DataFrame(rows, columns=["code", "name", "kind"])


def position_slots(positions: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per position and competency slot: competency code, required level and weight in
    performance.

    Returns ``codes`` (object array, positions × N_SLOTS), ``required`` (int) and
    ``weights`` (float, rows sum to 1).
    """
    n = len(positions)
    codes = np.empty((n, N_SLOTS), dtype=object)
    required = np.zeros((n, N_SLOTS), dtype=np.int64)
    weights = np.zeros((n, N_SLOTS))
    n_common = len(COMMON_CODES)
    for i, (ptype, tech) in enumerate(
        zip(positions["position_type"], positions["tech"], strict=True)
    ):
        man, soc, tec = REQUIRED_LEVELS[ptype]
        codes[i, :n_common] = COMMON_CODES
        codes[i, n_common:] = tech
        required[i, : n_common - 1] = man
        required[i, n_common - 1] = soc
        required[i, n_common:] = tec
        w = np.full(N_SLOTS, 0.5)
        for code in KEY_MANAGERIAL[ptype]:
            w[COMMON_CODES.index(code)] = 1.2
        w[n_common:] = (2.0, 1.6, 1.0)
        weights[i] = w / w.sum()
    # Technical standards vary a little by position so that they are not all the same.
    return codes, required, weights


def standards_table(positions: pd.DataFrame) -> pd.DataFrame:
    """The contract's competency_standards table."""
    codes, required, _ = position_slots(positions)
    n = len(positions)
    return pd.DataFrame(
        {
            "position": np.repeat(positions["position"].to_numpy(), N_SLOTS),
            "competency": codes.reshape(-1),
            "required_level": required.reshape(-1),
        }
    ).iloc[: n * N_SLOTS]


# ----------------------------------------------------------------------------- trainings

#: The catalog's templates: title, modality, JP, cost (IDR), provider and the competencies
#: each develops as ``code:target_level`` pairs separated by ``;``.
TRAININGS_FILE = "trainings.csv"


def training_templates() -> pd.DataFrame:
    """The catalog templates shipped with the package (one row per training)."""
    source = resources.files("recsys.simulation").joinpath(TRAININGS_FILE)
    with source.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype={"title": str, "provider": str, "develops": str})


#: Trainings added to the catalog at the end of the history: active, never taken yet.
N_NEW_TRAININGS = 4
#: Trainings discontinued before the end of the history.
DISCONTINUED_SHARE = 0.08


#: Catalog variants beyond the templates ("catalog_scale" above 1): title suffix, JP and cost
#: factor, change of every target level.
_LEVEL_VARIANTS = (("Tingkat Lanjut", 1.25, +1), ("Tingkat Dasar", 0.75, -1))
#: Another modality of the same title ("multi_modality_share"): JP and cost factors.
_MODALITY_JP = {"e_learning": 0.6, "blended": 0.8}
_MODALITY_COST = {"e_learning": 0.35, "blended": 0.7, "coaching": 1.2, "magang": 1.3}
_LEADERSHIP_PREFIX = "Pelatihan Kepemimpinan"


def shape_templates(
    rng: np.random.Generator, templates: pd.DataFrame, scale: float, multi_share: float
) -> pd.DataFrame:
    """The templates resized to ``scale`` × their count and with ``multi_share`` of titles
    offered in more than one modality (same title, same provider and competencies).

    Below 1, a random subset of titles is kept; above 1, basic and advanced variants of
    existing courses are added (not of leadership programmes). A share equal to the
    templates' own (:data:`TEMPLATE_MULTI_MODALITY_SHARE`) leaves the modalities as they are.
    """
    rows = templates.assign(_key=np.arange(len(templates), dtype=float))
    if scale < 1.0:
        titles = rows["title"].unique()
        keep = rng.choice(titles, size=max(8, round(len(titles) * scale)), replace=False)
        rows = rows[rows["title"].isin(keep)]
    elif scale > 1.0:
        base = np.flatnonzero(~rows["title"].str.startswith(_LEADERSHIP_PREFIX).to_numpy())
        pairs = [(i, v) for i in base for v in range(len(_LEVEL_VARIANTS))]
        n_add = min(round(len(rows) * (scale - 1.0)), len(pairs))
        added = []
        for p in np.sort(rng.choice(len(pairs), size=n_add, replace=False)):
            i, v = pairs[p]
            suffix, factor, step = _LEVEL_VARIANTS[v]
            row = rows.iloc[i].copy()
            row["title"] = f"{row['title']} {suffix}"
            row["hours_jp"] = max(4, round(row["hours_jp"] * factor))
            row["cost_idr"] = round(row["cost_idr"] * factor, -3)
            row["develops"] = ";".join(
                f"{code}:{min(5, max(2, int(level) + step))}"
                for code, level in (pair.split(":") for pair in row["develops"].split(";"))
            )
            row["_key"] = i + 0.1 * (v + 1)
            added.append(row)
        rows = pd.concat([rows, pd.DataFrame(added)], ignore_index=True)
    if multi_share != TEMPLATE_MULTI_MODALITY_SHARE:
        rows = _reshape_modalities(rng, rows, multi_share)
    rows = rows.sort_values("_key", kind="stable").drop(columns="_key")
    return rows.reset_index(drop=True).astype({"hours_jp": int})


def _reshape_modalities(rng: np.random.Generator, rows: pd.DataFrame, share: float) -> pd.DataFrame:
    """Drop or add other modalities of the same title until ``share`` of titles have more
    than one."""
    n_modalities = rows.groupby("title", sort=False)["modality"].nunique()
    target = round(share * len(n_modalities))
    multi = n_modalities.index[n_modalities > 1].to_numpy()
    if len(multi) > target:
        drop = set(rng.choice(multi, size=len(multi) - target, replace=False))
        repeat = rows["title"].isin(drop) & rows.duplicated("title")
        return rows[~repeat]
    single = n_modalities.index[
        (n_modalities == 1) & ~n_modalities.index.str.startswith(_LEADERSHIP_PREFIX)
    ].to_numpy()
    chosen = rng.choice(single, size=min(target - len(multi), len(single)), replace=False)
    added = []
    for title in chosen:
        row = rows[rows["title"] == title].iloc[0]
        others = [m for m in MODALITIES if m != row["modality"]]
        n_extra = 1 + int(rng.random() < 0.4)
        for j, modality in enumerate(rng.choice(others, size=n_extra, replace=False)):
            extra = row.copy()
            extra["modality"] = modality
            extra["hours_jp"] = max(4, round(row["hours_jp"] * _MODALITY_JP.get(modality, 1.0)))
            extra["cost_idr"] = round(row["cost_idr"] * _MODALITY_COST.get(modality, 1.0), -3)
            extra["_key"] = row["_key"] + 0.01 * (j + 1)
            added.append(extra)
    return pd.concat([rows, pd.DataFrame(added)], ignore_index=True)


#: Typical training quality (median) and its log-sd in the demo world.
QUALITY_MEDIAN = 0.32
QUALITY_LOG_SD = 0.45


def build_trainings(
    rng: np.random.Generator, n_employees: int, mech: Mechanism = MECHANISM
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The catalog and its training_competencies, plus each training's latent traits.

    Returns ``(trainings, training_competencies)``. ``trainings`` has the contract columns
    and the latent columns ``quality`` (how much of a gap it closes; revealed only by
    outcomes), ``popularity`` (how often HR picks it, unrelated to quality) and ``is_new``.
    The mechanism's ``catalog_scale``, ``multi_modality_share`` and ``quality_spread`` shape
    the catalog (the defaults: the templates as they are).
    """
    templates = training_templates()
    if mech.catalog_scale != 1.0 or mech.multi_modality_share != TEMPLATE_MULTI_MODALITY_SHARE:
        templates = shape_templates(rng, templates, mech.catalog_scale, mech.multi_modality_share)
    n = len(templates)
    ids = [f"PLT-{i + 1:03d}" for i in range(n)]
    modality = templates["modality"].tolist()
    hours = templates["hours_jp"].to_numpy()
    # Providers adjust prices a little from year to year; round to thousands of rupiah.
    cost = np.round(templates["cost_idr"].to_numpy(dtype=float) * rng.uniform(0.9, 1.1, n), -3)
    quality = rng.lognormal(np.log(QUALITY_MEDIAN), QUALITY_LOG_SD, n)
    if mech.quality_spread != 1.0:
        log_median = np.log(QUALITY_MEDIAN)
        quality = np.exp(log_median + mech.quality_spread * (np.log(quality) - log_median))
    quality = np.clip(quality, 0.05, 0.9)
    popularity = rng.lognormal(0.0, 0.9, n)
    seats = {
        "klasikal": 0.004,
        "workshop": 0.003,
        "magang": 0.0008,
        "coaching": 0.002,
        "blended": 0.004,
    }
    capacity = np.array(
        [max(15, round(seats[m] * n_employees)) if m in seats else -1 for m in modality]
    )
    order = rng.permutation(n)
    is_new = np.zeros(n, dtype=bool)
    is_new[order[:N_NEW_TRAININGS]] = True
    active = np.ones(n, dtype=bool)
    n_disc = round(DISCONTINUED_SHARE * n)
    active[order[N_NEW_TRAININGS : N_NEW_TRAININGS + n_disc]] = False
    trainings = pd.DataFrame(
        {
            "training_id": ids,
            "title": templates["title"].to_numpy(),
            "modality": modality,
            "hours_jp": hours,
            "cost_idr": cost,
            "provider": templates["provider"].to_numpy(),
            "capacity": pd.array(np.where(capacity > 0, capacity, 0), dtype="Int64"),
            "active": active,
            "quality": quality,
            "popularity": popularity,
            "is_new": is_new,
        }
    )
    trainings.loc[capacity <= 0, "capacity"] = pd.NA
    links = pd.DataFrame(
        [
            (ids[i], code, int(level))
            for i, develops in enumerate(templates["develops"])
            for code, level in (pair.split(":") for pair in develops.split(";"))
        ],
        columns=["training_id", "competency", "target_level"],
    )
    return trainings, links
