"""A demo agency portal that embeds the ``<asn-suggestions>`` widget from another origin.

It does what a real portal's backend would: for the signed-in employee (here chosen with
``?nip=``) it mints a short-lived widget token server-side with its portal API key
(``POST /v1/widget-tokens``), so the key never reaches the browser, then serves a page that
loads ``widget.js`` from the API. Run it on a different port than the API, and list its
origin in the API's ``widget_origins``.
"""

from __future__ import annotations

import re
import secrets

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from recsys.settings import LANGUAGES
from serving.portal.page import render

MINT_TIMEOUT_SECONDS = 10.0


class MintError(RuntimeError):
    """The API did not give a widget token; the message is for people (Indonesian)."""


def create_portal_app(
    api_url: str, api_key: str, nips: list[str] | None = None, lang: str = LANGUAGES[0]
) -> FastAPI:
    """The portal app: ``GET /`` (``?nip=``, ``?lang=id|en``) and ``GET /healthz``.

    ``nips`` are the demo employees offered in the selector (the first is the default);
    ``lang`` is the widget's default language.
    """
    api = api_url.rstrip("/")
    api_origin = _origin(api)
    demo_nips = list(nips or [])
    default_lang = lang if lang in LANGUAGES else LANGUAGES[0]
    app = FastAPI(title="Portal Kepegawaian — Demo", docs_url=None, redoc_url=None)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    async def home(
        request: Request, nip: str | None = None, lang: str | None = None
    ) -> HTMLResponse:
        """The portal's home page with the signed-in employee's suggestions widget."""
        chosen = (nip or "").strip() or (demo_nips[0] if demo_nips else "")
        widget_lang = lang if lang in LANGUAGES else default_lang
        token = problem = None
        if not chosen:
            problem = "Pilih atau masukkan NIP pegawai untuk melihat saran."
        elif not re.fullmatch(r"\d{18}", chosen):
            problem = "NIP harus terdiri atas 18 digit angka."
        else:
            try:
                token = await mint_token(api, api_key, chosen, _origin(str(request.url)))
            except MintError as exc:
                problem = str(exc)
        nonce = secrets.token_urlsafe(16)
        page = render(
            api=api,
            nip=chosen,
            lang=widget_lang,
            nips=demo_nips,
            token=token,
            problem=problem,
            nonce=nonce,
        )
        csp = (
            f"default-src 'none'; script-src {api_origin}; connect-src {api_origin}; "
            f"style-src 'nonce-{nonce}'; img-src data:; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'"
        )
        # The page holds a token for one person: never cache it.
        headers = {"Cache-Control": "no-store", "Content-Security-Policy": csp}
        return HTMLResponse(page, headers=headers)

    return app


async def mint_token(api_url: str, api_key: str, nip: str, origin: str) -> str:
    """A widget token for ``nip`` on ``origin``; :class:`MintError` if the API refuses."""
    try:
        async with httpx.AsyncClient(timeout=MINT_TIMEOUT_SECONDS) as client:
            response = await client.post(
                f"{api_url}/v1/widget-tokens",
                headers={"X-API-Key": api_key},
                json={"nip": nip, "origin": origin},
            )
    except httpx.HTTPError as exc:
        raise MintError(
            f"Layanan saran di {api_url} tidak dapat dihubungi ({type(exc).__name__})."
        ) from exc
    if response.status_code != 200:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise MintError(f"Token widget tidak dapat dibuat (HTTP {response.status_code}): {detail}")
    return str(response.json()["token"])


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, as a browser sends it in ``Origin``."""
    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port is not None else ""
    return f"{parsed.scheme}://{parsed.host}{port}"
