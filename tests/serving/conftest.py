"""Fixtures of the API tests: Debian's Chromium, driven by Playwright (nothing downloaded)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

#: Debian's Chromium (system-packages.txt), the browser of the widget and docs tests.
CHROMIUM = shutil.which("chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM, "Debian's chromium is missing: scripts/bootstrap.sh installs it"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()
