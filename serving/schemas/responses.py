"""Response bodies of the API (kept apart from the requests: the API sends these)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


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
    """One training of a list built by marginal gain: each item is credited with what it
    adds to the items above it, and no course appears twice (in another modality)."""

    rank: int
    training_id: str
    title: str
    expected_gain: float = Field(
        description="Forecast SKP gain (points) on top of the trainings above in the list."
    )
    gain_lower: float = Field(description="Lower end of the 90% interval of expected_gain.")
    gain_upper: float = Field(description="Upper end of the 90% interval of expected_gain.")
    gain_alone: float = Field(description="Forecast SKP gain (points) of this training alone.")
    gaps_closed: str
    hours_jp: int
    cost_idr: float
    modality: str
    reason: str


#: What ``ranker`` says: which of the model's rankers made the lists.
RANKER_DESCRIPTION = (
    "Which ranker of the training model made the list: structured, uplift, blend or gap_rule."
)
#: What a list's gain is.
LIST_GAIN_DESCRIPTION = (
    "Forecast SKP gain (points) of taking the whole list: the sum of its items' expected_gain."
)


class TrainingList(BaseModel):
    nip: str
    model_version: str
    ranker: str = Field(description=RANKER_DESCRIPTION)
    list_gain: float = Field(description=LIST_GAIN_DESCRIPTION)
    items: list[TrainingItem]


#: What a mentor item's ``status`` says.
MENTOR_STATUS_DESCRIPTION = (
    "assigned: the mentor the agency's capacity-respecting matching assigns (only ever rank "
    "1); alternative: a mentor who still has room once the matching is made."
)


class MentorItem(BaseModel):
    """One suggested mentor: the agency matching's mentor (rank 1) or an alternative with
    room."""

    rank: int
    mentor_nip: str
    expected_gain: float = Field(description="Forecast SKP gain (points) of this mentoring.")
    gain_lower: float = Field(description="Lower end of the 90% interval of expected_gain.")
    gain_upper: float = Field(description="Upper end of the 90% interval of expected_gain.")
    gaps_covered: str
    distance: str
    reason: str
    status: Literal["assigned", "alternative"] = Field(description=MENTOR_STATUS_DESCRIPTION)


class Unassigned(BaseModel):
    """Why the agency's mentor matching leaves a person out."""

    code: Literal["no_candidates", "no_positive_gain", "capacity"] = Field(
        description="no_candidates: no eligible mentor; no_positive_gain: none with a "
        "positive forecast gain; capacity: every candidate mentor is full (ongoing "
        "mentorships or mentees forecast to gain more)."
    )
    reason: str


class MentorList(BaseModel):
    nip: str
    model_version: str
    unassigned: Unassigned | None = Field(
        description="Why the matching leaves this person out (then items holds only "
        "alternatives with room, if any); null when a mentor is assigned."
    )
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


class PlanRef(BaseModel):
    """An agency plan made by ``recsys plan`` (an MLflow run) and attached by ``recsys
    score``."""

    run_id: str = Field(description="The plan's MLflow run id.")
    agency: str | None = Field(description="The agency it plans (null: every agency).")
    year: int


class PlannedTraining(BaseModel):
    """A training the plan funds for the person."""

    rank: int | None = Field(description="Its rank among the person's recommended trainings.")
    training_id: str
    title: str
    quarter: int | None = Field(description="The quarter (1–4) it is scheduled in.")
    hours_jp: float | None
    cost_idr: float | None
    modality: str | None
    classroom: bool | None = Field(description="Whether the person is away in a classroom.")
    expected_gain: float | None = Field(
        description="Forecast SKP gain (points) it adds in the plan (on top of the person's "
        "other planned trainings)."
    )
    gain_lower: float | None = Field(description="Lower end of the 90% interval.")
    gain_upper: float | None = Field(description="Upper end of the 90% interval.")


class PlanShortfall(BaseModel):
    """How far the person stays below the JP minimum with the plan, and why."""

    jp_completed: float | None = Field(description="JP completed in the plan year already.")
    jp_planned: float | None
    shortfall: float | None = Field(description="JP still missing to the minimum.")
    reason: Literal["budget", "seats", "away", "no_training"] | None = Field(
        description="budget, seats, away (the unit's share of staff in classroom training "
        "at once is reached) or no_training (the trainings that would help carry too few JP)."
    )
    reason_text: str = Field(description="The reason, in the language asked.")
    note: str = Field(description="What the reason means, in the language asked.")


class PlanPlace(BaseModel):
    """One employee's place in the agency's yearly plan: what it funds for them and, if
    they stay below the JP minimum (PP 11/2017 Pasal 203: 20 JP), how far and why."""

    nip: str
    plan: PlanRef
    min_jp: float = Field(description="The plan's JP minimum per person (20 JP).")
    jp_planned: float | None
    cost_idr: float | None
    expected_gain: float | None = Field(
        description="Forecast SKP gain (points) of the person's planned trainings together."
    )
    items: list[PlannedTraining]
    below_minimum: PlanShortfall | None = Field(
        description="Null when the plan brings the person to the minimum."
    )


class BatchItem(BaseModel):
    nip: str
    training_list_gain: float = Field(description=LIST_GAIN_DESCRIPTION)
    trainings: list[TrainingItem]
    mentors: list[MentorItem]


class BatchResponse(BaseModel):
    model_versions: dict[str, str]
    training_ranker: str = Field(description=RANKER_DESCRIPTION)
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
    status: Literal["assigned", "alternative"] = Field(description=MENTOR_STATUS_DESCRIPTION)


class WidgetSuggestions(BaseModel):
    lang: str
    trainings: list[WidgetTraining]
    mentor: WidgetMentor | None
    no_mentor_reason: str | None = Field(
        description="Why the agency's mentor matching leaves the person out (when mentor "
        "is null and the person was matched against the agency's mentors)."
    )
