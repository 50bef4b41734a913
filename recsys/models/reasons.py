"""One-line reasons for recommendations, in Bahasa Indonesia (default) or English.

A training list is built by marginal gain (:mod:`recsys.models.marginal`): an item's
forecast is what it adds on top of the items above it. Its reason says so when that is
clearly less than the training would gain alone, and the first item's reason names the
ranker that made the list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from string import Formatter

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from recsys.data.loading import Dataset
from recsys.features.pair import enrolled_trainings
from recsys.numbers import fill, localize
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
        "on_top": "tambahan setelah pelatihan di atasnya (sendiri: +{alone:.1f} poin)",
        "ranked_by": "diurutkan oleh {ranker}",
        "assigned": "pasangan dari pencocokan mentor instansi (kapasitas tiap mentor dipatuhi)",
        "alternative": "alternatif: mentor ini masih punya kapasitas",
        "slots": " (sisa tempat: {slots})",
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
        "on_top": "on top of the trainings above (alone: +{alone:.1f} points)",
        "ranked_by": "ranked by {ranker}",
        "assigned": "the pair the agency's mentor matching makes (each mentor's capacity "
        "respected)",
        "alternative": "alternative: this mentor still has room",
        "slots": " (free places: {slots})",
    },
}
#: What each training ranker (:data:`recsys.models.selection.RANKERS`) is called in a
#: sentence ("ranked by …").
_RANKER_NAMES = {
    "id": {
        "structured": "model terstruktur",
        "uplift": "model uplift fleksibel",
        "blend": "gabungan beberapa model",
        "gap_rule": "aturan kesenjangan kompetensi",
    },
    "en": {
        "structured": "the structured model",
        "uplift": "the flexible uplift model",
        "blend": "a blend of several models",
        "gap_rule": "the competency-gap rule",
    },
}
#: Why the agency's mentor matching leaves a person out, per
#: :data:`recsys.planning.matching.UNMATCHED_REASONS` code.
_UNASSIGNED = {
    "id": {
        "no_candidates": "Tidak ada calon mentor yang memenuhi syarat di instansi ini.",
        "no_positive_gain": "Tidak ada calon mentor dengan perkiraan kenaikan nilai SKP positif.",
        "capacity": "Semua calon mentor sudah penuh: oleh bimbingan yang sedang berjalan atau "
        "oleh mentee dengan perkiraan kenaikan lebih besar.",
    },
    "en": {
        "no_candidates": "No eligible mentor in the agency.",
        "no_positive_gain": "No candidate mentor with a positive forecast SKP gain.",
        "capacity": "Every candidate mentor is full: with ongoing mentorships or with mentees "
        "forecast to gain more.",
    },
}
#: An item below the first is said to add "on top of the trainings above" when its
#: marginal gain is below this share of its gain alone.
ON_TOP_SHARE = 0.9


def check_language(lang: str) -> str:
    """``lang`` if supported, else a clear error."""
    if lang not in _TEMPLATES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    return lang


def ranker_name(ranker: str, lang: str) -> str:
    """How the training ranker ``ranker`` is named in a sentence in ``lang`` (the name
    itself if it has no wording)."""
    return _RANKER_NAMES[check_language(lang)].get(str(ranker), str(ranker))


def _span(codes: pd.Series, levels: pd.Series, targets: pd.Series) -> pd.Series:
    """'CODE 2.6→4' for each row (levels to one decimal, targets whole)."""
    return codes.astype(str) + " " + _one_decimal(levels) + "→" + targets.astype(int).astype(str)


def _tenths(**values: float) -> dict[str, float]:
    """Each value rounded to a tenth, never "-0.0" (a tiny negative bound reads as 0.0)."""
    return {name: round(float(v), 1) + 0.0 for name, v in values.items()}


def _one_decimal(values: pd.Series, lang: str = "en") -> pd.Series:
    """``f"{round(v, 1):.1f}"`` for each value, written as ``lang`` writes numbers, by table
    look-up (levels span a few units, so there are few distinct strings; formatting each of
    millions of values is slow)."""
    if len(values) == 0:
        return pd.Series([], index=values.index, dtype=object)
    tenths = np.rint(values.to_numpy(dtype=float) * 10).astype(np.int64)
    low = int(tenths.min())
    table = np.array(
        [localize(f"{i / 10:.1f}", lang) for i in range(low, int(tenths.max()) + 1)],
        dtype=object,
    )
    return pd.Series(table[tenths - low], index=values.index, dtype=object)


def _join_groups(texts: pd.Series, groups: np.ndarray, sep: str) -> pd.Series:
    """Join consecutive texts of the same group (``groups`` sorted) with ``sep`` (in Arrow:
    one pass over all the texts, not a join per group)."""
    if len(groups) == 0:
        return pd.Series(dtype=object)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    values = pa.array(texts, from_pandas=True)  # Arrow text as it is, without a copy
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    values = values.cast(pa.large_string())  # large: the joined texts may pass 2 GB
    lists = pa.LargeListArray.from_arrays(pa.array(np.r_[starts, len(groups)], pa.int64()), values)
    joined = pc.binary_join(lists, pa.scalar(sep, pa.large_string()))
    return pd.Series(joined.to_pylist(), index=groups[starts], dtype=object)


def explain_trainings(
    top: pd.DataFrame, detail: pd.DataFrame, ds: Dataset, lang: str
) -> tuple[list[str], list[str]]:
    """For each recommended pair (``top``'s index = pair id in ``detail``): the gaps it
    closes (``CODE level→target``, most important first) and a one-line reason.

    Optional columns of ``top`` add to the reason: with ``rank`` and ``gain_alone`` (SKP
    points), an item below the first whose ``expected_gain`` (its marginal gain) is below
    :data:`ON_TOP_SHARE` of its gain alone says it adds on top of the items above; with
    ``rank`` and ``ranker``, the first item says which ranker made the list.
    """
    gaps_closed, reasons = explain_trainings_in(top, detail, ds, [lang])
    return gaps_closed, reasons[lang]


def explain_trainings_in(
    top: pd.DataFrame, detail: pd.DataFrame, ds: Dataset, languages: Sequence[str]
) -> tuple[list[str], dict[str, list[str]]]:
    """:func:`explain_trainings` in each of ``languages``: the gaps closed, and the reasons
    per language. What the languages share (the gaps, the names, the numbers) is worked
    out once, and the reasons are written column by column, not row by row."""
    wordings = {lang: _TEMPLATES[check_language(lang)] for lang in languages}
    names = ds.competencies.set_index(ds.competencies["code"].astype(str))["name"].astype(str)
    detail = detail[detail["pair"].isin(top.index) & (detail["closable"] > 0)]
    detail = detail.assign(priority=detail["closable"] * detail["weight"]).sort_values(
        ["pair", "priority"], ascending=[True, False], kind="stable"
    )
    codes = detail["competency"].astype(str)
    spans = _span(codes, detail["level"], detail["target"])
    gaps = _join_groups(spans, detail["pair"].to_numpy(), "; ")
    first = detail.groupby("pair", sort=False).head(2)
    first_names = first["competency"].astype(str).map(names).fillna(first["competency"].astype(str))
    first_targets = first["target"].astype(int).astype(str)
    unassessed = (~detail["assessed"]).groupby(detail["pair"].to_numpy(), sort=False).any()
    seen = enrolled_trainings(ds)

    pairs = top.index.to_numpy()
    n = len(top)
    gaps_closed = gaps.reindex(pairs).fillna("").tolist()
    has_named = np.isin(pairs, first["pair"].to_numpy())  # a pair with a gap to name
    named_in: dict[str, list[str]] = {}  # per language, its levels as it writes numbers
    for lang in wordings:
        levels = _one_decimal(first["level"], lang)
        rows = first_names + " (" + levels + "→" + first_targets + ")"
        named = _join_groups(rows, first["pair"].to_numpy(), ", ")
        named_in[lang] = named.reindex(pairs[has_named]).tolist()
    estimated = unassessed.reindex(pairs).fillna(False).to_numpy(dtype=bool)
    is_new = ~top["training_id"].astype(str).isin(seen).to_numpy(dtype=bool)
    rank = top["rank"].to_numpy() if "rank" in top else np.zeros(n, dtype=int)
    # without these columns (older callers) no item is "on top" and no ranker is named
    has_alone = "rank" in top and "gain_alone" in top
    alone = top["gain_alone"].to_numpy(dtype=float) if has_alone else np.zeros(n)
    marginal = top["expected_gain"].to_numpy(dtype=float)
    on_top = (rank > 1) & (alone > 0) & (marginal < ON_TOP_SHARE * alone)
    has_ranker = "ranker" in top and "rank" in top
    names_ranker = (rank == 1) if has_ranker else np.zeros(n, dtype=bool)
    rankers = (
        top["ranker"].astype(str).to_numpy(dtype=object)[names_ranker].tolist()
        if has_ranker
        else []
    )
    # each value formatted once, as the templates' fields say, then written as each
    # language writes numbers
    alone_text = [format(v, ".1f") for v in alone[on_top].tolist()]
    numbers = {
        "gain:.1f": _tenth_texts(top["expected_gain"]),
        "lower:.1f": _tenth_texts(top["gain_lower"]),
        "upper:.1f": _tenth_texts(top["gain_upper"]),
        "alone:.1f": alone_text,
    }
    reasons = {}
    for lang, words in wordings.items():
        gaps_named = named_in[lang]
        texts = {"gaps": gaps_named, **{k: _localized(v, lang) for k, v in numbers.items()}}
        closes = np.full(n, "", dtype=object)
        closes[has_named] = [t + "; " for t in _fill(words["closes"], texts, len(gaps_named))]
        on_top_text = np.full(n, "", dtype=object)
        on_top_text[on_top] = ["; " + t for t in _fill(words["on_top"], texts, len(alone_text))]
        ranked_by = {
            r: "; " + words["ranked_by"].format(ranker=ranker_name(r, lang)) for r in set(rankers)
        }
        ranked = np.full(n, "", dtype=object)
        ranked[names_ranker] = [ranked_by[r] for r in rankers]
        columns = [
            closes.tolist(),
            _fill(words["gain"], texts, n),
            on_top_text.tolist(),
            np.where(estimated, "; " + words["estimated"], "").tolist(),
            np.where(is_new, "; " + words["new"], "").tolist(),
            ranked.tolist(),
        ]
        reasons[lang] = ["".join(parts) + "." for parts in zip(*columns, strict=True)]
    return gaps_closed, reasons


def _localized(texts: list[str], lang: str) -> list[str]:
    """Numbers formatted by Python, written as ``lang`` writes them (each distinct text
    converted once: a list repeats a few hundred values)."""
    if lang != "id":
        return texts
    table = {text: localize(text, lang) for text in set(texts)}
    return [table[text] for text in texts]


def _tenth_texts(values: pd.Series) -> list[str]:
    """Each value as a reason shows it: ``f"{v:.1f}"`` of ``v`` rounded to a tenth and never
    "-0.0" (:func:`_tenths`).

    By table look-up of the tenths where ``v × 10`` is clearly off a half (the rounding is
    then certain: it is far beyond the product's floating-point error); a value near a
    tie, or not finite, is rounded and formatted one by one as :func:`_tenths` does."""
    v = values.to_numpy(dtype=float)
    scaled = v * 10
    with np.errstate(invalid="ignore"):
        clear = np.isfinite(scaled) & (
            np.abs(scaled - np.floor(scaled) - 0.5) > 1e-6 * np.maximum(1.0, np.abs(scaled))
        )
    tenths, where = np.unique(np.rint(scaled[clear]), return_inverse=True)
    table = np.array([format(t / 10 + 0.0, ".1f") for t in tenths.tolist()], dtype=object)
    out = np.empty(len(v), dtype=object)
    out[clear] = table[where]
    out[~clear] = [format(round(x, 1) + 0.0, ".1f") for x in v[~clear].tolist()]
    return out.tolist()


def _fill(template: str, texts: Mapping[str, Sequence[str]], n: int) -> list[str]:
    """``template`` filled in for ``n`` rows: ``texts`` holds each field's values (keyed
    ``name:spec``, or ``name`` without a spec), already formatted as the spec says."""
    pieces: list[Sequence[str]] = []
    for literal, field, spec, _ in Formatter().parse(template):
        pieces.append([literal] * n)
        if field is not None:
            pieces.append(texts[f"{field}:{spec}" if spec else field])
    return ["".join(parts) for parts in zip(*pieces, strict=True)]


def explain_mentors(
    top: pd.DataFrame, detail: pd.DataFrame, ds: Dataset, lang: str
) -> tuple[list[str], list[str], list[str]]:
    """For each recommended (mentee, mentor) pair (``top``'s index = pair id in
    ``detail``): the gaps the mentor covers (``CODE mentee→mentor``, most valuable first),
    a one-line reason and the distance in words.

    With a ``status`` column (:mod:`recsys.planning.mentor_suggestions`), the reason ends
    by saying the pair is the agency's matching (``"assigned"``) or an alternative whose
    mentor still has room (``"alternative"``; ``free_slots``: how many more mentees)."""
    words = _TEMPLATES[check_language(lang)]
    names = ds.competencies.set_index(ds.competencies["code"].astype(str))["name"].astype(str)
    detail = detail[detail["pair"].isin(top.index)].sort_values(
        ["pair", "priority"], ascending=[True, False], kind="stable"
    )
    codes = detail["competency"].astype(str)
    spans = codes + " " + _one_decimal(detail["level"]) + "→" + _one_decimal(detail["mentor_level"])
    gaps = _join_groups(spans, detail["pair"].to_numpy(), "; ")
    first = detail.groupby("pair", sort=False).head(2)
    levels = _one_decimal(first["level"], lang) + "→" + _one_decimal(first["mentor_level"], lang)
    named_rows = codes.loc[first.index].map(names).fillna(codes.loc[first.index]) + (
        " (" + levels + ")"
    )
    named = _join_groups(named_rows, first["pair"].to_numpy(), ", ")
    unassessed = (~detail["assessed"]).groupby(detail["pair"].to_numpy(), sort=False).any()
    pairs = top.index.to_numpy()
    gaps_covered = gaps.reindex(pairs).fillna("").tolist()
    named_list = named.reindex(pairs).tolist()
    estimated = unassessed.reindex(pairs).fillna(False).to_numpy(dtype=bool)
    distance = [words[str(d)] for d in top["distance"]]
    statuses = top["status"].astype(str).tolist() if "status" in top else [""] * len(top)
    slots = top["free_slots"].astype(int).tolist() if "free_slots" in top else [0] * len(top)
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
        parts.append(fill(words["gain"], lang, **_tenths(gain=gain, lower=lower, upper=upper)))
        if estimated[i]:
            parts.append(words["estimated"])
        if not record:
            parts.append(words["no_record"])
        if statuses[i] == "assigned":
            parts.append(words["assigned"])
        elif statuses[i] == "alternative":
            room = words["slots"].format(slots=slots[i]) if slots[i] > 0 else ""
            parts.append(words["alternative"] + room)
        reasons.append("; ".join(parts) + ".")
    return gaps_covered, reasons, distance


def explain_unassigned(codes: Sequence[str], lang: str) -> list[str]:
    """Why the agency's mentor matching leaves each person out, from the
    :data:`recsys.planning.matching.UNMATCHED_REASONS` codes (an unknown code is a
    ``ValueError``)."""
    words = _UNASSIGNED[check_language(lang)]
    unknown = sorted({str(c) for c in codes} - set(words))
    if unknown:
        raise ValueError(f"unknown unassigned reason {unknown[0]!r}; known: {', '.join(words)}")
    return [words[str(code)] for code in codes]
