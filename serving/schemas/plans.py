"""Request and response bodies of ``/v1/plans``: the agency's yearly development program
(:func:`recsys.planning.agency_program.plan_program`), planned as a job the client polls.

The job's answer holds the least personal data: totals per unit kerja and counts, never a
row per person; the plan document (``…/document``) is where NIPs are, and it is audited.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from recsys.settings import LANGUAGES
from serving.schemas.requests import TrainingId

#: Why someone stays below 20 JP: the planner's reasons
#: (``recsys.planning.program.SHORTFALL_REASONS``), kept here so that building the app never
#: imports the planner (a test checks they match).
SHORTFALL_REASONS = ("budget", "seats", "away", "no_training")
#: Largest budget accepted, IDR (beyond any agency's RKA; the library refuses it too).
MAX_BUDGET_IDR = 1e15
#: Most unit budgets or seat limits in one request.
MAX_LIMITS = 2_000

UnitName = Annotated[str, Field(min_length=1, max_length=200)]
Idr = Annotated[float, Field(ge=0, le=MAX_BUDGET_IDR)]
Seats = Annotated[int, Field(ge=0, le=1_000_000)]

#: A job's life: queued, running, then done or failed (cancelled: the server stopped first).
JobStatus = Literal["queued", "running", "done", "failed", "cancelled"]
#: What a running job is doing: the planner's stage (forecasts, plan, baselines, curve,
#: service, in that order; a string, so that a stage the planner adds needs no new API).
STAGE_DESCRIPTION = (
    "The planner's current (or last) stage: forecasts, plan, baselines, curve, service."
)


class MandatoryTraining(BaseModel):
    """A training one employee must be given in the plan."""

    model_config = ConfigDict(extra="forbid")

    nip: str = Field(pattern=r"^\d{18}$", description="The employee's NIP (18 digits).")
    training_id: TrainingId


class PlanRequest(BaseModel):
    """The agency's yearly program under a budget and the other limits
    (:class:`recsys.planning.program.PlanLimits`)."""

    model_config = ConfigDict(extra="forbid")

    budget_idr: float = Field(gt=0, le=MAX_BUDGET_IDR, description="Total budget, IDR.")
    agency: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The agency (instansi) planned for; every agency in the data if omitted.",
    )
    year: int | None = Field(
        default=None,
        description="Calendar year of the plan; default the year after the last appraisal.",
    )
    unit_budgets: dict[UnitName, Idr] | None = Field(
        default=None,
        max_length=MAX_LIMITS,
        description="Budget per unit kerja (unit name → IDR); units not named share the total.",
    )
    seats: dict[TrainingId, Seats] | None = Field(
        default=None,
        max_length=MAX_LIMITS,
        description="Seats per training (training id → seats), replacing the catalog's capacity.",
    )
    max_jp_per_person: float = Field(
        default=120.0, gt=0, le=2_000, description="Most JP planned for one person in the year."
    )
    classroom_share: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="Most of a unit's staff away in classroom training at once (0–1].",
    )
    remote_budget_share: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Least share of the spending for remote-area (3T) staff [0–1].",
    )
    mandatory: list[MandatoryTraining] | None = Field(
        default=None,
        max_length=MAX_LIMITS,
        description="Trainings every plan must fund (e.g. Latsar for new CPNS); a mandatory "
        "training that breaks a limit by itself fails the job, naming it.",
    )
    curve: bool = Field(default=True, description="Also plan other budgets (the budget curve).")
    lang: str = Field(
        default=LANGUAGES[0],
        pattern=f"^({'|'.join(LANGUAGES)})$",
        description="Language of the plan document.",
    )


class PlanAccepted(BaseModel):
    """A planning job was started: poll ``poll`` until its status is done or failed."""

    job_id: str
    status: JobStatus
    poll: str = Field(description="Where to ask for the job's status and result.")


class CurvePoint(BaseModel):
    """What one budget level would buy (null: not defined at that level)."""

    budget_idr: float
    cost_idr: float
    total_gain: float | None = Field(description="Forecast SKP gain (points) of the plan.")
    gain_lower: float | None
    gain_upper: float | None
    share_at_minimum: float | None = Field(description="Share of staff reaching 20 JP (0–1).")
    budget_price: float | None = Field(
        description="Forecast SKP points one more million IDR would buy at this level."
    )
    gap: float | None = Field(description="How far the plan may be from the best (0–1).")


class UnitTotals(BaseModel):
    """One unit kerja under the plan."""

    unit: str
    staff: int
    participants: int = Field(description="Staff with at least one training planned.")
    items: int
    jp: float = Field(description="JP planned, summed over the unit's participants.")
    cost_idr: float
    gain: float = Field(description="Forecast SKP gain (points) of the unit's items.")
    gain_lower: float
    gain_upper: float
    below_minimum: int = Field(description="Staff still below 20 JP with the plan.")


class BelowMinimum(BaseModel):
    """Staff still below the yearly 20 JP with the plan (PP 11/2017 Pasal 203(4)), by the
    limit that holds them back."""

    total: int
    by_reason: dict[str, int] = Field(
        description=f"Counts per reason ({', '.join(SHORTFALL_REASONS)}); they add up to total."
    )


class UnitService(BaseModel):
    """One unit's forecast public service under the plan, against none of its staff
    training this year, with 90% intervals (null: the unit has no service metrics)."""

    unit: str
    trained_share_planned: float | None
    satisfaction_now: float | None
    satisfaction_change: float | None
    satisfaction_lower: float | None
    satisfaction_upper: float | None
    service_days_now: float | None
    service_days_change: float | None
    service_days_lower: float | None
    service_days_upper: float | None


class PlanResult(BaseModel):
    """A finished plan, without any row per person."""

    summary: dict[str, float | int | str | None] = Field(
        description="The plan's figures as every face reports them (AgencyProgram.summary): "
        "budget and cost (IDR), forecast gain with its 90% interval (SKP points), share at "
        "20 JP, optimality gap, method, and each baseline's gain, cost and share (null: not "
        "defined)."
    )
    curve: list[CurvePoint] = Field(description="The budget curve (empty if not asked for).")
    units: list[UnitTotals]
    below_minimum: BelowMinimum
    service: list[UnitService] = Field(
        default_factory=list,
        description="Each unit's forecast IKM/SKM and service days under the plan (empty: the "
        "data have no service metrics to learn from).",
    )


class PlanJob(BaseModel):
    """A planning job: its status, the stage it is at, and its result once done."""

    job_id: str
    status: JobStatus
    stage: str | None = Field(description=STAGE_DESCRIPTION)
    created_at: str
    started_at: str | None
    finished_at: str | None
    model_version: str = Field(description="The training model the plan was made with.")
    error: str | None = Field(description="Why the job failed (or was cancelled).")
    result: PlanResult | None = Field(description="The plan, once status is done.")
