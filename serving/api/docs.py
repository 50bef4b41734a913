"""The API's documentation pages, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), with their
scripts and styles served by the API itself rather than from a CDN: government networks are
often closed, and FastAPI's default pages are blank without internet.

The assets come from the ``fastapi-offline`` package (Swagger UI 5 and ReDoc 2 dist files)
and are mounted at :data:`ASSETS`. The pages name no external URL at all: no CDN, no Google
fonts, no remote favicon. ReDoc's script itself still asks for the Redocly logo from a CDN,
so the pages' :data:`POLICY` lets the browser load nothing from another origin.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

#: Where the Swagger UI and ReDoc files are served.
ASSETS = "/docs-assets"
#: The package shipping them, and its folder holding them.
_PACKAGE = ("fastapi_offline", "static")
#: The pages' Content-Security-Policy: everything from the API's own origin, plus the inline
#: script and styles both UIs write, their ``data:`` images and ReDoc's search worker.
POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:"
)


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and ``/redoc`` from local assets on ``app``, which must be created
    with ``docs_url=None, redoc_url=None`` (else FastAPI's CDN pages take those paths)."""
    openapi_url = app.openapi_url
    if openapi_url is None:  # no schema, nothing to document
        return
    app.mount(ASSETS, StaticFiles(packages=[_PACKAGE]), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root_path(request)
        page = get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
        return _confined(page)

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = _root_path(request)
        page = get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
        return _confined(page)


def _root_path(request: Request) -> str:
    """The prefix a proxy serves the API under (``--root-path``), as FastAPI's pages use."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def _confined(page: HTMLResponse) -> HTMLResponse:
    """``page`` with :data:`POLICY`, so the browser asks no other origin for anything."""
    page.headers["Content-Security-Policy"] = POLICY
    return page
