"""One-line reasons for recommendations, in Bahasa Indonesia (default) or English."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.data.loading import Dataset
from recsys.settings import LANGUAGES

_TEMPLATES = {
    "id": {
        "closes": "Menutup kesenjangan {gaps}",
        "gain": "perkiraan kenaikan nilai SKP +{gain:.1f} poin ({lower:.1f} s.d. {upper:.1f})",
        "estimated": "tingkat kompetensi diperkirakan (belum diases)",
        "new": "pelatihan baru: perkiraan dari pelatihan sejenis",
        "covers": "Unggul di {gaps}",
        "same_unit": "satu unit kerja",
        "same_region": "satu wilayah, beda unit",
        "far": "beda wilayah (bimbingan jarak jauh)",
        "supervisor": "atasan langsung",
        "no_record": "belum pernah membimbing: perkiraan dari mentor sejenis",
    },
    "en": {
        "closes": "Closes the gap in {gaps}",
        "gain": "forecast SKP gain +{gain:.1f} points ({lower:.1f} to {upper:.1f})",
        "estimated": "competency level estimated (not yet assessed)",
        "new": "new training: estimate from similar trainings",
        "covers": "Ahead in {gaps}",
        "same_unit": "same unit",
        "same_region": "same region, other unit",
        "far": "other region (remote mentoring)",
        "supervisor": "direct supervisor",
        "no_record": "has not mentored before: estimate from similar mentors",
    },
}


def check_language(lang: str) -> str:
    """``lang`` if supported, else a clear error."""
    if lang not in _TEMPLATES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    return lang


def _span(codes: pd.Series, levels: pd.Series, targets: pd.Series) -> pd.Series:
    """'CODE 2.6→4' for each row (levels to one decimal, targets whole)."""
    return codes.astype(str) + " " + _one_decimal(levels) + "→" + targets.astype(int).astype(str)


def _one_decimal(values: pd.Series) -> pd.Series:
    """``f"{round(v, 1):.1f}"`` for each value, by table look-up (levels span a few units,
    so there are few distinct strings; formatting each of millions of values is slow)."""
    if len(values) == 0:
        return pd.Series([], index=values.index, dtype=object)
    tenths = np.rint(values.to_numpy(dtype=float) * 10).astype(np.int64)
    low = int(tenths.min())
    table = np.array([f"{i / 10:.1f}" for i in range(low, int(tenths.max()) + 1)], dtype=object)
    return pd.Series(table[tenths - low], index=values.index, dtype=object)


def _join_groups(texts: pd.Series, groups: np.ndarray, sep: str) -> pd.Series:
    """Join consecutive texts of the same group (``groups`` sorted) with ``sep``."""
    if len(groups) == 0:
        return pd.Series(dtype=object)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    ends = np.r_[starts[1:], len(groups)]
    values = texts.astype(object).tolist()
    joined = [sep.join(values[a:b]) for a, b in zip(starts, ends, strict=True)]
    return pd.Series(joined, index=groups[starts], dtype=object)


def explain_trainings(
    top: pd.DataFrame, detail: pd.DataFrame, ds: Dataset, lang: str
) -> tuple[list[str], list[str]]:
    """For each recommended pair (``top``'s index = pair id in ``detail``): the gaps it
    closes (``CODE level→target``, most important first) and a one-line reason."""
    words = _TEMPLATES[check_language(lang)]
    names = ds.competencies.set_index(ds.competencies["code"].astype(str))["name"].astype(str)
    detail = detail[detail["pair"].isin(top.index) & (detail["closable"] > 0)]
    detail = detail.assign(priority=detail["closable"] * detail["weight"]).sort_values(
        ["pair", "priority"], ascending=[True, False], kind="stable"
    )
    codes = detail["competency"].astype(str)
    spans = _span(codes, detail["level"], detail["target"])
    gaps = _join_groups(spans, detail["pair"].to_numpy(), "; ")
    first = detail.groupby("pair", sort=False).head(2)
    named_rows = (
        first["competency"].astype(str).map(names).fillna(first["competency"].astype(str))
        + " ("
        + _one_decimal(first["level"])
        + "→"
        + first["target"].astype(int).astype(str)
        + ")"
    )
    named = _join_groups(named_rows, first["pair"].to_numpy(), ", ")
    unassessed = (~detail["assessed"]).groupby(detail["pair"].to_numpy(), sort=False).any()
    seen = set(ds.enrollments["training_id"].astype(str))

    pairs = top.index.to_numpy()
    gaps_closed = gaps.reindex(pairs).fillna("").tolist()
    named_list = named.reindex(pairs).tolist()
    estimated = unassessed.reindex(pairs).fillna(False).to_numpy(dtype=bool)
    is_new = ~np.isin(top["training_id"].astype(str).to_numpy(), list(seen))
    reasons = []
    for i, (gain, lower, upper) in enumerate(
        zip(top["expected_gain"], top["gain_lower"], top["gain_upper"], strict=True)
    ):
        parts = []
        if isinstance(named_list[i], str):
            parts.append(words["closes"].format(gaps=named_list[i]))
        parts.append(words["gain"].format(gain=gain, lower=lower, upper=upper))
        if estimated[i]:
            parts.append(words["estimated"])
        if is_new[i]:
            parts.append(words["new"])
        reasons.append("; ".join(parts) + ".")
    return gaps_closed, reasons


def explain_mentors(
    top: pd.DataFrame, detail: pd.DataFrame, ds: Dataset, lang: str
) -> tuple[list[str], list[str], list[str]]:
    """For each recommended (mentee, mentor) pair (``top``'s index = pair id in
    ``detail``): the gaps the mentor covers (``CODE mentee→mentor``, most valuable first),
    a one-line reason and the distance in words."""
    words = _TEMPLATES[check_language(lang)]
    names = ds.competencies.set_index(ds.competencies["code"].astype(str))["name"].astype(str)
    detail = detail[detail["pair"].isin(top.index)].sort_values(
        ["pair", "priority"], ascending=[True, False], kind="stable"
    )
    codes = detail["competency"].astype(str)
    spans = codes + " " + _one_decimal(detail["level"]) + "→" + _one_decimal(detail["mentor_level"])
    gaps = _join_groups(spans, detail["pair"].to_numpy(), "; ")
    first = detail.groupby("pair", sort=False).head(2)
    named_rows = codes.loc[first.index].map(names).fillna(codes.loc[first.index]) + (
        " (" + spans.loc[first.index].str.split(" ", n=1).str[1] + ")"
    )
    named = _join_groups(named_rows, first["pair"].to_numpy(), ", ")
    unassessed = (~detail["assessed"]).groupby(detail["pair"].to_numpy(), sort=False).any()
    pairs = top.index.to_numpy()
    gaps_covered = gaps.reindex(pairs).fillna("").tolist()
    named_list = named.reindex(pairs).tolist()
    estimated = unassessed.reindex(pairs).fillna(False).to_numpy(dtype=bool)
    distance = [words[str(d)] for d in top["distance"]]
    reasons = []
    for i, (gain, lower, upper, supervisor, record) in enumerate(
        zip(
            top["expected_gain"],
            top["gain_lower"],
            top["gain_upper"],
            top["is_supervisor"],
            top["has_record"],
            strict=True,
        )
    ):
        parts = []
        if isinstance(named_list[i], str):
            parts.append(words["covers"].format(gaps=named_list[i]))
        parts.append(distance[i] + (f" ({words['supervisor']})" if supervisor else ""))
        parts.append(words["gain"].format(gain=gain, lower=lower, upper=upper))
        if estimated[i]:
            parts.append(words["estimated"])
        if not record:
            parts.append(words["no_record"])
        reasons.append("; ".join(parts) + ".")
    return gaps_covered, reasons, distance
