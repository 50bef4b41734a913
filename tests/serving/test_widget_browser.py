"""The suggestions widget in a real browser: the demo portal on one loopback origin embeds
``<asn-suggestions>`` from the API on another, in Debian's Chromium driven by Playwright
(nothing is downloaded; scripts/bootstrap.sh installs ``chromium``, and without it these
tests fail rather than skip)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect

from serving.access.widget_tokens import mint
from serving.main import create_app
from serving.portal.app import create_portal_app
from tests.serving.server import KEYS, free_port, serve, settings_for

#: Milliseconds a page, a network answer or an expected state may take on a loaded 2-core
#: machine (Playwright's defaults, 30 s and 5 s, are for an idle one).
BROWSER_TIMEOUT_MS = 120_000
expect.set_options(timeout=BROWSER_TIMEOUT_MS)


TITLE_ID = "Saran pengembangan kompetensi untuk Anda"
TITLE_EN = "Development suggestions for you"
SESSION_ENDED = "Sesi widget telah berakhir. Muat ulang halaman."
SUGGESTIONS = "/v1/widget/suggestions"
#: How the widget marks the suggested mentor, per status.
PAIRING_ID = {
    "assigned": "Hasil pencocokan mentor instansi Anda",
    "alternative": "Alternatif: mentor ini masih punya waktu untuk membimbing",
}
PAIRING_EN = {
    "assigned": "Your agency's mentor matching",
    "alternative": "Alternative: this mentor still has time to mentor",
}

# The WCAG contrast ratio of an element's text against its effective background.
CONTRAST = """(el) => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let node = el, bg = null;
  while (node && !bg) {
    const c = getComputedStyle(node).backgroundColor;
    if (rgb(c).length < 4 || rgb(c)[3] > 0) bg = c;
    node = node.parentElement || (node.getRootNode() && node.getRootNode().host) || null;
  }
  const a = lum(rgb(getComputedStyle(el).color)), b = lum(rgb(bg || "rgb(255,255,255)"));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@dataclass(frozen=True)
class Sites:
    api: str
    portal: str
    origin: str
    secret: bytes


@pytest.fixture(scope="module")
def juniors(small_world: Path) -> list[str]:
    """Active pelaksana (junior staff): one per test, since the widget's rate limit is per
    person."""
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    junior = (employees["active"] == "true") & (employees["position_type"] == "pelaksana")
    return [str(n) for n in employees.loc[junior, "nip"].iloc[:6]]


@pytest.fixture(scope="module")
def sites(
    bundle: Path, small_world: Path, juniors: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sites]:
    """The API and the demo portal, each on its own loopback port (so its own origin); the
    widget may ask 10 times per person, then once a minute."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    audit = tmp_path_factory.mktemp("widget") / "audit.jsonl"
    settings = settings_for(
        small_world, bundle, audit, widget_origins=[origin], widget_rate_per_minute=1
    )
    assert settings.token_secret is not None
    with serve(create_app(settings)) as api:
        portal = create_portal_app(api, KEYS["portal"][0], nips=juniors[:3])
        with serve(portal, port=port, ready="/healthz") as url:
            assert url == origin
            yield Sites(api, url, origin, settings.token_secret.get_secret_value().encode())


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    page = context.new_page()
    messages: list[ConsoleMessage] = []
    page.on("console", lambda message: messages.append(message))
    yield page
    token = page.evaluate("() => document.querySelector('asn-suggestions')?.getAttribute('token')")
    context.close()
    # no CSP violation, script error or failed load (but the 401s and 429s tests ask for);
    # the token is never logged
    asked = re.compile(r"status of (401|429)")
    errors = [m.text for m in messages if m.type == "error" and not asked.search(m.text)]
    assert errors == []
    assert not token or not any(token in m.text for m in messages)


def asks_suggestions(response: Response) -> bool:
    """The widget's GET of its suggestions (not a CORS preflight)."""
    return SUGGESTIONS in response.url and response.request.method == "GET"


def load(page: Page, url: str) -> dict[str, Any]:
    """Open a portal page; the widget's suggestions response, checked to hold no NIP."""
    with page.expect_response(asks_suggestions) as answer:
        page.goto(url)
    assert answer.value.status == 200, answer.value.text()
    text = answer.value.text()
    assert not re.search(r"\d{18}", text), "the widget must not receive any NIP"
    expect(page.locator("asn-suggestions section")).to_have_attribute("aria-busy", "false")
    return dict(json.loads(text))


def test_suggestions_render_in_indonesian(page: Page, sites: Sites, juniors: list[str]) -> None:
    nip = juniors[0]
    body = load(page, f"{sites.portal}/?nip={nip}")
    region = page.get_by_role("region", name=TITLE_ID)
    expect(region).to_be_visible()
    expect(region).to_have_attribute("lang", "id")
    expect(region.get_by_role("heading", name="Pelatihan yang disarankan")).to_be_visible()
    trainings = body["trainings"]
    assert trainings and body["lang"] == "id"
    expect(region.locator("li.card h4")).to_have_text([t["title"] for t in trainings])
    titles = [t["title"] for t in trainings]
    assert len(set(titles)) == len(titles), "the same course twice"
    # a list of several says its trainings complement each other (it is built that way)
    assert len(trainings) > 1
    expect(region.locator(".complement")).to_have_text("Pelatihan-pelatihan ini saling melengkapi.")
    first = trainings[0]
    expect(region.locator("li.card .hours").first).to_have_text(f"{first['hours_jp']} JP")
    expect(region.locator("li.card .badge").first).not_to_be_empty()
    assert body["mentor"] is not None, "an active pelaksana gets a mentor"
    expect(region.get_by_role("heading", name="Mentor yang disarankan")).to_be_visible()
    expect(region.locator(".chips li")).to_have_text(body["mentor"]["strengths"])
    expect(region.locator(".mentor")).to_contain_text(body["mentor"]["distance"])
    # the mentor is marked: the agency's matching, or an alternative who still has room
    assert body["mentor"]["status"] in PAIRING_ID and body["no_mentor_reason"] is None
    expect(region.locator(".mentor .pairing")).to_have_text(PAIRING_ID[body["mentor"]["status"]])
    token = page.locator("asn-suggestions").get_attribute("token")
    assert token and token not in page.locator("body").inner_text()
    assert token not in region.inner_text()
    # the widget's styles apply although the portal's CSP allows no inline styles
    radius = region.locator("li.card").first.evaluate("e => getComputedStyle(e).borderRadius")
    assert radius == "10px"
    for selector in ("h2", "h4", ".hours", ".badge", "button", ".chips li", ".note", ".pairing"):
        ratio = region.locator(selector).first.evaluate(CONTRAST)
        assert ratio >= 4.5, (selector, ratio)


def test_english_and_attribute_changes(page: Page, sites: Sites, juniors: list[str]) -> None:
    nip = juniors[1]
    body = load(page, f"{sites.portal}/?nip={nip}&lang=en")
    assert body["lang"] == "en"
    region = page.get_by_role("region", name=TITLE_EN)
    expect(region).to_have_attribute("lang", "en")
    expect(region.get_by_role("heading", name="Suggested trainings")).to_be_visible()
    expect(region.get_by_role("heading", name="Suggested mentor")).to_be_visible()
    expect(region.locator(".mentor .pairing")).to_have_text(PAIRING_EN[body["mentor"]["status"]])
    expect(region.get_by_role("button", name="Why is this suggested?").first).to_be_visible()
    expect(region.locator(".complement")).to_have_count(1 if len(body["trainings"]) > 1 else 0)
    if len(body["trainings"]) > 1:
        expect(region.locator(".complement")).to_have_text("These trainings complement each other.")
    # changing an observed attribute fetches again, in the new language
    with page.expect_response(lambda r: asks_suggestions(r) and "lang=id" in r.url):
        page.locator("asn-suggestions").evaluate("e => e.setAttribute('lang', 'id')")
    expect(page.get_by_role("region", name=TITLE_ID)).to_be_visible()
    expect(page.get_by_role("heading", name="Mentor yang disarankan")).to_be_visible()


def test_keyboard_toggles_the_reason(page: Page, sites: Sites, juniors: list[str]) -> None:
    nip = juniors[2]
    page.emulate_media(reduced_motion="reduce")
    body = load(page, f"{sites.portal}/?nip={nip}")
    toggle = page.get_by_role("button", name="Mengapa disarankan?").first
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate(
            "() => document.activeElement?.tagName === 'ASN-SUGGESTIONS'"
            " && !!document.activeElement.shadowRoot.activeElement"
        ):
            break
    else:
        pytest.fail("Tab never reached the widget")
    expect(toggle).to_be_focused()
    assert toggle.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    assert toggle.evaluate("e => getComputedStyle(e, '::after').transitionDuration") == "0s"
    reason = page.locator("asn-suggestions .reason").first
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(reason).to_be_hidden()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(reason).to_have_text(body["trainings"][0]["reason"])
    expect(reason).to_be_visible()
    page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(reason).to_be_hidden()


def test_layout_fits_a_phone_and_uses_a_desktop(
    browser: Browser, sites: Sites, juniors: list[str]
) -> None:
    nip = juniors[3]
    for width, height in ((360, 740), (1280, 900)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        load(page, f"{sites.portal}/?nip={nip}")
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{overflow}px of horizontal overflow at {width}px"
        boxes = [card.bounding_box() for card in page.locator("asn-suggestions li.card").all()]
        assert all(b is not None and b["x"] >= 0 and b["x"] + b["width"] <= width for b in boxes)
        tops = {round(b["y"]) for b in boxes if b is not None}
        if width < 400:
            assert len(tops) == len(boxes), "one card per row on a phone"
        else:
            assert len(tops) < len(boxes), "cards side by side on a desktop"
        context.close()


def test_expired_or_forged_token_ends_the_session(
    page: Page, sites: Sites, juniors: list[str]
) -> None:
    nip = juniors[4]
    load(page, f"{sites.portal}/?nip={nip}")
    page.evaluate(
        "() => { window.widgetErrors = []; document.addEventListener("
        "'asn-suggestions-error', e => window.widgetErrors.push(e.detail.status)); }"
    )
    expired = mint(sites.secret, nip, sites.origin, 10, now=time.time() - 3600)
    status = page.get_by_role("status")
    for token in ("garbage", expired):
        with page.expect_response(lambda r: asks_suggestions(r) and r.status == 401):
            page.locator("asn-suggestions").evaluate("(e, t) => e.setAttribute('token', t)", token)
        expect(status).to_have_text(SESSION_ENDED)
        expect(page.locator("asn-suggestions li.card")).to_have_count(0)
    assert page.evaluate("() => window.widgetErrors") == [401, 401]
    expect(page.get_by_role("region", name=TITLE_ID)).to_have_attribute("aria-busy", "false")


def test_too_many_requests_offer_a_retry(page: Page, sites: Sites, juniors: list[str]) -> None:
    nip = juniors[5]
    with httpx.Client(base_url=sites.api, timeout=120) as client:
        minted = client.post(
            "/v1/widget-tokens",
            json={"nip": nip, "origin": sites.origin},
            headers={"X-API-Key": KEYS["portal"][0]},
        )
        headers = {"Authorization": f"Bearer {minted.json()['token']}", "Origin": sites.origin}
        codes = {client.get(SUGGESTIONS, headers=headers).status_code for _ in range(10)}
    assert codes == {200}
    page.add_init_script(
        "window.widgetErrors = []; document.addEventListener("
        "'asn-suggestions-error', e => window.widgetErrors.push(e.detail));"
    )
    page.goto(f"{sites.portal}/?nip={nip}")
    expect(page.get_by_role("status")).to_have_text(
        "Terlalu banyak permintaan. Coba lagi sebentar lagi."
    )
    expect(page.get_by_role("button", name="Coba lagi")).to_be_visible()
    # the page learns when it may try again (Retry-After, exposed by CORS)
    (event,) = page.evaluate("() => window.widgetErrors")
    assert event["status"] == 429 and event["retryAfter"] >= 1


def test_portal_explains_a_refused_token(page: Page, sites: Sites, juniors: list[str]) -> None:
    page.goto(f"{sites.portal}/?nip=199901012020011999")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Token widget tidak dapat dibuat (HTTP 404)")
    expect(alert).to_contain_text("unknown NIP")
    expect(page.locator("asn-suggestions")).to_have_count(0)
    # the demo selector switches to another employee
    page.get_by_label("Pegawai demo").select_option(juniors[2])
    with page.expect_response(asks_suggestions) as answer:
        page.get_by_role("button", name="Tampilkan").click()
    assert answer.value.status == 200
    expect(page.get_by_role("region", name=TITLE_ID)).to_have_attribute("aria-busy", "false")


def test_a_person_the_matching_leaves_out_is_told_why(
    page: Page, sites: Sites, small_world: Path
) -> None:
    employees = pd.read_csv(small_world / "employees.csv", dtype=str)
    active = employees.loc[employees["active"] == "true", "nip"]
    hr = {"X-API-Key": KEYS["hr-bkpsdm"][0]}
    with httpx.Client(base_url=sites.api, timeout=120) as client:
        for nip in active.iloc[::-1]:  # from the end: the other tests use the first juniors
            mentors = client.get(f"/v1/employees/{nip}/mentors", headers=hr).json()
            if mentors["unassigned"] is not None:
                break
    assert mentors["unassigned"] is not None, "nobody left out by the matching"
    body = load(page, f"{sites.portal}/?nip={nip}")
    assert body["mentor"] is None
    assert body["no_mentor_reason"] == mentors["unassigned"]["reason"]
    region = page.get_by_role("region", name=TITLE_ID)
    expect(region.get_by_role("heading", name="Mentor yang disarankan")).to_be_visible()
    expect(region.locator(".mentor.none")).to_contain_text("Belum ada mentor untuk Anda saat ini.")
    expect(region.locator(".mentor.none .note")).to_have_text(body["no_mentor_reason"])
    expect(region.locator(".pairing")).to_have_count(0)
