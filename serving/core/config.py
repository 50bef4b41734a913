"""Settings of the API, from the environment (prefix ``RECSYS_API_``) or a ``.env`` file.

The one place serving reads its configuration; the library's own settings (``RECSYS_LANG``,
``RECSYS_MENTOR_ALLOW_SUPERVISOR``, …) are ``recsys.settings.get_settings()``.

API keys are configured as JSON, stored hashed: ``RECSYS_API_KEYS='{"hr-bkpsdm":
{"sha256": "<hex>", "role": "hr"}}'`` (``python -m serving.keys`` makes a key and its hash).
The demo keys only work with ``RECSYS_API_DEMO_MODE=true``.

Widget tokens are signed with ``RECSYS_API_TOKEN_SECRET``, which must be set (at least
:data:`MIN_SECRET_CHARS` characters, not a placeholder) outside demo mode: every worker and
every restart must sign and check tokens with the same secret.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)

Role = Literal["hr", "analyst", "portal"]

#: Shortest widget-token secret accepted (characters).
MIN_SECRET_CHARS = 32
#: How to make a good secret (said in the error).
MAKE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
#: Words that mark a secret copied from an example rather than made.
_PLACEHOLDERS = ("changeme", "changethis", "change-me", "change_me", "placeholder", "example")


class ApiKey(BaseModel):
    """One configured key: the SHA-256 of the secret and its role."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    role: Role


class ServingSettings(BaseSettings):
    """What the API serves and who may ask."""

    model_config = SettingsConfigDict(env_prefix="RECSYS_API_", env_file=".env", extra="ignore")

    #: The data set recommendations are computed on (folder or database URL).
    data: str = "data/demo"
    #: The recommendation store ``recsys score`` writes (a SQLAlchemy URL, e.g.
    #: ``sqlite:///store/recommendations.db`` or ``postgresql://host/asn``): the API then
    #: serves its current generation, starts in seconds and keeps no one's answers in
    #: memory. Unset: the API scores everybody itself at start-up.
    store: str | None = None
    #: How often a worker looks at the store's pointer for a new generation (seconds).
    store_poll_seconds: float = Field(default=2.0, ge=0.0, le=300.0)
    #: A model bundle (``recsys export``) to serve instead of the registry's champions.
    bundle: Path | None = None
    #: Demo mode: the built-in demo keys work, and a missing token secret is made up per
    #: process (never in production).
    demo_mode: bool = False
    keys: dict[str, ApiKey] = Field(default_factory=dict)
    #: Largest k a request may ask for (items per person).
    max_k: int = Field(default=10, ge=1, le=50)
    #: Where every access to personal data is recorded (JSON lines). With a PostgreSQL
    #: store the records go to its append-only ``rec_audit`` table instead.
    audit_log: Path = Path("reports/audit.jsonl")
    #: Portal origins allowed to embed the widget (exact match; also the CORS allow-list).
    widget_origins: list[str] = Field(default_factory=list)
    #: Lifetime of a widget token, seconds (at most 10 minutes).
    token_ttl_seconds: int = Field(default=600, ge=10, le=600)
    #: Secret that signs widget tokens: required outside demo mode (see the module doc).
    token_secret: SecretStr | None = None
    #: Requests a minute per API key (bursts of a tenth of that); over it: 429.
    rate_limit_per_minute: int = Field(default=600, ge=1)
    #: Widget requests a minute per token holder; over it: 429.
    widget_rate_per_minute: int = Field(default=30, ge=1)
    #: Answer valid employee reads before FastAPI's routing (serving.middleware.fast_reads):
    #: same bodies, fewer microseconds; off to measure the plain routes.
    fast_reads: bool = True
    #: Largest request body, bytes; over it: 413.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)

    @model_validator(mode="after")
    def _usable_token_secret(self) -> Self:
        problem = _secret_problem(self.token_secret)
        if problem is None:
            return self
        if not self.demo_mode:
            raise ValueError(
                f"RECSYS_API_TOKEN_SECRET {problem}. It signs the widget tokens, so every "
                "worker and every restart must share it: set it to a random secret of at "
                f"least {MIN_SECRET_CHARS} characters, made with: {MAKE_SECRET}"
            )
        log.warning(
            "demo mode: RECSYS_API_TOKEN_SECRET %s, so widget tokens are signed with a random "
            "secret made for this process (they stop working when it restarts)",
            problem,
        )
        self.token_secret = SecretStr(secrets.token_urlsafe(48))
        return self

    @property
    def signing_key(self) -> bytes:
        """The widget-token secret as the HMAC key (always set once validated)."""
        assert self.token_secret is not None, "validation sets or refuses the token secret"
        return self.token_secret.get_secret_value().encode()


def _secret_problem(secret: SecretStr | None) -> str | None:
    """What is wrong with ``secret`` as a signing secret, or None."""
    if secret is None or not secret.get_secret_value():
        return "is not set"
    value = secret.get_secret_value()
    if any(word in value.lower() for word in _PLACEHOLDERS) or len(set(value)) < 8:
        return "is a placeholder, not a secret"
    if len(value) < MIN_SECRET_CHARS:
        return f"is too short ({len(value)} characters, at least {MIN_SECRET_CHARS} needed)"
    return None


#: Demo keys (demo mode only): name → (secret, role).
DEMO_KEYS: dict[str, tuple[str, Role]] = {
    "demo-hr": ("demo-hr-key", "hr"),
    "demo-analyst": ("demo-analyst-key", "analyst"),
    "demo-portal": ("demo-portal-key", "portal"),
}
