"""The precomputed answers: items are exactly the response model's JSON, row by row; a
list's gain is the running sum of its items' gains; the widget never shows a title twice."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from recsys.data import load_dataset
from recsys.scoring.answers import (
    MENTOR_ITEM_FIELDS,
    TRAINING_ITEM_FIELDS,
    Answers,
    _items,
    _running_gains,
)
from recsys.scoring.widget import WIDGET_TRAININGS, widget_answers
from serving.schemas.responses import MentorItem, TrainingItem


def test_the_scored_fields_are_the_response_models() -> None:
    """The store and the in-memory answers encode exactly the API's item models' fields, in
    order, each of its JSON type (a literal is a string)."""
    for fields, model in ((TRAINING_ITEM_FIELDS, TrainingItem), (MENTOR_ITEM_FIELDS, MentorItem)):
        assert list(fields) == list(model.model_fields)
        for name, info in model.model_fields.items():
            annotation = info.annotation if info.annotation in (int, float) else str
            assert fields[name] is annotation, name


def test_items_are_the_response_models_json() -> None:
    frame = pd.DataFrame(
        {
            "nip": ["199001012015011001", "199001012015011001", "198501012010012002"],
            "rank": [1, 2, 1],
            "training_id": ["PLT-1", "PLT-2", "PLT-1"],
            "title": ['Kursus "A" \\ baru', "Pelayanan Publik — dasar", "Ünïcode ✓"],
            "expected_gain": [1.25, 0.1 + 0.2, -3e-5],
            "gain_lower": [-0.5, 0.0, -1.0],
            "gain_upper": [3.0, 1.0, 1e20],
            "gain_alone": [1.25, 0.5, 2e-5],
            "gaps_closed": ["M6 2.1→4", "", "T-KEU-01 2.5→4; M1 1.0→3"],
            "hours_jp": [24, 300, 8],
            "cost_idr": [4880000.0, 1.0, 0.0],
            "modality": ["klasikal", "e_learning", "blended"],
            "reason": ["Menutup kesenjangan\nbaris", "x", "y"],
            "reason_en": ["Closes the gap", "x-en", "y-en"],
        }
    )
    items = _items(frame, TRAINING_ITEM_FIELDS, {"reason": "reason_en"})
    assert list(items) == ["199001012015011001", "198501012010012002"]
    rows = [json.loads(b) for b in items["199001012015011001"] + items["198501012010012002"]]
    expected = frame.drop(columns=["nip", "reason"]).rename(columns={"reason_en": "reason"})
    assert rows == expected[list(TrainingItem.model_fields)].to_dict("records")
    assert [list(r) for r in rows] == [list(TrainingItem.model_fields)] * 3  # field order
    for row in rows:
        TrainingItem.model_validate(row)
    assert "✓".encode() in items["198501012010012002"][0]  # UTF-8, not \\u escapes


def _answers(list_gains: dict[str, list[float]]) -> Answers:
    return Answers(
        k=10,
        known=frozenset(list_gains),
        active=frozenset(list_gains),
        trainings={},
        mentors=None,
        widget={},
        ranker="structured",
        list_gains=list_gains,
    )


def test_list_gain_is_the_running_sum_of_the_first_k_items() -> None:
    gains = [0.1, 0.2, 0.3, 1e-3, 2.5]
    recs = pd.DataFrame(
        {
            "nip": ["A"] * 3 + ["B"] * 2 + ["C"],
            "rank": [1, 2, 3, 1, 2, 1],
            "expected_gain": [*gains, -0.4],
        }
    )
    running = _running_gains(recs)
    assert list(running) == ["A", "B", "C"]
    answers = _answers(running)
    for k in range(1, 6):
        # exactly what a client adding up the items it got finds
        assert answers.list_gain("A", k) == sum(gains[: min(k, 3)])
        assert answers.list_gain("B", k) == sum(gains[3 : 3 + min(k, 2)])
        assert answers.list_gain("C", k) == -0.4
    assert answers.list_gain("D", 5) == 0.0  # no list, nothing gained
    assert _running_gains(recs.iloc[:0]) == {}


def test_the_widget_shows_no_title_twice(small_world: Path) -> None:
    ds = load_dataset(small_world)
    nips = ds.employees.loc[ds.employees["active"], "nip"].astype(str).head(2).tolist()
    catalog = ds.trainings.drop_duplicates("title").head(4)
    titles = catalog["title"].astype(str).tolist()
    # one person's list holds the same course twice (it never should): shown once
    rows = [(nips[0], r, i) for r, i in enumerate([0, 1, 1, 2], start=1)]
    rows += [(nips[1], r, i) for r, i in enumerate([3, 2], start=1)]
    recs = pd.DataFrame(
        {
            "nip": [n for n, _, _ in rows],
            "rank": [r for _, r, _ in rows],
            "title": [titles[i] for _, _, i in rows],
            "modality": "klasikal",
            "hours_jp": 8,
            "gaps_closed": "M6 2.1→4",
        }
    )
    for lang in ("id", "en"):
        answer = widget_answers(ds, recs, None, lang, "id", set(nips))
        first = json.loads(answer[nips[0]])["trainings"]
        assert [t["title"] for t in first] == [titles[0], titles[1], titles[2]]
        assert len(first) == WIDGET_TRAININGS
        second = json.loads(answer[nips[1]])["trainings"]
        assert [t["title"] for t in second] == [titles[3], titles[2]]
        assert not any(ch.isdigit() for t in first for ch in t["reason"])
