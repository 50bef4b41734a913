"""What-if forecasts: the expected gain, with a 90% interval, of trainings and/or a mentor
for one employee (computed per request, unlike the recommendations)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, HTTPException, status

from serving.api.deps import AuditDep, ForecastCaller, ServedDep, active
from serving.api.errors import ERRORS
from serving.generation.state import Served
from serving.schemas import requests, responses

if TYPE_CHECKING:  # the models come with the generation, loaded when a forecast needs them
    from recsys.models.mentors.recommender import MentorRecommender

router = APIRouter(prefix="/v1/forecasts", tags=["forecasts"], responses=ERRORS)


@router.post("", response_model=responses.ForecastResponse)
def forecasts(
    body: requests.ForecastRequest,
    caller: ForecastCaller,
    current: ServedDep,
    audit: AuditDep,
) -> responses.ForecastResponse:
    """What-if: expected gain with a 90% interval for trainings and/or a mentor."""
    active(current, body.nip)
    if not body.training_ids and body.mentor_nip is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail="give training_ids and/or mentor_nip",
        )
    catalog = set(current.dataset.trainings["training_id"].astype(str))
    unknown = sorted(set(body.training_ids) - catalog)
    if unknown:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"unknown training_id: {', '.join(unknown[:5])}",
        )
    trainings: list[responses.TrainingForecast] = []
    if body.training_ids:
        frame, _ = current.models.trainings.forecast(
            current.dataset, [body.nip] * len(body.training_ids), body.training_ids
        )
        trainings = [
            responses.TrainingForecast(
                training_id=str(row["training_id"]),
                expected_gain=row["expected_gain"],
                gain_lower=row["gain_lower"],
                gain_upper=row["gain_upper"],
            )
            for row in frame.to_dict("records")
        ]
    mentor = None
    if body.mentor_nip is not None:
        active(current, body.mentor_nip)
        row = (
            _mentor_model(current).forecast(current.dataset, [body.nip], [body.mentor_nip]).iloc[0]
        )
        mentor = responses.MentorForecast(
            mentor_nip=body.mentor_nip,
            expected_gain=float(row["expected_gain"]),
            gain_lower=float(row["gain_lower"]),
            gain_upper=float(row["gain_upper"]),
        )
    versions = current.versions_text()
    audit.record(
        caller=caller.name, role=caller.role, nip=body.nip, action="forecast", model=versions
    )
    if body.mentor_nip is not None:  # the mentor's competencies were read too
        audit.record(
            caller=caller.name,
            role=caller.role,
            nip=body.mentor_nip,
            action=f"forecast-as-mentor-of:{body.nip}",
            model=versions,
        )
    return responses.ForecastResponse(
        nip=body.nip,
        model_versions=current.versions,
        trainings=trainings,
        mentor=mentor,
    )


def _mentor_model(current: Served) -> MentorRecommender:
    if current.models.mentors is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="no mentor model")
    return current.models.mentors
