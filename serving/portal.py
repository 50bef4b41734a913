"""A demo agency portal that embeds the ``<asn-suggestions>`` widget from another origin.

It does what a real portal's backend would: for the signed-in employee (here chosen with
``?nip=``) it mints a short-lived widget token server-side with its portal API key
(``POST /v1/widget-tokens``), so the key never reaches the browser, then serves a page that
loads ``widget.js`` from the API. Run it on a different port than the API, and list its
origin in the API's ``widget_origins``.
"""

from __future__ import annotations

import html
import re
import secrets
from string import Template

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

LANGS = ("id", "en")
MINT_TIMEOUT_SECONDS = 10.0


class MintError(RuntimeError):
    """The API did not give a widget token; the message is for people (Indonesian)."""


def create_portal_app(
    api_url: str, api_key: str, nips: list[str] | None = None, lang: str = "id"
) -> FastAPI:
    """The portal app: ``GET /`` (``?nip=``, ``?lang=id|en``) and ``GET /healthz``.

    ``nips`` are the demo employees offered in the selector (the first is the default);
    ``lang`` is the widget's default language.
    """
    api = api_url.rstrip("/")
    api_origin = _origin(api)
    demo_nips = list(nips or [])
    default_lang = lang if lang in LANGS else "id"
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
        widget_lang = lang if lang in LANGS else default_lang
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
        page = _render(
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


def _render(
    *,
    api: str,
    nip: str,
    lang: str,
    nips: list[str],
    token: str | None,
    problem: str | None,
    nonce: str,
) -> str:
    esc = html.escape
    choices = nips if nip in nips or not nip else [*nips, nip]
    if choices:
        options = "".join(
            f'<option value="{esc(n)}"{" selected" if n == nip else ""}>'
            f"Pegawai demo {i} — NIP {esc(n)}</option>"
            for i, n in enumerate(choices, start=1)
        )
        who = f'<select id="nip" name="nip">{options}</select>'
    else:
        who = (
            f'<input id="nip" name="nip" value="{esc(nip)}" inputmode="numeric" '
            'autocomplete="off" pattern="[0-9]{18}" required>'
        )
    langs = "".join(
        f'<option value="{code}"{" selected" if code == lang else ""}>{label}</option>'
        for code, label in (("id", "Bahasa Indonesia"), ("en", "English"))
    )
    if token is not None:
        widget = f'<asn-suggestions token="{esc(token)}" lang="{esc(lang)}"></asn-suggestions>'
    else:
        widget = f'<p class="problem" role="alert">{esc(problem or "")}</p>'
    return _PAGE.substitute(
        nonce=esc(nonce),
        script=esc(f"{api}/widget.js"),
        api=esc(api),
        nip=esc(nip or "—"),
        who=who,
        langs=langs,
        widget=widget,
    )


_PAGE = Template("""<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portal Kepegawaian — Demo</title>
<link rel="icon" href="data:,">
<script src="$script" defer></script>
<style nonce="$nonce">
  * { box-sizing: border-box; }
  body { margin: 0; font: 1rem/1.5 system-ui, "Segoe UI", Roboto, "Noto Sans", sans-serif;
         color: #1f2933; background: #eef2f6; }
  header { background: #0b4a85; color: #fff; padding: 1rem clamp(1rem, 4vw, 2rem); }
  header p { margin: 0; font-size: .875rem; color: #dbe7f3; }
  h1 { margin: 0; font-size: 1.375rem; }
  main { max-width: 64rem; margin: 0 auto; padding: 1rem clamp(.75rem, 3vw, 2rem) 2rem;
         display: grid; gap: 1rem; }
  .card { background: #fff; border: 1px solid #c3cfdb; border-radius: 12px; padding: 1rem; }
  .card h2 { margin: 0 0 .5rem; font-size: 1.125rem; }
  form { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; }
  label { display: grid; gap: .25rem; flex: 1 1 12rem; min-width: 0; font-size: .875rem;
          font-weight: 600; }
  select, input, button { font: inherit; min-height: 2.75rem; }
  select, input { width: 100%; }
  select, input { padding: .375rem .5rem; border: 1px solid #52606d; border-radius: 8px; }
  button { padding: .375rem 1rem; border: 0; border-radius: 8px; background: #0b4a85;
           color: #fff; font-weight: 600; cursor: pointer; }
  :focus-visible { outline: 3px solid #0b4a85; outline-offset: 2px; }
  .problem { margin: 0; padding: .75rem 1rem; border: 1px solid #e7b4b4; border-radius: 8px;
             background: #fdf2f2; color: #8a1c1c; overflow-wrap: anywhere; }
  footer { text-align: center; font-size: .8125rem; color: #3e4c59; padding: 0 1rem 2rem;
           overflow-wrap: anywhere; }
</style>
</head>
<body>
<header>
  <p>Pemerintah Provinsi Contoh · Badan Kepegawaian dan Pengembangan SDM</p>
  <h1>Portal Kepegawaian — Demo</h1>
</header>
<main>
  <section class="card" aria-labelledby="profil">
    <h2 id="profil">Selamat datang</h2>
    <p>Anda masuk sebagai pegawai dengan NIP <strong>$nip</strong>.</p>
    <form method="get" action="/">
      <label for="nip">Pegawai demo $who</label>
      <label for="lang">Bahasa widget <select id="lang" name="lang">$langs</select></label>
      <button type="submit">Tampilkan</button>
    </form>
  </section>
  $widget
</main>
<footer>Halaman demo untuk widget saran ASN Recsys, bukan sistem resmi.
Widget dimuat dari $api.</footer>
</body>
</html>
""")
