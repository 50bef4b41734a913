"""The data contract: every table an agency loads, its columns, types and rules.

This module is the single source of truth for ``DATA_CONTRACT.md``. The loader validates
against it, the demo-world generator writes it, and ``docs/data-contract.md`` is generated
from it (``recsys contract``). Column names are English snake_case; category values are the
Indonesian terms HR staff already use.

Row rules that involve one column (type, range, category, NIP format) are declared on the
column. Rules across columns or tables (NIP consistency, date order, references) are listed
on the table and carried out in :mod:`recsys.data.validation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

import pandas as pd

ColumnKind = Literal["id", "string", "date", "bool", "int", "number", "category"]

#: One dtype for every identifier, in every table (nip, training_id, codes, ...).
ID_DTYPE = pd.StringDtype("pyarrow")
TEXT_DTYPE = pd.StringDtype("pyarrow")
DATE_DTYPE: Final = "datetime64[ns]"

GENDERS = ("M", "F")
POSITION_TYPES = ("jpt", "administrator", "pengawas", "pelaksana", "fungsional")
#: Seniority of each position type (higher = more senior); ties are broken by grade.
POSITION_SENIORITY = {"pelaksana": 0, "fungsional": 1, "pengawas": 2, "administrator": 3, "jpt": 4}
#: Golongan ruang, lowest to highest.
GRADES = (
    *(f"{group}/{letter}" for group in ("I", "II", "III", "IV") for letter in "abcd"),
    "IV/e",
)
EDUCATION_LEVELS = ("SD", "SMP", "SMA", "D3", "D4", "S1", "S2", "S3")
COMPETENCY_KINDS = ("manajerial", "sosial_kultural", "teknis")
#: SKP predikat kinerja, from worst to best.
RATINGS = ("sangat_kurang", "kurang", "butuh_perbaikan", "baik", "sangat_baik")
MODALITIES = ("klasikal", "e_learning", "blended", "workshop", "seminar", "coaching", "magang")
ENROLLMENT_STATUSES = ("completed", "dropped", "in_progress")

#: Months after an activity ends before its effect on performance is judged.
OUTCOME_LAG_MONTHS = 6
#: Minimum age at TMT CPNS, in years.
MIN_HIRE_AGE_YEARS = 18


@dataclass(frozen=True)
class Column:
    """One column of a contract table.

    ``required`` means the column must be present in the file; ``nullable`` means a cell may
    be empty. Bounds are inclusive unless ``exclusive_min`` is set.
    """

    name: str
    kind: ColumnKind
    description: str
    required: bool = True
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    exclusive_min: bool = False
    categories: tuple[str, ...] | None = None
    ordered: bool = False
    unique: bool = False
    references: tuple[str, str] | None = None
    default: bool | None = None
    pattern: str | None = None

    @property
    def dtype(self) -> object:
        """The pandas dtype of the column in a loaded frame."""
        if self.kind == "id":
            return ID_DTYPE
        if self.kind == "string":
            return TEXT_DTYPE
        if self.kind == "date":
            return DATE_DTYPE
        if self.kind == "bool":
            return "bool" if (not self.nullable or self.default is not None) else "boolean"
        if self.kind == "int":
            return "int64" if not self.nullable else "Int64"
        if self.kind == "number":
            return "float64"
        assert self.categories is not None
        return pd.CategoricalDtype(list(self.categories), ordered=self.ordered)


@dataclass(frozen=True)
class Table:
    """One contract table: its columns and the rules that span columns or tables."""

    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    optional: bool = False
    key: str | None = None
    row_rules: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def dtypes(self) -> dict[str, object]:
        return {c.name: c.dtype for c in self.columns}


NIP_PATTERN = r"^\d{18}$"

EMPLOYEES = Table(
    name="employees",
    title="pegawai",
    description="One row per civil servant (ASN).",
    key="nip",
    columns=(
        Column(
            "nip",
            "id",
            "18 digits: birth date YYYYMMDD, TMT CPNS YYYYMM, gender digit (1 M, 2 F), "
            "3-digit sequence",
            unique=True,
            pattern=NIP_PATTERN,
        ),
        Column("name", "string", "full name, not empty"),
        Column("gender", "category", "M or F", categories=GENDERS),
        Column("birth_date", "date", "date of birth"),
        Column("agency", "string", "instansi, e.g. Pemerintah Kota Sawahlunto"),
        Column("unit", "string", "unit kerja, e.g. Dinas Kependudukan dan Pencatatan Sipil"),
        Column("region", "string", "kabupaten/kota of the workplace"),
        Column("remote_area", "bool", "works in a daerah 3T / remote location"),
        Column("position", "string", "jabatan; key into competency_standards"),
        Column("position_type", "category", "kind of position", categories=POSITION_TYPES),
        Column("grade", "category", "golongan ruang", categories=GRADES, ordered=True),
        Column(
            "education",
            "category",
            "highest education",
            categories=EDUCATION_LEVELS,
            ordered=True,
        ),
        Column("hire_date", "date", "TMT CPNS, not before birth_date + 18 years"),
        Column(
            "supervisor_nip",
            "id",
            "nip of the direct supervisor",
            required=False,
            nullable=True,
            pattern=NIP_PATTERN,
            references=("employees", "nip"),
        ),
        Column(
            "active",
            "bool",
            "still in service (default true)",
            required=False,
            nullable=True,
            default=True,
        ),
    ),
    row_rules=("nip_consistent", "hired_adult", "not_own_supervisor"),
)

COMPETENCIES = Table(
    name="competencies",
    title="kompetensi",
    description="The competency dictionary.",
    key="code",
    columns=(
        Column("code", "id", "e.g. M1…M8 (manajerial), SK1, T-ADM-01 (teknis)", unique=True),
        Column("name", "string", "e.g. Integritas, Pelayanan Publik"),
        Column("kind", "category", "kind of competency", categories=COMPETENCY_KINDS),
    ),
)

COMPETENCY_STANDARDS = Table(
    name="competency_standards",
    title="standar kompetensi jabatan",
    description="The level each position requires in each competency.",
    columns=(
        Column("position", "string", "a jabatan, as in employees.position"),
        Column(
            "competency",
            "id",
            "a competencies.code",
            references=("competencies", "code"),
        ),
        Column("required_level", "int", "1–5", minimum=1, maximum=5),
    ),
)

ASSESSMENTS = Table(
    name="assessments",
    title="hasil asesmen kompetensi",
    description="Measured competency levels.",
    columns=(
        Column("nip", "id", "an employee", references=("employees", "nip")),
        Column("competency", "id", "a competencies.code", references=("competencies", "code")),
        Column("level", "number", "1.0–5.0", minimum=1.0, maximum=5.0),
        Column("assessed_on", "date", "date of the assessment"),
    ),
)

PERFORMANCE = Table(
    name="performance",
    title="SKP",
    description="Performance appraisals (annual or quarterly).",
    columns=(
        Column("nip", "id", "an employee", references=("employees", "nip")),
        Column("period_end", "date", "end of the appraisal period"),
        Column("rating", "category", "predikat kinerja", categories=RATINGS, ordered=True),
        Column("score", "number", "0–120", required=False, nullable=True, minimum=0, maximum=120),
    ),
)

TRAININGS = Table(
    name="trainings",
    title="katalog pengembangan kompetensi",
    description="The catalog of development activities.",
    key="training_id",
    columns=(
        Column("training_id", "id", "unique id", unique=True),
        Column("title", "string", "title of the activity"),
        Column("modality", "category", "form of delivery", categories=MODALITIES),
        Column("hours_jp", "int", "> 0, jam pelajaran", minimum=0, exclusive_min=True),
        Column("cost_idr", "number", "≥ 0, cost per participant in rupiah", minimum=0),
        Column("provider", "string", "e.g. BPSDM Provinsi Jambi, LAN"),
        Column(
            "capacity",
            "int",
            "seats per year",
            required=False,
            nullable=True,
            minimum=0,
            exclusive_min=True,
        ),
        Column(
            "active",
            "bool",
            "offered now (default true)",
            required=False,
            nullable=True,
            default=True,
        ),
    ),
)

TRAINING_COMPETENCIES = Table(
    name="training_competencies",
    title="kompetensi yang dikembangkan",
    description="Which competencies each training develops, and up to which level.",
    columns=(
        Column("training_id", "id", "a training", references=("trainings", "training_id")),
        Column("competency", "id", "a competencies.code", references=("competencies", "code")),
        Column("target_level", "int", "1–5, the level it develops up to", minimum=1, maximum=5),
    ),
)

ENROLLMENTS = Table(
    name="enrollments",
    title="riwayat pelatihan",
    description="Who took which training, and how it went (Kirkpatrick levels 1–3).",
    key="enrollment_id",
    columns=(
        Column("enrollment_id", "id", "unique id", unique=True),
        Column("nip", "id", "an employee", references=("employees", "nip")),
        Column("training_id", "id", "a training", references=("trainings", "training_id")),
        Column("start_date", "date", "first day"),
        Column("end_date", "date", "last day, ≥ start_date"),
        Column("status", "category", "outcome of the enrollment", categories=ENROLLMENT_STATUSES),
        Column(
            "pre_score",
            "number",
            "0–100, test before (level 2)",
            required=False,
            nullable=True,
            minimum=0,
            maximum=100,
        ),
        Column(
            "post_score",
            "number",
            "0–100, test after (level 2)",
            required=False,
            nullable=True,
            minimum=0,
            maximum=100,
        ),
        Column(
            "reaction_score",
            "number",
            "1–5, participant survey (level 1)",
            required=False,
            nullable=True,
            minimum=1,
            maximum=5,
        ),
        Column(
            "behavior_score",
            "number",
            "1–5, supervisor's evaluation after the training (level 3)",
            required=False,
            nullable=True,
            minimum=1,
            maximum=5,
        ),
    ),
    row_rules=("end_after_start",),
)

MENTORSHIPS = Table(
    name="mentorships",
    title="bimbingan / mentoring",
    description="Past and running mentorships.",
    optional=True,
    key="mentorship_id",
    columns=(
        Column("mentorship_id", "id", "unique id", unique=True),
        Column("mentor_nip", "id", "an employee", references=("employees", "nip")),
        Column("mentee_nip", "id", "an employee, not the mentor", references=("employees", "nip")),
        Column(
            "competency",
            "id",
            "focus competency",
            required=False,
            nullable=True,
            references=("competencies", "code"),
        ),
        Column("start_date", "date", "first day"),
        Column("end_date", "date", "last day, ≥ start_date", required=False, nullable=True),
        Column(
            "mentee_rating",
            "number",
            "1–5, the mentee's rating",
            required=False,
            nullable=True,
            minimum=1,
            maximum=5,
        ),
    ),
    row_rules=("end_after_start", "mentor_not_mentee"),
)

SERVICE_METRICS = Table(
    name="service_metrics",
    title="kinerja layanan unit",
    description="Public-service quality per unit and period (IKM/SKM, service time).",
    optional=True,
    columns=(
        Column("unit", "string", "an employees.unit", references=("employees", "unit")),
        Column("period_end", "date", "end of the period"),
        Column("satisfaction_index", "number", "0–100, IKM/SKM", minimum=0, maximum=100),
        Column("avg_service_days", "number", "≥ 0, days", minimum=0),
    ),
)

#: Every table, in load order: a table is loaded after the tables it references.
TABLES: tuple[Table, ...] = (
    COMPETENCIES,
    EMPLOYEES,
    COMPETENCY_STANDARDS,
    ASSESSMENTS,
    PERFORMANCE,
    TRAININGS,
    TRAINING_COMPETENCIES,
    ENROLLMENTS,
    MENTORSHIPS,
    SERVICE_METRICS,
)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    """The contract table called ``name``; a clear error for an unknown name."""
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        known = ", ".join(TABLES_BY_NAME)
        raise KeyError(f"unknown table {name!r}; the contract has: {known}") from None
