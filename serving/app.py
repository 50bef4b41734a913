"""The HTTP API for HR, analysts and portals: FastAPI over the recsys library.

Run: ``uvicorn serving.app:create_app --factory``. Models are loaded once at start-up
(``/readyz`` answers 503 until then), never per request.
"""

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request, Security, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from recsys.models.mentors import MentorRecommender
from serving import requests, responses, tokens
from serving.audit import AuditLog
from serving.auth import Caller, require
from serving.fastpath import FastReads
from serving.limits import BodyLimit, RateLimiter, too_many_requests
from serving.precomputed import Items, encode, join
from serving.settings import ServingSettings
from serving.state import Served, State

log = logging.getLogger(__name__)

JSON = "application/json"
WIDGET_JS = FilePath(__file__).with_name("static") / "widget.js"
Nip = Annotated[str, Path(pattern=requests.NIP_PATTERN, description="18-digit NIP")]
Lang = Annotated[str, Query(pattern="^(id|en)$", description="id (default) or en")]
#: The errors any /v1 route may answer, all as ``responses.Error``.
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": responses.Error, "description": text}
    for code, text in {
        401: "no or an invalid API key / widget token",
        403: "the key's role may not do this, or the token is for another origin",
        404: "unknown NIP",
        413: "request body over the limit",
        422: "invalid input (the message names it)",
        429: "too many requests (see Retry-After)",
        503: "models not loaded yet",
    }.items()
}
NOT_READY: dict[int | str, dict[str, Any]] = {503: ERRORS[503]}
widget_bearer = HTTPBearer(
    auto_error=False, description="A widget token from POST /v1/widget-tokens."
)


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
        audit.close()

    app = FastAPI(
        title="ASN Recsys API",
        version="1",
        description=(
            "Training and mentor recommendations for ASN, ranked by forecast SKP gain with a "
            "90% interval; what-if forecasts; HR bulk requests; the portal widget's tokens and "
            "suggestions. Send an API key in the X-API-Key header."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.state = state
    app.state.limiter = RateLimiter(settings.rate_limit_per_minute)
    audit = app.state.audit = AuditLog(settings.audit_log)
    widget_limiter = RateLimiter(settings.widget_rate_per_minute, burst=10)
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
        expose_headers=["Retry-After"],  # the widget tells the page when to try again
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(FastReads, api=app)
    app.add_exception_handler(RequestValidationError, _invalid_input)

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
        if nip not in current.answers.known:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown NIP {nip}")

    def active(current: Served, nip: str) -> None:
        known(current, nip)
        if nip not in current.answers.active:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=f"NIP {nip} is not an active employee: no recommendations",
            )

    def mentor_answers(current: Served) -> dict[str, Items]:
        if current.answers.mentors is None:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="no mentor model")
        return current.answers.mentors

    @app.get("/widget.js", include_in_schema=False)
    def widget_js() -> FileResponse:
        """The embeddable ``<asn-suggestions>`` web component (no dependencies)."""
        return FileResponse(
            WIDGET_JS,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @app.get("/healthz", response_model=responses.Health, tags=["ops"])
    async def healthz() -> Response:
        """Alive."""
        return Response(b'{"status":"ok"}', media_type=JSON)

    @app.get("/readyz", response_model=responses.Health, responses=NOT_READY, tags=["ops"])
    async def readyz() -> Response:
        """Ready once the models are loaded and everybody's answers computed."""
        if state.current is None:
            return JSONResponse({"detail": "models not loaded"}, status_code=503)
        return Response(b'{"status":"ready"}', media_type=JSON)

    @app.get("/v1/models", response_model=responses.Models, responses=ERRORS, tags=["models"])
    async def models(
        caller: Annotated[Caller, Depends(require("read"))],
    ) -> responses.Models:
        """The model versions being served."""
        current = served()
        return responses.Models(
            versions=current.models.versions,
            source=current.models.source,
            loaded_at=current.loaded_at,
        )

    K = Annotated[int, Query(ge=1, le=settings.max_k, description=f"items, 1 to {settings.max_k}")]

    def employee_read(kind: str, nip: str, caller: Caller, k: int, lang: str) -> Response:
        """The precomputed answer (what the fast path serves too), audited."""
        current = served()
        if kind == "mentors":
            mentor_answers(current)
        active(current, nip)
        model, body = current.listing(kind, nip, k, lang)
        audit.record(caller=caller.name, role=caller.role, nip=nip, action=kind, model=model)
        return Response(body, media_type=JSON)

    @app.get(
        "/v1/employees/{nip}/trainings",
        response_model=responses.TrainingList,
        responses=ERRORS,
        tags=["recommendations"],
    )
    async def trainings(
        nip: Nip,
        caller: Annotated[Caller, Depends(require("read"))],
        k: K = 5,
        lang: Lang = "id",
    ) -> Response:
        """Trainings ranked by forecast SKP gain for one employee (as ``recsys recommend
        trainings`` gives them)."""
        return employee_read("trainings", nip, caller, k, lang)

    @app.get(
        "/v1/employees/{nip}/mentors",
        response_model=responses.MentorList,
        responses=ERRORS,
        tags=["recommendations"],
    )
    async def mentors(
        nip: Nip,
        caller: Annotated[Caller, Depends(require("read"))],
        k: K = 3,
        lang: Lang = "id",
    ) -> Response:
        """Mentors ranked by forecast mentoring gain for one employee (as ``recsys recommend
        mentors`` gives them)."""
        return employee_read("mentors", nip, caller, k, lang)

    @app.post(
        "/v1/forecasts",
        response_model=responses.ForecastResponse,
        responses=ERRORS,
        tags=["forecasts"],
    )
    def forecasts(
        body: requests.ForecastRequest,
        caller: Annotated[Caller, Depends(require("forecast"))],
    ) -> responses.ForecastResponse:
        """What-if: expected gain with a 90% interval for trainings and/or a mentor."""
        current = served()
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
                mentor_model(current)
                .forecast(current.dataset, [body.nip], [body.mentor_nip])
                .iloc[0]
            )
            mentor = responses.MentorForecast(
                mentor_nip=body.mentor_nip,
                expected_gain=float(row["expected_gain"]),
                gain_lower=float(row["gain_lower"]),
                gain_upper=float(row["gain_upper"]),
            )
        audit.record(
            caller=caller.name,
            role=caller.role,
            nip=body.nip,
            action="forecast",
            model=_versions_text(current),
        )
        if body.mentor_nip is not None:  # the mentor's competencies were read too
            audit.record(
                caller=caller.name,
                role=caller.role,
                nip=body.mentor_nip,
                action=f"forecast-as-mentor-of:{body.nip}",
                model=_versions_text(current),
            )
        return responses.ForecastResponse(
            nip=body.nip,
            model_versions=current.models.versions,
            trainings=trainings,
            mentor=mentor,
        )

    @app.post(
        "/v1/recommendations:batch",
        response_model=responses.BatchResponse,
        responses=ERRORS,
        tags=["recommendations"],
    )
    async def batch(
        body: requests.BatchRequest,
        caller: Annotated[Caller, Depends(require("batch"))],
    ) -> Response:
        """Trainings (and mentors) for a bounded list of employees (HR bulk), in the order
        asked."""
        if body.k > settings.max_k:
            raise RequestValidationError(
                [
                    {
                        "loc": ("body", "k"),
                        "msg": f"Input should be less than or equal to {settings.max_k}",
                        "type": "less_than_equal",
                    }
                ]
            )
        current = served()
        nips = list(dict.fromkeys(body.nips))
        missing = [n for n in nips if n not in current.answers.known]
        if missing:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, detail=f"unknown NIP: {', '.join(missing[:5])}"
            )
        inactive = [n for n in nips if n not in current.answers.active]
        if inactive:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=f"not active employees: {', '.join(inactive[:5])}",
            )
        trained = current.answers.trainings[body.lang]
        mentored = (current.answers.mentors or {}).get(body.lang, {}) if body.mentors else {}
        versions = _versions_text(current)
        results = []
        for nip in nips:
            audit.record(
                caller=caller.name, role=caller.role, nip=nip, action="batch", model=versions
            )
            results.append(
                b'{"nip":"%s","trainings":%s,"mentors":%s}'
                % (
                    nip.encode(),
                    join(trained.get(nip, [])[: body.k]),
                    join(mentored.get(nip, [])[: body.k]),
                )
            )
        content = b'{"model_versions":%s,"results":%s}' % (
            encode(current.models.versions),
            join(results),
        )
        return Response(content, media_type=JSON)

    @app.post(
        "/v1/admin/reload",
        response_model=responses.Models,
        responses={**ERRORS, 500: {"model": responses.Error, "description": "reload failed"}},
        tags=["models"],
    )
    async def reload(
        caller: Annotated[Caller, Depends(require("admin"))],
    ) -> responses.Models | JSONResponse:
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
        return responses.Models(
            versions=fresh.models.versions, source=fresh.models.source, loaded_at=fresh.loaded_at
        )

    @app.post(
        "/v1/widget-tokens",
        response_model=responses.WidgetToken,
        responses=ERRORS,
        tags=["widget"],
    )
    def widget_token(
        body: requests.WidgetTokenRequest,
        caller: Annotated[Caller, Depends(require("widget"))],
    ) -> responses.WidgetToken:
        """A signed token (≤ 10 minutes) for one employee's widget on one portal origin."""
        if body.origin not in settings.widget_origins:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail=f"origin {body.origin} is not an allowed portal"
            )
        current = served()
        active(current, body.nip)
        token = tokens.mint(secret, body.nip, body.origin, settings.token_ttl_seconds)
        grant = tokens.verify(secret, token)
        audit.record(
            caller=caller.name,
            role=caller.role,
            nip=body.nip,
            action=f"widget-token@{body.origin}",
            model=_versions_text(current),
        )
        return responses.WidgetToken(token=token, expires_at=grant.expires)

    @app.get(
        "/v1/widget/suggestions",
        response_model=responses.WidgetSuggestions,
        responses=ERRORS,
        tags=["widget"],
    )
    async def widget_suggestions(
        request: Request,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Security(widget_bearer)] = None,
        lang: Lang = "id",
    ) -> Response:
        """The token holder's top trainings and a suggested mentor: nothing about anyone
        else, no scores."""
        if bearer is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="a widget token is required")
        try:
            grant = tokens.verify(secret, bearer.credentials)
        except tokens.TokenError as exc:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=str(exc)) from exc
        if grant.origin not in settings.widget_origins:  # removed since the token was minted
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail="the token's portal is no longer allowed"
            )
        if request.headers.get("Origin") != grant.origin:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail="the token is for another portal origin"
            )
        wait = widget_limiter.wait(f"widget:{grant.nip}@{grant.origin}")
        if wait:
            raise too_many_requests(wait, "widget requests")
        current = served()
        answer = current.answers.widget[lang].get(grant.nip)
        if answer is None:  # no longer active since the token was minted
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no suggestions for this token")
        audit.record(
            caller=f"widget@{grant.origin}",
            role="widget",
            nip=grant.nip,
            action="widget",
            model=_versions_text(current),
        )
        return Response(answer, media_type=JSON)

    return app


def _versions_text(current: Served) -> str:
    return ",".join(f"{name}={version}" for name, version in current.models.versions.items())


async def _invalid_input(request: Request, exc: Exception) -> JSONResponse:
    """422 naming every invalid field (``query.k``, ``body.nips.3``) in one message."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
        for error in exc.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)
