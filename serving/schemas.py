"""Response schemas of the API (requests are path/query parameters so far)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from pydantic import BaseModel, Field

NIP = Field(pattern=r"^\d{18}$", description="18-digit NIP")


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


class ForecastRequest(BaseModel):
    """What-if: the forecast gain of trainings and/or a mentor for one employee."""

    nip: str = NIP
    training_ids: list[str] = Field(default_factory=list, max_length=50)
    mentor_nip: str | None = Field(default=None, pattern=r"^\d{18}$")


class Forecast(BaseModel):
    expected_gain: float
    gain_lower: float
    gain_upper: float


class TrainingForecast(Forecast):
    training_id: str


class MentorForecast(Forecast):
    mentor_nip: str


class ForecastResponse(BaseModel):
    nip: str
    model_versions: dict[str, str]
    trainings: list[TrainingForecast]
    mentor: MentorForecast | None


class BatchRequest(BaseModel):
    """Recommendations for a bounded list of employees (HR bulk)."""

    nips: list[str] = Field(min_length=1, max_length=200)
    k: int = Field(default=5, ge=1)
    lang: str = Field(default="id", pattern="^(id|en)$")
    mentors: bool = True


class BatchItem(BaseModel):
    nip: str
    trainings: list[TrainingItem]
    mentors: list[MentorItem]


class BatchResponse(BaseModel):
    model_versions: dict[str, str]
    results: list[BatchItem]


class WidgetTokenRequest(BaseModel):
    nip: str = NIP
    origin: str = Field(description="the portal origin that embeds the widget")


class WidgetToken(BaseModel):
    token: str
    expires_at: int


class WidgetTraining(BaseModel):
    title: str
    modality: str
    hours_jp: int
    reason: str


class WidgetMentor(BaseModel):
    """A suggested mentor, described without identifying them (no NIP, name or scores)."""

    distance: str
    strengths: list[str]


class WidgetSuggestions(BaseModel):
    lang: str
    trainings: list[WidgetTraining]
    mentor: WidgetMentor | None
