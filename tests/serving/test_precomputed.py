"""The precomputed items are exactly the response model's JSON, row by row."""

from __future__ import annotations

import json

import pandas as pd

from serving.generation.answers import _items
from serving.schemas.responses import TrainingItem


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
            "gaps_closed": ["M6 2.1→4", "", "T-KEU-01 2.5→4; M1 1.0→3"],
            "hours_jp": [24, 300, 8],
            "cost_idr": [4880000.0, 1.0, 0.0],
            "modality": ["klasikal", "e_learning", "blended"],
            "reason": ["Menutup kesenjangan\nbaris", "x", "y"],
            "reason_en": ["Closes the gap", "x-en", "y-en"],
        }
    )
    items = _items(frame, TrainingItem, {"reason": "reason_en"})
    assert list(items) == ["199001012015011001", "198501012010012002"]
    rows = [json.loads(b) for b in items["199001012015011001"] + items["198501012010012002"]]
    expected = frame.drop(columns=["nip", "reason"]).rename(columns={"reason_en": "reason"})
    assert rows == expected[list(TrainingItem.model_fields)].to_dict("records")
    assert [list(r) for r in rows] == [list(TrainingItem.model_fields)] * 3  # field order
    for row in rows:
        TrainingItem.model_validate(row)
    assert "✓".encode() in items["198501012010012002"][0]  # UTF-8, not \\u escapes
