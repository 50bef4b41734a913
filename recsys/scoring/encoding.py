"""The API's JSON as bytes: answers are encoded once and joined per request."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring
from typing import Any


def encode(value: Any) -> bytes:
    """Compact JSON, UTF-8, as the API sends it."""
    return _text(value).encode()


def literals(values: Sequence[Any]) -> list[str]:
    """Each value as :func:`encode` writes it, as text: a column of strings is escaped at C
    speed (anything else, e.g. a missing value, goes through :func:`json.dumps`)."""
    try:
        return list(map(encode_basestring, values))
    except TypeError:
        return [encode_basestring(v) if isinstance(v, str) else _text(v) for v in values]


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def join(items: Iterable[bytes]) -> bytes:
    """A JSON array of already-encoded items."""
    return b"[" + b",".join(items) + b"]"
