"""The HTTP API for HR, analysts and portals: FastAPI over the recsys library.

Run: ``uvicorn serving.main:create_app --factory`` (or ``python -m serving``). With a
recommendation store (``RECSYS_API_STORE``, written by ``recsys score``) the API serves its
current generation and starts in seconds; without one, models are loaded and everybody's
answers computed once in the lifespan. Either way ``/readyz`` answers 503 until then, and
nothing is loaded per request or at import.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware

from recsys.scoring.store import RecommendationStore
from serving.access.audit import AuditLog, StoreAuditLog
from serving.access.rate_limit import RateLimiter, SharedRateLimiter
from serving.api.docs import install_docs
from serving.api.errors import invalid_input
from serving.api.main import api_router
from serving.core.config import ServingSettings
from serving.generation.state import State
from serving.middleware.body_limit import BodyLimit
from serving.middleware.fast_reads import FastReads

log = logging.getLogger(__name__)

DESCRIPTION = (
    "Training and mentor recommendations for ASN, ranked by forecast SKP gain with a 90% "
    "interval; what-if forecasts; HR bulk requests; the portal widget's tokens and "
    "suggestions. Send an API key in the X-API-Key header."
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the first generation before serving; close the audit log at the end."""
    try:
        await run_in_threadpool(app.state.state.reload, app.state.settings)
    except Exception:  # the API stays up and says it is not ready
        log.exception("loading the models failed; /readyz stays 503")
    yield
    app.state.audit.close()
    app.state.state.close()


def create_app(settings: ServingSettings | None = None) -> FastAPI:
    """The application; ``settings`` default to the environment's (which refuse to start
    without a widget-token secret outside demo mode)."""
    settings = settings or ServingSettings()
    app = FastAPI(
        title="ASN Recsys API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # install_docs serves them without a CDN
        redoc_url=None,
    )
    install_docs(app)
    # what the dependencies (serving.api.deps) and the fast path read
    app.state.settings = settings
    store = RecommendationStore(settings.store) if settings.store is not None else None
    app.state.state = State(store)
    if store is None:
        app.state.limiter = RateLimiter(settings.rate_limit_per_minute)
        app.state.widget_limiter = RateLimiter(settings.widget_rate_per_minute, burst=10)
    else:  # limits hold across every worker and replica reading the store
        app.state.limiter = SharedRateLimiter(store, settings.rate_limit_per_minute)
        app.state.widget_limiter = SharedRateLimiter(
            store, settings.widget_rate_per_minute, burst=10, scope="widget|"
        )
    if store is not None and store.engine.dialect.name == "postgresql":  # production
        app.state.audit = StoreAuditLog(store)
    else:
        app.state.audit = AuditLog(settings.audit_log)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.widget_origins),
        allow_methods=["GET"],
        allow_headers=["Authorization"],
        expose_headers=["Retry-After"],  # the widget tells the page when to try again
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.fast_reads:
        app.add_middleware(FastReads, api=app)
    app.add_exception_handler(RequestValidationError, invalid_input)
    app.include_router(api_router)
    _document_max_k(app, settings.max_k)
    return app


def _document_max_k(app: FastAPI, max_k: int) -> None:
    """Put the largest ``k`` in the OpenAPI document: it is a setting, so the routes check
    it in a dependency rather than in their signature."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        for operation in (op for path in schema["paths"].values() for op in path.values()):
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "k" and parameter["in"] == "query":
                    parameter["schema"]["maximum"] = max_k
                    parameter["description"] = f"items, 1 to {max_k}"
                    parameter["schema"]["description"] = f"items, 1 to {max_k}"
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
