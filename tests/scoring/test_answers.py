"""The precomputed answers are built column by column for speed: every language's items and
widget answers are exactly the bytes of encoding a dict per row and per person."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from recsys.data import Dataset, load_dataset
from recsys.scoring.answers import (
    MENTOR_ITEM_FIELDS,
    TRAINING_ITEM_FIELDS,
    _items,
    _items_by_language,
)
from recsys.scoring.encoding import encode, literals
from recsys.scoring.widget import (
    WIDGET_STRENGTHS,
    WIDGET_TRAININGS,
    widget_answers,
    widget_answers_by_language,
)

TEXTS = ['Kursus "A" \\ baru', "Pelayanan Publik — dasar", "Ünïcode ✓", "baris\nbaru\t\x01", ""]


@pytest.fixture(scope="module")
def ds(small_world: Path) -> Dataset:
    return load_dataset(small_world)


def _trainings(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` training items of a few people (each person's rows together), with awkward
    numbers (-0.0, tiny, huge) and texts (quotes, controls, non-ASCII)."""
    rng = np.random.default_rng(seed)
    floats = np.concatenate([rng.normal(0, 3, n), [0.0, -0.0, 1e20, -3e-5, 0.1 + 0.2]])[:n]
    return pd.DataFrame(
        {
            "nip": np.sort(rng.integers(0, max(n // 3, 1), n)).astype(str),
            "rank": rng.integers(1, 11, n),
            "training_id": rng.choice(["PLT-1", "PLT-2", "PLT-3"], n),
            "title": pd.Series(rng.choice(TEXTS, n), dtype="string"),
            "expected_gain": floats,
            "gain_lower": rng.permutation(floats),
            "gain_upper": floats * 2,
            "gain_alone": np.abs(floats),
            "gaps_closed": rng.choice(["M6 2.1→4", "", "T-KEU-01 2.5→4; M1 1.0→3"], n),
            "hours_jp": rng.integers(1, 300, n),
            "cost_idr": rng.choice([4880000.0, 1.0, 0.0], n),
            "modality": pd.Categorical(rng.choice(["klasikal", "e_learning"], n)),
            "reason": rng.choice(TEXTS, n),
            "reason_en": rng.choice(TEXTS[::-1], n),
        }
    )


def _dict_items(frame: pd.DataFrame, fields: dict[str, type], columns: dict[str, str]) -> Any:
    """The items as a dict and ``json.dumps`` per row would make them."""
    out: dict[str, list[bytes]] = {}
    for row in frame.to_dict("records"):
        item = {name: kind(row[columns.get(name, name)]) for name, kind in fields.items()}
        out.setdefault(str(row["nip"]), []).append(encode(item))
    return out


@pytest.mark.parametrize("shuffled", [False, True])
def test_items_in_every_language_are_a_dict_per_row_encoded(shuffled: bool) -> None:
    frame = _trainings(200)
    if shuffled:  # a person's rows apart: still grouped, in order
        frame = frame.sample(frac=1.0, random_state=1)
    columns = {"id": {}, "en": {"reason": "reason_en"}}
    both = _items_by_language(frame, TRAINING_ITEM_FIELDS, columns)
    for lang, cols in columns.items():
        expected = _dict_items(frame, TRAINING_ITEM_FIELDS, cols)
        assert both[lang] == expected
        assert list(both[lang]) == list(expected)  # people in the order of their first row
        assert _items(frame, TRAINING_ITEM_FIELDS, cols) == expected
    assert b"-0.0" in b"".join(b for rows in both["id"].values() for b in rows)


def test_mentor_items_translate_fields_in_the_middle() -> None:
    rng = np.random.default_rng(2)
    n = 60
    frame = pd.DataFrame(
        {
            "nip": np.repeat(["A", "B", "C"], n // 3),
            "rank": np.tile(np.arange(1, n // 3 + 1), 3),
            "mentor_nip": rng.choice(["M1", "M2"], n),
            "expected_gain": rng.normal(0, 1, n),
            "gain_lower": rng.normal(0, 1, n),
            "gain_upper": rng.normal(0, 1, n),
            "gaps_covered": rng.choice(TEXTS, n),
            "distance": rng.choice(["same_unit", "far"], n),
            "distance_en": rng.choice(["same unit", "far away"], n),
            "reason": rng.choice(TEXTS, n),
            "reason_en": rng.choice(TEXTS, n),
            "status": rng.choice(["assigned", "alternative"], n),
        }
    )
    columns = {"id": {}, "en": {"reason": "reason_en", "distance": "distance_en"}}
    both = _items_by_language(frame, MENTOR_ITEM_FIELDS, columns)
    for lang, cols in columns.items():
        assert both[lang] == _dict_items(frame, MENTOR_ITEM_FIELDS, cols)
    assert _items_by_language(frame.iloc[:0], MENTOR_ITEM_FIELDS, columns) == {"id": {}, "en": {}}


def test_literals_are_what_encode_writes() -> None:
    values: list[Any] = [*TEXTS, "x"]
    assert literals(values) == [encode(v).decode() for v in values]
    with_missing: list[Any] = ["a", float("nan"), None]
    assert literals(with_missing) == [encode(v).decode() for v in with_missing]


def _dict_widget(
    ds: Dataset, recs: pd.DataFrame, mentors: Any, lang: str, active: set[str]
) -> dict[str, bytes]:
    """The widget's answers as a dict per person would make them."""
    table = ds.competencies
    names = dict(zip(table["code"].astype(str), table["name"].astype(str), strict=True))
    develops = {"id": "Mengembangkan {names}.", "en": "Develops {names}."}[lang]
    joiner = {"id": " dan ", "en": " and "}[lang]

    def codes(spans: str) -> list[str]:
        return [part.split(" ")[0] for part in spans.split("; ") if part]

    top = recs.drop_duplicates(["nip", "title"]).groupby("nip", sort=False).head(WIDGET_TRAININGS)
    trainings: dict[str, list[dict[str, Any]]] = {}
    for row in top.to_dict("records"):
        shown = [names.get(c, c) for c in codes(str(row["gaps_closed"]))[:2]]
        trainings.setdefault(str(row["nip"]), []).append(
            {
                "title": str(row["title"]),
                "modality": str(row["modality"]),
                "hours_jp": int(row["hours_jp"]),
                "reason": develops.format(names=joiner.join(shown)),
            }
        )
    mentor: dict[str, dict[str, Any]] = {}
    why: dict[str, str] = {}
    if mentors is not None:
        suffix = "" if lang == "id" else f"_{lang}"
        best = mentors.suggestions[mentors.suggestions["rank"] == 1]
        for row in best.to_dict("records"):
            mentor[str(row["nip"])] = {
                "distance": str(row[f"distance{suffix}"]),
                "strengths": [
                    names.get(c, c) for c in codes(str(row["gaps_covered"]))[:WIDGET_STRENGTHS]
                ],
                "status": str(row["status"]),
            }
        left = mentors.unassigned
        why = dict(zip(left["nip"].astype(str), left[f"reason{suffix}"].astype(str), strict=True))
    return {
        nip: encode(
            {
                "lang": lang,
                "trainings": trainings.get(nip, []),
                "mentor": mentor.get(nip),
                "no_mentor_reason": None if nip in mentor else why.get(nip),
            }
        )
        for nip in active
    }


def test_widget_answers_in_every_language_are_a_dict_per_person_encoded(ds: Dataset) -> None:
    codes = ds.competencies["code"].astype(str).tolist()
    recs = _trainings(300, seed=3).assign(
        gaps_closed=lambda f: [
            f"{codes[i % len(codes)]} 1.0→3; UNKNOWN 2.0→4; {codes[(i + 1) % len(codes)]} 1→2"
            for i in range(len(f))
        ]
    )
    people = pd.unique(recs["nip"]).tolist()
    mentors = SimpleNamespace(
        suggestions=pd.DataFrame(
            {
                "nip": [people[0], people[0], people[1]],
                "rank": [1, 2, 1],
                "gaps_covered": [f"{codes[0]} 1.0→3; {codes[1]} 2→3", "", "X 1→2"],
                "distance": ["satu unit kerja", "jauh", 'beda "wilayah"'],
                "distance_en": ["same unit", "far", "other region"],
                "status": ["assigned", "alternative", "alternative"],
            }
        ),
        unassigned=pd.DataFrame(
            {
                "nip": [people[2], people[0]],
                "reason": ["Tidak ada calon.", "—"],
                "reason_en": ["No eligible mentor.", "-"],
            }
        ),
    )
    active = {*people, "NO-LIST"}
    for with_mentors in (None, mentors):
        answers = widget_answers_by_language(ds, recs, with_mentors, ["id", "en"], "id", active)
        for lang in ("id", "en"):
            expected = _dict_widget(ds, recs, with_mentors, lang, active)
            assert answers[lang] == expected
            assert widget_answers(ds, recs, with_mentors, lang, "id", active) == expected
    assert json.loads(answers["en"]["NO-LIST"]) == {
        "lang": "en",
        "trainings": [],
        "mentor": None,
        "no_mentor_reason": None,
    }
