"""The API's documentation pages work without internet: ``/docs`` (Swagger UI) and
``/redoc`` (ReDoc) name only assets the API serves itself, and list the operations in
Debian's Chromium with every non-loopback request refused (nothing is downloaded;
scripts/bootstrap.sh installs ``chromium``, and without it the browser tests fail rather
than skip).

No models are needed: the server starts with a missing bundle, so ``/readyz`` stays 503
while the documentation is served all the same.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect

from serving.api.docs import ASSETS, POLICY
from serving.main import create_app
from tests.serving.server import serve, settings_for

#: Milliseconds a page or an expected state may take on a loaded 2-core machine.
BROWSER_TIMEOUT_MS = 120_000
expect.set_options(timeout=BROWSER_TIMEOUT_MS)
#: Hosts the browser may reach: the test server's.
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
#: The smallest size an asset can have and still be one (the favicon is about 5 KB).
MIN_ASSET_BYTES = 1024
PAGES = ("/docs", "/redoc")
TRAININGS = "/v1/employees/{nip}/trainings"
#: The one image ReDoc's script asks another host for.
REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
_LINKS = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def _without_models(root: Path) -> FastAPI:
    """The app over a data set and a bundle that are not there (the test keys as usual)."""
    return create_app(settings_for(root / "no-data", root / "no-bundle", root / "audit.jsonl"))


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app under uvicorn, without models or data (loading them fails at once)."""
    with serve(_without_models(tmp_path_factory.mktemp("docs")), ready="/healthz") as url:
        yield url


@pytest.fixture(scope="module")
def client(api: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api, timeout=120) as client:
        yield client


def test_docs_work_without_models(client: httpx.Client) -> None:
    assert client.get("/readyz").status_code == 503
    for page in PAGES:
        answer = client.get(page)
        assert answer.status_code == 200, page
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.headers["content-security-policy"] == POLICY
    assert TRAININGS in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("page", PAGES)
def test_pages_name_only_local_assets(client: httpx.Client, page: str) -> None:
    html = client.get(page).text
    assert not re.search(r"https?://", html), "the page names an external URL"
    links = _LINKS.findall(html)
    assert links, "the page loads no asset"
    for link in links:
        assert link.startswith(f"{ASSETS}/"), link
        asset = client.get(link)
        assert asset.status_code == 200, link
        assert len(asset.content) >= MIN_ASSET_BYTES, link


def test_docs_stay_out_of_the_schema(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p in PAGES or p.startswith(ASSETS)]


def test_pages_follow_the_root_path(tmp_path: Path) -> None:
    """Behind a proxy serving the API under a prefix, the pages ask for the prefixed URLs."""
    root = "/recsys"
    app = _without_models(tmp_path)

    async def ask(paths: list[str]) -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, root_path=root)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return [await client.get(f"{root}{path}") for path in paths]

    *pages, asset = asyncio.run(ask([*PAGES, f"{ASSETS}/swagger-ui.css"]))
    app.state.audit.close()  # no lifespan ran to close it
    for page in pages:
        links = _LINKS.findall(page.text)
        assert links and all(link.startswith(f"{root}{ASSETS}/") for link in links), links
    assert asset.status_code == 200


@dataclass(frozen=True)
class Offline:
    """A page that reaches only the loopback interface, and the URLs of other hosts it asked
    for (each refused as if the network were down)."""

    page: Page
    external: list[str]

    def blocked(self) -> list[str]:
        """What the page's Content-Security-Policy kept it from loading."""
        return list(self.page.evaluate("() => window.blockedByPolicy"))


@pytest.fixture
def offline(browser: Browser) -> Iterator[Offline]:
    """An :class:`Offline` page; it must log no error (a failed load, a script error) but
    the policy's refusals, which each test checks."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    context.add_init_script(
        "window.blockedByPolicy = []; document.addEventListener("
        "'securitypolicyviolation', e => window.blockedByPolicy.push(e.blockedURI));"
    )
    external: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_loopback)
    page = context.new_page()
    messages: list[ConsoleMessage] = []
    page.on("console", lambda message: messages.append(message))
    yield Offline(page, external)
    context.close()
    errors = [m.text for m in messages if m.type == "error"]
    assert [e for e in errors if "Content Security Policy" not in e] == []


def test_swagger_ui_lists_the_operations_offline(
    offline: Offline, api: str, client: httpx.Client
) -> None:
    schema = client.get("/openapi.json").json()
    operations = sum(len(path) for path in schema["paths"].values())
    page = offline.page
    page.goto(f"{api}/docs")
    # Swagger UI breaks a path's text with zero-width spaces; its data-path is the path
    expect(page.locator(f'.opblock-summary-path[data-path="{TRAININGS}"]')).to_be_visible()
    expect(page.locator(".opblock")).to_have_count(operations)
    expect(page.locator(".info .title")).to_contain_text(schema["info"]["title"])
    assert offline.external == []
    assert offline.blocked() == []


def test_redoc_lists_the_operations_offline(
    offline: Offline, api: str, client: httpx.Client
) -> None:
    schema = client.get("/openapi.json").json()
    operations = sum(len(path) for path in schema["paths"].values())
    page = offline.page
    page.goto(f"{api}/redoc")
    expect(page.locator("h1").first).to_contain_text(schema["info"]["title"])
    expect(page.locator('li[data-item-id*="operation/"]')).to_have_count(operations)
    expect(page.get_by_text(TRAININGS).first).to_be_attached()
    assert offline.external == []
    # ReDoc's menu shows the Redocly logo from its CDN: the policy keeps the page from
    # asking (the image hides itself when it fails)
    assert set(offline.blocked()) <= {REDOCLY_LOGO}
