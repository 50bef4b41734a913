"""The HTTP API for HR, analysts and portals: FastAPI over the recsys library.

Run: ``uvicorn serving.app:create_app --factory``. Models are loaded once at start-up
(``/readyz`` answers 503 until then), never per request.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from recsys.mentors import MentorRecommender
from recsys.tracking import MENTOR_MODEL, TRAINING_MODEL
from serving import schemas, tokens
from serving.audit import AuditLog
from serving.auth import Caller, require
from serving.settings import ServingSettings
from serving.state import Served, State

log = logging.getLogger(__name__)

NIP_PATTERN = r"^\d{18}$"
Nip = Annotated[str, Path(pattern=NIP_PATTERN, description="18-digit NIP")]
Lang = Annotated[str, Query(pattern="^(id|en)$", description="id (default) or en")]


def create_app(settings: ServingSettings | None = None) -> FastAPI:
    """The application; ``settings`` default to the environment's."""
    settings = settings or ServingSettings()
    state = State()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            await run_in_threadpool(state.reload, settings)
        except Exception:  # the API stays up and says it is not ready
            log.exception("loading the models failed; /readyz stays 503")
        yield

    app = FastAPI(
        title="ASN Recsys API",
        version="1",
        description="Training and mentor recommendations for ASN, with forecast SKP gain.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.state = state
    app.state.audit = AuditLog(settings.audit_log)
    secret = (
        settings.token_secret.get_secret_value().encode()
        if settings.token_secret is not None
        else secrets.token_bytes(32)
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.widget_origins),
        allow_methods=["GET"],
        allow_headers=["Authorization"],
    )

    def served() -> Served:
        current = state.current
        if current is None:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="models not loaded")
        return current

    def mentor_model(current: Served) -> MentorRecommender:
        if current.models.mentors is None:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="no mentor model")
        return current.models.mentors

    def known(current: Served, nip: str) -> None:
        employees = current.dataset.employees
        if not (employees["nip"].astype(str) == nip).any():
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown NIP {nip}")

    @app.get("/healthz", response_model=schemas.Health, tags=["ops"])
    def healthz() -> schemas.Health:
        """Alive."""
        return schemas.Health(status="ok")

    @app.get(
        "/readyz",
        response_model=schemas.Health,
        responses={503: {"model": schemas.Error}},
        tags=["ops"],
    )
    def readyz() -> JSONResponse:
        """Ready once the models are loaded."""
        if state.current is None:
            return JSONResponse({"detail": "models not loaded"}, status_code=503)
        return JSONResponse({"status": "ready"})

    @app.get("/v1/models", response_model=schemas.Models, tags=["models"])
    def models(
        caller: Annotated[Caller, Depends(require("read"))],
    ) -> schemas.Models:
        """The model versions being served."""
        current = served()
        return schemas.Models(
            versions=current.models.versions,
            source=current.models.source,
            loaded_at=current.loaded_at,
        )

    @app.get(
        "/v1/employees/{nip}/trainings",
        response_model=schemas.TrainingList,
        responses={404: {"model": schemas.Error}, 401: {"model": schemas.Error}},
        tags=["recommendations"],
    )
    def trainings(
        nip: Nip,
        request: Request,
        caller: Annotated[Caller, Depends(require("read"))],
        k: Annotated[int, Query(ge=1, description="items (at most the configured maximum)")] = 5,
        lang: Lang = "id",
    ) -> schemas.TrainingList:
        """Trainings ranked by forecast SKP gain for one employee."""
        _check_k(k, settings)
        current = served()
        known(current, nip)
        recs = current.models.trainings.recommend(current.dataset, [nip], k=k, lang=lang)
        version = current.models.versions[TRAINING_MODEL]
        request.app.state.audit.record(
            caller=caller.name, role=caller.role, nip=nip, action="trainings", model=version
        )
        items = [schemas.TrainingItem.from_row(row) for row in recs.to_dict("records")]
        return schemas.TrainingList(nip=nip, model_version=version, items=items)

    @app.get(
        "/v1/employees/{nip}/mentors",
        response_model=schemas.MentorList,
        responses={404: {"model": schemas.Error}, 401: {"model": schemas.Error}},
        tags=["recommendations"],
    )
    def mentors(
        nip: Nip,
        request: Request,
        caller: Annotated[Caller, Depends(require("read"))],
        k: Annotated[int, Query(ge=1, description="items (at most the configured maximum)")] = 3,
        lang: Lang = "id",
    ) -> schemas.MentorList:
        """Mentors ranked by forecast mentoring gain for one employee."""
        _check_k(k, settings)
        current = served()
        known(current, nip)
        try:
            recs = mentor_model(current).recommend(current.dataset, [nip], k=k, lang=lang)
        except ValueError as exc:  # e.g. no longer active
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from exc
        version = current.models.versions[MENTOR_MODEL]
        request.app.state.audit.record(
            caller=caller.name, role=caller.role, nip=nip, action="mentors", model=version
        )
        items = [schemas.MentorItem.from_row(row) for row in recs.to_dict("records")]
        return schemas.MentorList(nip=nip, model_version=version, items=items)

    @app.post(
        "/v1/forecasts",
        response_model=schemas.ForecastResponse,
        responses={404: {"model": schemas.Error}, 422: {"model": schemas.Error}},
        tags=["forecasts"],
    )
    def forecasts(
        body: schemas.ForecastRequest,
        request: Request,
        caller: Annotated[Caller, Depends(require("forecast"))],
    ) -> schemas.ForecastResponse:
        """What-if: expected gain with a 90% interval for trainings and/or a mentor."""
        current = served()
        known(current, body.nip)
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
        trainings: list[schemas.TrainingForecast] = []
        if body.training_ids:
            frame, _ = current.models.trainings.forecast(
                current.dataset, [body.nip] * len(body.training_ids), body.training_ids
            )
            trainings = [
                schemas.TrainingForecast(
                    training_id=str(row["training_id"]),
                    expected_gain=row["expected_gain"],
                    gain_lower=row["gain_lower"],
                    gain_upper=row["gain_upper"],
                )
                for row in frame.to_dict("records")
            ]
        mentor = None
        if body.mentor_nip is not None:
            known(current, body.mentor_nip)
            row = (
                mentor_model(current)
                .forecast(current.dataset, [body.nip], [body.mentor_nip])
                .iloc[0]
            )
            mentor = schemas.MentorForecast(
                mentor_nip=body.mentor_nip,
                expected_gain=float(row["expected_gain"]),
                gain_lower=float(row["gain_lower"]),
                gain_upper=float(row["gain_upper"]),
            )
        request.app.state.audit.record(
            caller=caller.name,
            role=caller.role,
            nip=body.nip,
            action="forecast",
            model=_versions_text(current),
        )
        return schemas.ForecastResponse(
            nip=body.nip,
            model_versions=current.models.versions,
            trainings=trainings,
            mentor=mentor,
        )

    @app.post(
        "/v1/recommendations:batch",
        response_model=schemas.BatchResponse,
        responses={404: {"model": schemas.Error}, 422: {"model": schemas.Error}},
        tags=["recommendations"],
    )
    def batch(
        body: schemas.BatchRequest,
        request: Request,
        caller: Annotated[Caller, Depends(require("batch"))],
    ) -> schemas.BatchResponse:
        """Recommendations for a bounded list of employees (HR bulk)."""
        _check_k(body.k, settings)
        current = served()
        nips = list(dict.fromkeys(body.nips))
        malformed = [n for n in nips if not re.fullmatch(r"\d{18}", n)]
        if malformed:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=f"a NIP is 18 digits: {', '.join(malformed[:5])}",
            )
        known_nips = set(current.dataset.employees["nip"].astype(str))
        missing = [n for n in nips if n not in known_nips]
        if missing:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, detail=f"unknown NIP: {', '.join(missing[:5])}"
            )
        recs = current.models.trainings.recommend(current.dataset, nips, k=body.k, lang=body.lang)
        by_nip = {str(n): g for n, g in recs.groupby(recs["nip"].astype(str), sort=False)}
        mentor_by_nip: dict[str, Any] = {}
        if body.mentors and current.models.mentors is not None:
            employees = current.dataset.employees
            active = set(employees.loc[employees["active"], "nip"].astype(str))
            asked = [n for n in nips if n in active]
            if asked:
                mrecs = current.models.mentors.recommend(
                    current.dataset, asked, k=body.k, lang=body.lang
                )
                mentor_by_nip = {
                    str(n): g for n, g in mrecs.groupby(mrecs["nip"].astype(str), sort=False)
                }
        results = []
        for nip in nips:
            t_rows = by_nip[nip].to_dict("records") if nip in by_nip else []
            m_rows = mentor_by_nip[nip].to_dict("records") if nip in mentor_by_nip else []
            results.append(
                schemas.BatchItem(
                    nip=nip,
                    trainings=[schemas.TrainingItem.from_row(r) for r in t_rows],
                    mentors=[schemas.MentorItem.from_row(r) for r in m_rows],
                )
            )
            request.app.state.audit.record(
                caller=caller.name,
                role=caller.role,
                nip=nip,
                action="batch",
                model=_versions_text(current),
            )
        return schemas.BatchResponse(model_versions=current.models.versions, results=results)

    @app.post(
        "/v1/admin/reload",
        response_model=schemas.Models,
        responses={500: {"model": schemas.Error}},
        tags=["models"],
    )
    async def reload(
        caller: Annotated[Caller, Depends(require("admin"))],
    ) -> schemas.Models | JSONResponse:
        """Load the current champions and swap them in atomically; a failed load keeps the
        old models serving."""
        try:
            fresh = await run_in_threadpool(state.reload, settings)
        except Exception as exc:
            log.exception("reload failed")
            current = state.current
            kept = current.models.versions if current else {}
            return JSONResponse(
                {"detail": f"reload failed ({exc}); still serving {kept}"}, status_code=500
            )
        log.info("reload by %s", caller.name)
        return schemas.Models(
            versions=fresh.models.versions, source=fresh.models.source, loaded_at=fresh.loaded_at
        )

    @app.post(
        "/v1/widget-tokens",
        response_model=schemas.WidgetToken,
        responses={403: {"model": schemas.Error}, 404: {"model": schemas.Error}},
        tags=["widget"],
    )
    def widget_token(
        body: schemas.WidgetTokenRequest,
        caller: Annotated[Caller, Depends(require("widget"))],
    ) -> schemas.WidgetToken:
        """A signed token (≤ 10 minutes) for one employee's widget on one portal origin."""
        if body.origin not in settings.widget_origins:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail=f"origin {body.origin} is not an allowed portal"
            )
        known(served(), body.nip)
        token = tokens.mint(secret, body.nip, body.origin, settings.token_ttl_seconds)
        grant = tokens.verify(secret, token)
        log.info("widget token for a NIP minted by %s", caller.name)
        return schemas.WidgetToken(token=token, expires_at=grant.expires)

    @app.get(
        "/v1/widget/suggestions",
        response_model=schemas.WidgetSuggestions,
        responses={401: {"model": schemas.Error}, 403: {"model": schemas.Error}},
        tags=["widget"],
    )
    def widget_suggestions(
        request: Request,
        lang: Lang = "id",
    ) -> schemas.WidgetSuggestions:
        """The token holder's top trainings and a suggested mentor: nothing about anyone
        else, no scores."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="a widget token is required")
        try:
            grant = tokens.verify(secret, header.removeprefix("Bearer ").strip())
        except tokens.TokenError as exc:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=str(exc)) from exc
        if request.headers.get("Origin") != grant.origin:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail="the token is for another portal origin"
            )
        current = served()
        recs = current.models.trainings.recommend(current.dataset, [grant.nip], k=3, lang=lang)
        trainings = [
            schemas.WidgetTraining(
                title=str(r["title"]),
                modality=str(r["modality"]),
                hours_jp=int(r["hours_jp"]),
                reason=str(r["reason"]),
            )
            for r in recs.to_dict("records")
        ]
        mentor = None
        if current.models.mentors is not None:
            try:
                top = current.models.mentors.recommend(current.dataset, [grant.nip], k=1, lang=lang)
            except ValueError:
                top = None
            if top is not None and len(top):
                names = current.dataset.competencies.set_index(
                    current.dataset.competencies["code"].astype(str)
                )["name"].astype(str)
                codes = [g.split(" ")[0] for g in str(top["gaps_covered"].iloc[0]).split("; ")]
                mentor = schemas.WidgetMentor(
                    distance=str(top["distance"].iloc[0]),
                    strengths=[names.get(code, code) for code in codes[:3]],
                )
        request.app.state.audit.record(
            caller=f"widget@{grant.origin}",
            role="widget",
            nip=grant.nip,
            action="widget",
            model=_versions_text(current),
        )
        return schemas.WidgetSuggestions(lang=lang, trainings=trainings, mentor=mentor)

    return app


def _versions_text(current: Served) -> str:
    return ",".join(f"{name}={version}" for name, version in current.models.versions.items())


def _check_k(k: int, settings: ServingSettings) -> None:
    if k > settings.max_k:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, detail=f"k is at most {settings.max_k}"
        )
