"""Response bodies of the API (kept apart from the requests: the API sends these)."""

from __future__ import annotations

from pydantic import BaseModel


class FieldError(BaseModel):
    """One invalid input: where (``query.k``, ``body.nips.3``) and why."""

    field: str
    message: str


class Error(BaseModel):
    """Every error: a message that names what is wrong (and, for invalid input, where)."""

    detail: str
    errors: list[FieldError] | None = None


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


class MentorList(BaseModel):
    nip: str
    model_version: str
    items: list[MentorItem]


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


class BatchItem(BaseModel):
    nip: str
    trainings: list[TrainingItem]
    mentors: list[MentorItem]


class BatchResponse(BaseModel):
    model_versions: dict[str, str]
    results: list[BatchItem]


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
