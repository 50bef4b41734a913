"""The API's settings: the widget-token secret is required outside demo mode, and a
placeholder or short one is refused with a message that says how to make one."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from serving.core.config import MAKE_SECRET, MIN_SECRET_CHARS, ServingSettings
from tests.serving.server import TOKEN_SECRET


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECSYS_API_TOKEN_SECRET", raising=False)
    monkeypatch.delenv("RECSYS_API_DEMO_MODE", raising=False)


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        (None, "is not set"),
        ("", "is not set"),
        ("changeme", "is a placeholder"),
        ("CHANGETHIS-" + "x1y2z3w4" * 5, "is a placeholder"),
        ("a" * 64, "is a placeholder"),
        ("Zk3-9qPw_LmN2", "is too short (13 characters"),
    ],
)
def test_an_unusable_secret_is_refused(secret: str | None, problem: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ServingSettings(_env_file=None, token_secret=secret)  # type: ignore[arg-type]
    message = str(refused.value)
    assert f"RECSYS_API_TOKEN_SECRET {problem}" in message
    assert MAKE_SECRET in message and f"at least {MIN_SECRET_CHARS} characters" in message


def test_a_good_secret_from_the_environment_signs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECSYS_API_TOKEN_SECRET", TOKEN_SECRET)
    assert ServingSettings(_env_file=None).signing_key == TOKEN_SECRET.encode()


def test_demo_mode_makes_one_per_process_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="serving.core.config"):
        first = ServingSettings(_env_file=None, demo_mode=True)
        second = ServingSettings(_env_file=None, demo_mode=True)
    assert len(first.signing_key) >= MIN_SECRET_CHARS
    assert first.signing_key != second.signing_key
    assert "random secret" in caplog.text and "RECSYS_API_TOKEN_SECRET is not set" in caplog.text
    kept = ServingSettings(_env_file=None, demo_mode=True, token_secret=TOKEN_SECRET)  # type: ignore[arg-type]
    assert kept.signing_key == TOKEN_SECRET.encode()
