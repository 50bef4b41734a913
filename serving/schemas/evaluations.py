"""Response body of ``GET /v1/evaluations/{year}``: the Kirkpatrick evaluation of a year's
development (:func:`recsys.evaluation.kirkpatrick.evaluate_program`).

Every table is an aggregate (per training, provider, modality or unit kerja): no row per
person and no NIP. A number the data cannot give is null (a ``too_few`` training has no
effect; a training nobody finished has no dropout rate).
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, Field

from recsys.evaluation.verdicts import VERDICTS

#: A training's or provider's verdict, read from the level-4 interval.
Verdict = Literal["works", "unclear", "does_not_work", "too_few"]
assert set(get_args(Verdict)) == set(VERDICTS), "the API's verdicts are the library's"

VERDICT_DESCRIPTION = (
    "From the effect's interval: works (above 0 and reaching min_effect), unclear (spans 0), "
    "does_not_work (wholly below min_effect; flagged), too_few (fewer than min_participants "
    "completers with an appraisal outcome: no effect given)."
)


class EvaluationSettings(BaseModel):
    """What the verdicts were read with."""

    alpha: float = Field(description="Intervals are at 1 − alpha (0.1: 90%).")
    min_participants: int = Field(
        description="Completers with an appraisal outcome below which no effect is given."
    )
    min_effect: float = Field(description="The smallest effect on SKP worth funding, points.")


#: Descriptions shared by the training and provider rows.
EFFECT_DESCRIPTION = (
    "Level 4: the effect of completing it on the participants' SKP score, points (0–120 "
    "scale), adjusted for who was sent; null when too_few."
)
DROPOUT_DESCRIPTION = "dropped / (completed + dropped), 0–1; null: nobody finished."
REACTION_DESCRIPTION = "Level 1: mean participant survey score, 1–5."
LEARNING_DESCRIPTION = "Level 2: mean post − pre test score of completers, points (0–100)."
BEHAVIOR_DESCRIPTION = "Level 3: mean supervisor's post-training score, 1–5."
PARTICIPANTS_DESCRIPTION = "Completers with an appraisal outcome (what level 4 rests on)."


class TrainingEvaluation(BaseModel):
    """One training with enrollments that started in the year."""

    training_id: str
    title: str
    provider: str
    modality: str
    hours_jp: int | None = Field(description="Length, JP.")
    cost_idr: float | None = Field(description="Cost per participant, IDR.")
    enrolled: int = Field(description="Enrollments that started in the year.")
    completed: int
    dropped: int
    dropout_rate: float | None = Field(description=DROPOUT_DESCRIPTION)
    reaction_mean: float | None = Field(description=REACTION_DESCRIPTION)
    reaction_n: int
    learning_gain: float | None = Field(description=LEARNING_DESCRIPTION)
    learning_lower: float | None
    learning_upper: float | None
    learning_n: int
    behavior_mean: float | None = Field(description=BEHAVIOR_DESCRIPTION)
    behavior_n: int
    participants: int = Field(description=PARTICIPANTS_DESCRIPTION)
    effect: float | None = Field(description=EFFECT_DESCRIPTION)
    effect_lower: float | None
    effect_upper: float | None
    std_error: float | None
    cost_per_point: float | None = Field(
        description="IDR per SKP point of effect (cost_idr / effect), only where it works."
    )
    verdict: Verdict = Field(description=VERDICT_DESCRIPTION)


class ProviderEvaluation(BaseModel):
    """One provider: its trainings' counts, their levels weighted by respondents and its
    effect weighted by participants."""

    provider: str
    trainings: int
    enrolled: int
    completed: int
    dropped: int
    dropout_rate: float | None = Field(description=DROPOUT_DESCRIPTION)
    reaction_mean: float | None = Field(description=REACTION_DESCRIPTION)
    reaction_n: int
    learning_gain: float | None = Field(description=LEARNING_DESCRIPTION)
    learning_n: int
    behavior_mean: float | None = Field(description=BEHAVIOR_DESCRIPTION)
    behavior_n: int
    participants: int = Field(description=PARTICIPANTS_DESCRIPTION)
    effect: float | None = Field(description=EFFECT_DESCRIPTION)
    effect_lower: float | None
    effect_upper: float | None
    std_error: float | None
    verdict: Verdict = Field(description=VERDICT_DESCRIPTION)


class DropoutRow(BaseModel):
    """Dropout of the year's finished enrollments by modality and remote (3T) area."""

    modality: str
    remote_area: bool
    enrolled: int = Field(description="Finished enrollments (completed or dropped).")
    dropped: int
    dropout_rate: float | None = Field(description="dropped / enrolled, 0–1.")


class UnitEvaluation(BaseModel):
    """One unit kerja's public service and the effect of the year's training on it
    (intervals at 1 − alpha; surprises in residual standard deviations, positive =
    better than expected)."""

    unit: str
    staff: int
    trained_share: float | None = Field(description="Share of staff who completed a training.")
    satisfaction_index: float | None = Field(description="IKM/SKM points in the year.")
    satisfaction_effect: float | None = Field(description="IKM points due to the training.")
    satisfaction_lower: float | None
    satisfaction_upper: float | None
    satisfaction_surprise: float | None
    avg_service_days: float | None
    service_days_effect: float | None = Field(description="Days due to the training (< 0: faster).")
    service_days_lower: float | None
    service_days_upper: float | None
    service_days_surprise: float | None
    better_than_expected: bool


class ProgramEvaluation(BaseModel):
    """The Kirkpatrick evaluation of the development that started in ``year``."""

    year: int
    settings: EvaluationSettings
    summary: dict[str, float | None] = Field(
        description="Trainings per verdict (trainings_works, …), trainings, enrolled, "
        "completed and the overall dropout_rate, and units_better_than_expected."
    )
    trainings: list[TrainingEvaluation]
    providers: list[ProviderEvaluation]
    dropout: list[DropoutRow]
    units: list[UnitEvaluation] = Field(
        description="Per unit kerja with service metrics in the year (empty: see unit_note)."
    )
    unit_note: str = Field(description="Why units is empty (no service metrics), else empty.")
    flagged: list[str] = Field(
        description="Training ids that do not work: to leave out of the next plan."
    )
