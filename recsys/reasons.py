"""One-line reasons for recommendations, in Bahasa Indonesia (default) or English."""

from __future__ import annotations

import pandas as pd

from recsys.data.loading import Dataset

_TEMPLATES = {
    "id": {
        "closes": "Menutup kesenjangan {gaps}",
        "gain": "perkiraan kenaikan nilai SKP +{gain:.1f} poin ({lower:.1f} s.d. {upper:.1f})",
        "estimated": "tingkat kompetensi diperkirakan (belum diases)",
        "new": "pelatihan baru: perkiraan dari pelatihan sejenis",
    },
    "en": {
        "closes": "Closes the gap in {gaps}",
        "gain": "forecast SKP gain +{gain:.1f} points ({lower:.1f} to {upper:.1f})",
        "estimated": "competency level estimated (not yet assessed)",
        "new": "new training: estimate from similar trainings",
    },
}
LANGUAGES = tuple(_TEMPLATES)


def check_language(lang: str) -> str:
    """``lang`` if supported, else a clear error."""
    if lang not in _TEMPLATES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    return lang


def explain_trainings(
    top: pd.DataFrame, detail: pd.DataFrame, ds: Dataset, lang: str
) -> tuple[list[str], list[str]]:
    """For each recommended pair (``top``'s index = pair id in ``detail``): the gaps it
    closes (``CODE level→target``, most important first) and a one-line reason."""
    words = _TEMPLATES[check_language(lang)]
    names = ds.competencies.set_index("code")["name"].astype(str)
    detail = detail[detail["pair"].isin(top.index) & (detail["closable"] > 0)]
    detail = detail.assign(priority=detail["closable"] * detail["weight"]).sort_values(
        ["pair", "priority"], ascending=[True, False], kind="stable"
    )
    seen = set(ds.enrollments["training_id"].astype(str))
    gaps_closed: list[str] = []
    reasons: list[str] = []
    by_pair: dict[int, pd.DataFrame] = {
        int(pair): rows  # type: ignore[arg-type]
        for pair, rows in detail.groupby("pair", sort=False)
    }
    for pair, row in top.iterrows():
        rows = by_pair.get(int(pair))  # type: ignore[call-overload]
        if rows is None:
            gaps_closed.append("")
            reasons.append(
                words["gain"].format(
                    gain=row["expected_gain"], lower=row["gain_lower"], upper=row["gain_upper"]
                )
            )
            continue
        codes = rows["competency"].astype(str).tolist()
        spans = [
            f"{code} {level:.1f}→{target:.0f}"
            for code, level, target in zip(codes, rows["level"], rows["target"], strict=True)
        ]
        gaps_closed.append("; ".join(spans))
        first = rows.head(2)
        named = ", ".join(
            f"{names.get(code, code)} ({level:.1f}→{target:.0f})"
            for code, level, target in zip(codes[:2], first["level"], first["target"], strict=True)
        )
        parts = [
            words["closes"].format(gaps=named),
            words["gain"].format(
                gain=row["expected_gain"], lower=row["gain_lower"], upper=row["gain_upper"]
            ),
        ]
        if not rows["assessed"].all():
            parts.append(words["estimated"])
        if str(row["training_id"]) not in seen:
            parts.append(words["new"])
        reasons.append("; ".join(parts) + ".")
    return gaps_closed, reasons
