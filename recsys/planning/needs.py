"""Training needs analysis (analisis kebutuhan pelatihan) as an agency's HR reports it.

Three views of the active staff (of one agency, or all), each a plain table:

1. **Competency gaps per unit and competency.** A person's level in a competency is their
   latest assessment before the decision date (the record HR has; trainings completed since
   are not assumed to have closed anything); the gap is the position's required level minus
   that level, at least 0. A competency of the standard that was never assessed has no gap
   (unknown, not zero) and is counted as "not assessed".
2. **Who is below standard**: one row per person with at least one assessed competency below
   the standard — NIP, unit, position and the competencies, largest gap first. Nothing more
   personal than HR needs to act on it: no name, no birth date, no gender.
3. **The 20-JP minimum.** Every ASN is due at least :data:`MIN_JP_PER_YEAR` JP (jam
   pelajaran) of competency development a year. JP completed in a calendar year are the
   ``hours_jp`` of the person's *completed* enrollments that ended in it (dropped and running
   ones count nothing; mentorships carry no JP in the data contract). A person's shortfall
   is ``max(0, 20 − JP completed)``; a unit's JP need is the sum of its staff's shortfalls —
   the JP the unit must still deliver so that everyone reaches 20.

:func:`analyse` computes all of them; :data:`HR_LABELS` turns the column names into the
Indonesian headings HR reports use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from recsys.data.cohorts import staff
from recsys.data.loading import Dataset
from recsys.data.snapshot import latest_date
from recsys.features.competency_state import AS_OF, QUERY, competency_state
from recsys.models.importance import CompetencyImportance

#: Minimum competency development per ASN per year, in JP (jam pelajaran).
MIN_JP_PER_YEAR = 20
#: Keys of a unit (unit names are only unique within an agency).
UNIT = ["agency", "unit"]

#: Indonesian column headings for HR reports (see :func:`hr_labels`).
HR_LABELS = {
    "nip": "NIP",
    "agency": "Instansi",
    "unit": "Unit Kerja",
    "position": "Jabatan",
    "position_type": "Jenis Jabatan",
    "competency": "Kode Kompetensi",
    "competency_name": "Kompetensi",
    "kind": "Jenis Kompetensi",
    "required_level": "Level Standar",
    "assessed_level": "Level Asesmen",
    "assessed_on": "Tanggal Asesmen",
    "gap": "Kesenjangan",
    "staff": "Jumlah Pegawai",
    "assessed": "Sudah Diasesmen",
    "share_assessed": "Persentase Sudah Diasesmen",
    "not_assessed": "Belum Diasesmen",
    "below_standard": "Di Bawah Standar",
    "share_below": "Persentase Di Bawah Standar",
    "mean_gap": "Rata-rata Kesenjangan",
    "total_gap": "Total Kesenjangan",
    "max_gap": "Kesenjangan Terbesar",
    "n_below": "Jumlah Kompetensi Di Bawah Standar",
    "competencies_below": "Kompetensi Di Bawah Standar",
    "weight": "Bobot terhadap Kinerja (poin SKP per level)",
    "priority": "Prioritas (poin SKP)",
    "jp_completed": "JP Tercapai",
    "jp_shortfall": "Kekurangan JP",
    "below_minimum": "Pegawai < 20 JP",
    "jp_needed": "Kebutuhan JP",
}


def hr_labels(frame: pd.DataFrame, *, index: str | None = None) -> pd.DataFrame:
    """``frame`` with the Indonesian headings of :data:`HR_LABELS` (other columns as they
    are); ``index``: a column (by its English name) to use as the row labels."""
    labelled = frame.rename(columns=HR_LABELS)
    if index is not None:
        labelled = labelled.set_index(HR_LABELS.get(index, index))
    return labelled


def default_year(ds: Dataset) -> int:
    """The calendar year of the data set's last appraisal period: the year under review."""
    return int((latest_date(ds) - pd.Timedelta(days=1)).year)


# ----------------------------------------------------------------------------- gaps


def competency_gaps(
    ds: Dataset, *, agency: str | None = None, as_of: pd.Timestamp | None = None
) -> pd.DataFrame:
    """One row per (active person, competency of their position's standard).

    Columns: ``nip``, ``agency``, ``unit``, ``position``, ``position_type``, ``competency``,
    ``required_level`` (1–5), ``assessed_level`` (1.0–5.0, the latest assessment before
    ``as_of``; NaN: never assessed), ``assessed_on``, ``gap`` (levels, ≥ 0; NaN when not
    assessed) and ``below_standard`` (assessed and gap > 0). ``as_of`` defaults to the day
    after the last appraisal period. People whose position has no standard have no rows.
    """
    people = staff(ds, agency)
    when = pd.Timestamp(as_of) if as_of is not None else latest_date(ds)
    state = competency_state(ds, pd.DataFrame({"nip": people["nip"], AS_OF: when}))
    info = people.iloc[state[QUERY].to_numpy()].reset_index(drop=True)
    gap = (state["required_level"] - state["assessed_level"]).clip(lower=0)
    return pd.DataFrame(
        {
            "nip": info["nip"],
            "agency": info["agency"],
            "unit": info["unit"],
            "position": info["position"],
            "position_type": info["position_type"],
            "competency": state["competency"].to_numpy(),
            "required_level": state["required_level"].to_numpy(),
            "assessed_level": state["assessed_level"].to_numpy(dtype=float),
            "assessed_on": state["assessed_on"].to_numpy(),
            "gap": gap.to_numpy(dtype=float),
            "below_standard": (gap > 0).to_numpy(dtype=bool),
        }
    )


def _summarise(gaps: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = gaps.assign(assessed=gaps["gap"].notna()).groupby(keys, sort=True, observed=True)
    out = grouped.agg(
        staff=("nip", "size"),
        assessed=("assessed", "sum"),
        below_standard=("below_standard", "sum"),
        mean_gap=("gap", "mean"),
        total_gap=("gap", "sum"),
    )
    out["not_assessed"] = out["staff"] - out["assessed"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_below"] = out["below_standard"] / out["assessed"].where(out["assessed"] > 0)
    columns = [
        "staff",
        "assessed",
        "not_assessed",
        "below_standard",
        "share_below",
        "mean_gap",
        "total_gap",
    ]
    return out[columns].reset_index()


def unit_gaps(gaps: pd.DataFrame) -> pd.DataFrame:
    """Per unit and competency (from :func:`competency_gaps`): ``staff`` whose standard
    includes it, ``assessed``, ``not_assessed``, ``below_standard`` (people),
    ``share_below`` (of the assessed, 0–1), ``mean_gap`` and ``total_gap`` (levels, over
    the assessed)."""
    return _summarise(gaps, [*UNIT, "competency"])


def gap_matrix(by_unit: pd.DataFrame, value: str = "mean_gap") -> pd.DataFrame:
    """Units (rows, ``unit`` names) × competencies (columns, codes) of one column of
    :func:`unit_gaps`; NaN where no one in the unit is assessed in it. For a heatmap."""
    matrix = by_unit.pivot_table(
        index="unit", columns="competency", values=value, aggfunc="mean", dropna=False
    )
    matrix.columns = matrix.columns.astype(str)
    matrix.index = matrix.index.astype(str)
    return matrix


def competency_summary(
    ds: Dataset, gaps: pd.DataFrame, importance: CompetencyImportance | None = None
) -> pd.DataFrame:
    """Per competency across the whole scope: its name and kind, and the counts and gaps of
    :func:`unit_gaps`. With ``importance`` (fitted), also ``weight`` — how many SKP points a
    level of shortfall in it is associated with, averaged over the scope's people — and
    ``priority`` = weight × total gap (SKP points at stake), by which the rows are sorted;
    otherwise they are sorted by total gap."""
    out = _summarise(gaps, ["competency"])
    names = ds.competencies.set_index(ds.competencies["code"].astype(str))
    out.insert(1, "competency_name", out["competency"].astype(str).map(names["name"]))
    out.insert(2, "kind", out["competency"].astype(str).map(names["kind"].astype(str)))
    order = "total_gap"
    if importance is not None:
        weight = importance.weight(gaps["position_type"].astype(str), gaps["competency"])
        mean_weight = pd.Series(weight).groupby(gaps["competency"].to_numpy()).mean()
        out["weight"] = out["competency"].map(mean_weight).to_numpy(dtype=float)
        per_person = pd.Series(weight * gaps["gap"].fillna(0.0).to_numpy())
        priority = per_person.groupby(gaps["competency"].to_numpy()).sum()
        out["priority"] = out["competency"].map(priority).to_numpy(dtype=float)
        order = "priority"
    return out.sort_values(order, ascending=False, kind="stable").reset_index(drop=True)


def below_standard(gaps: pd.DataFrame) -> pd.DataFrame:
    """Who is below standard: one row per person with at least one assessed competency
    below it — ``nip``, ``unit``, ``position``, ``n_below`` (competencies),
    ``competencies_below`` (codes, largest gap first) and ``max_gap`` (levels). Sorted by
    agency, unit, then largest gap first."""
    below = gaps[gaps["below_standard"]].sort_values(
        ["nip", "gap", "competency"], ascending=[True, False, True], kind="stable"
    )
    grouped = below.groupby("nip", sort=False)
    out = pd.DataFrame(
        {
            "agency": grouped["agency"].first(),
            "unit": grouped["unit"].first(),
            "position": grouped["position"].first(),
            "n_below": grouped.size(),
            "competencies_below": grouped["competency"].agg(lambda c: ", ".join(c.astype(str))),
            "max_gap": grouped["gap"].max(),
        }
    ).reset_index()
    out = out.sort_values(
        [*UNIT, "max_gap", "nip"], ascending=[True, True, False, True], kind="stable"
    )
    columns = ["nip", "agency", "unit", "position", "n_below", "competencies_below", "max_gap"]
    return out[columns].reset_index(drop=True)


# ----------------------------------------------------------------------------- JP


def jp_completed(
    ds: Dataset,
    year: int,
    *,
    agency: str | None = None,
    minimum: int = MIN_JP_PER_YEAR,
) -> pd.DataFrame:
    """Per active person: ``nip``, ``agency``, ``unit``, ``jp_completed`` (JP of completed
    enrollments that ended in ``year``) and ``jp_shortfall`` = max(0, minimum − JP)."""
    people = staff(ds, agency)
    enrolled = ds.enrollments
    done = enrolled[
        (enrolled["status"].astype(str) == "completed") & (enrolled["end_date"].dt.year == year)
    ]
    hours = ds.trainings.set_index("training_id")["hours_jp"]
    jp = (
        pd.Series(done["training_id"].map(hours).to_numpy(dtype=float))
        .groupby(done["nip"].astype(str).to_numpy())
        .sum()
    )
    completed = jp.reindex(people["nip"].astype(str)).fillna(0.0).to_numpy()
    return pd.DataFrame(
        {
            "nip": people["nip"],
            "agency": people["agency"],
            "unit": people["unit"],
            "jp_completed": completed,
            "jp_shortfall": np.maximum(0.0, minimum - completed),
        }
    )


def unit_jp_needs(jp: pd.DataFrame, *, minimum: int = MIN_JP_PER_YEAR) -> pd.DataFrame:
    """Per unit (from :func:`jp_completed`): ``staff``, ``below_minimum`` (people under
    ``minimum`` JP), ``jp_completed`` (total) and ``jp_needed`` (sum of the shortfalls: the
    JP still to deliver so that everyone reaches the minimum). Largest need first."""
    grouped = jp.assign(under=jp["jp_completed"] < minimum).groupby(UNIT, observed=True)
    out = grouped.agg(
        staff=("nip", "size"),
        below_minimum=("under", "sum"),
        jp_completed=("jp_completed", "sum"),
        jp_needed=("jp_shortfall", "sum"),
    ).reset_index()
    return out.sort_values(["jp_needed", *UNIT], ascending=[False, True, True], kind="stable")[
        [*UNIT, "staff", "below_minimum", "jp_completed", "jp_needed"]
    ].reset_index(drop=True)


# ----------------------------------------------------------------------------- all of it


@dataclass(frozen=True)
class NeedsAnalysis:
    """An agency's training needs analysis (see the module docstring for each table)."""

    agency: str | None
    as_of: pd.Timestamp
    year: int
    gaps: pd.DataFrame
    by_unit: pd.DataFrame
    by_competency: pd.DataFrame
    below_standard: pd.DataFrame
    jp: pd.DataFrame
    jp_by_unit: pd.DataFrame

    def headline(self) -> dict[str, float]:
        """Key figures: ``staff``, ``share_assessed`` (with at least one assessment, 0–1),
        ``below_standard`` and ``below_minimum`` (people under the JP minimum) and
        ``jp_needed`` (JP in total)."""
        people = len(self.jp)
        assessed = int(self.gaps.groupby("nip")["gap"].count().gt(0).sum())
        return {
            "staff": people,
            "share_assessed": round(assessed / people, 3) if people else float("nan"),
            "below_standard": len(self.below_standard),
            "below_minimum": int(self.jp_by_unit["below_minimum"].sum()),
            "jp_needed": float(self.jp_by_unit["jp_needed"].sum()),
        }


def analyse(
    ds: Dataset,
    *,
    agency: str | None = None,
    as_of: pd.Timestamp | None = None,
    year: int | None = None,
    importance: CompetencyImportance | None = None,
) -> NeedsAnalysis:
    """The needs analysis of ``agency`` (None: every agency) as of ``as_of`` (default: the day
    after the last appraisal period) with JP counted in ``year`` (default
    :func:`default_year`). ``importance`` adds the priority of each competency."""
    when = pd.Timestamp(as_of) if as_of is not None else latest_date(ds)
    year = default_year(ds) if year is None else int(year)
    gaps = competency_gaps(ds, agency=agency, as_of=when)
    jp = jp_completed(ds, year, agency=agency)
    return NeedsAnalysis(
        agency=agency,
        as_of=when,
        year=year,
        gaps=gaps,
        by_unit=unit_gaps(gaps),
        by_competency=competency_summary(ds, gaps, importance),
        below_standard=below_standard(gaps),
        jp=jp,
        jp_by_unit=unit_jp_needs(jp),
    )
