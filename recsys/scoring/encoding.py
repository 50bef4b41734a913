"""The API's JSON as bytes: answers are encoded once and joined per request."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


def encode(value: Any) -> bytes:
    """Compact JSON, UTF-8, as the API sends it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def join(items: Iterable[bytes]) -> bytes:
    """A JSON array of already-encoded items."""
    return b"[" + b",".join(items) + b"]"
