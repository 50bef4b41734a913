"""What-if forecasts: the expected gain, with a 90% interval, of trainings and/or a mentor
for one employee (computed per request, unlike the recommendations).

A forecast reads only the people it is about (:meth:`~serving.generation.state.Served.
what_if`): over the store, their stored records and the generation's shared part, so a
worker never loads the whole data set for it; the answer is the same as from the whole."""

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
    # the mentor's records too when they can be forecast (else the 404/422 comes below)
    people = [body.nip]
    if body.mentor_nip is not None:
        mentor = current.person(body.mentor_nip)
        if mentor is not None and mentor.active:
            people.append(body.mentor_nip)
    data = current.what_if(people)
    catalog = set(data.dataset.trainings["training_id"].astype(str))
    unknown = sorted(set(body.training_ids) - catalog)
    if unknown:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"unknown training_id: {', '.join(unknown[:5])}",
        )
    trainings: list[responses.TrainingForecast] = []
    if body.training_ids:
        frame, _ = current.models.trainings.forecast(
            data.dataset,
            [body.nip] * len(body.training_ids),
            body.training_ids,
            as_of=data.as_of,
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
    mentor_forecast = None
    if body.mentor_nip is not None:
        active(current, body.mentor_nip)
        row = (
            _mentor_model(current)
            .forecast(data.dataset, [body.nip], [body.mentor_nip], as_of=data.as_of)
            .iloc[0]
        )
        mentor_forecast = responses.MentorForecast(
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
        mentor=mentor_forecast,
    )


def _mentor_model(current: Served) -> MentorRecommender:
    if current.models.mentors is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="no mentor model")
    return current.models.mentors
