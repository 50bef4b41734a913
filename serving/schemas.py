"""Response schemas of the API (requests are path/query parameters so far)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from pydantic import BaseModel


class Error(BaseModel):
    detail: str


class Health(BaseModel):
    status: str


class Models(BaseModel):
    versions: dict[str, str]
    source: str
    loaded_at: str


class TrainingItem(BaseModel):
    rank: int
    training_id: str
    title: str
    expected_gain: float
    gain_lower: float
    gain_upper: float
    gaps_closed: str
    hours_jp: int
    cost_idr: float
    modality: str
    reason: str

    @classmethod
    def from_row(cls, row: Mapping[Hashable, Any]) -> TrainingItem:
        return cls(**{name: row[name] for name in cls.model_fields})


class TrainingList(BaseModel):
    nip: str
    model_version: str
    items: list[TrainingItem]


class MentorItem(BaseModel):
    rank: int
    mentor_nip: str
    expected_gain: float
    gain_lower: float
    gain_upper: float
    gaps_covered: str
    distance: str
    reason: str

    @classmethod
    def from_row(cls, row: Mapping[Hashable, Any]) -> MentorItem:
        return cls(**{name: row[name] for name in cls.model_fields})


class MentorList(BaseModel):
    nip: str
    model_version: str
    items: list[MentorItem]
