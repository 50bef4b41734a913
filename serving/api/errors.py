"""The errors the API answers: documented once for every ``/v1`` route, all as
``responses.Error``, and invalid input as a 422 that names each field."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from serving.schemas import responses

#: The errors any /v1 route may answer.
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
#: The error of a route that needs the models loaded and nothing else.
NOT_READY: dict[int | str, dict[str, Any]] = {503: ERRORS[503]}
#: A failed reload (the old models keep serving).
RELOAD_FAILED: dict[int | str, dict[str, Any]] = {
    500: {"model": responses.Error, "description": "reload failed"}
}


def over_the_maximum(loc: tuple[str, ...], maximum: int) -> RequestValidationError:
    """The 422 of a number over a limit that comes from the settings (so it cannot be in
    the route's signature), worded as FastAPI words its own."""
    return RequestValidationError(
        [
            {
                "loc": loc,
                "msg": f"Input should be less than or equal to {maximum}",
                "type": "less_than_equal",
            }
        ]
    )


async def invalid_input(request: Request, exc: Exception) -> JSONResponse:
    """422 naming every invalid field (``query.k``, ``body.nips.3``) in one message."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(str(part) for part in error["loc"]), "message": error["msg"]}
        for error in exc.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)
