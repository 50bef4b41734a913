"""Settings of the API, from the environment (prefix ``RECSYS_API_``) or a ``.env`` file.

API keys are configured as JSON, stored hashed: ``RECSYS_API_KEYS='{"hr-bkpsdm":
{"sha256": "<hex>", "role": "hr"}}'`` (``python -m serving.keys`` makes a key and its hash).
The demo key only works with ``RECSYS_API_DEMO_MODE=true``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Role = Literal["hr", "analyst", "portal"]


class ApiKey(BaseModel):
    """One configured key: the SHA-256 of the secret and its role."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    role: Role


class ServingSettings(BaseSettings):
    """What the API serves and who may ask."""

    model_config = SettingsConfigDict(env_prefix="RECSYS_API_", env_file=".env", extra="ignore")

    #: The data set recommendations are computed on (folder or database URL).
    data: str = "data/demo"
    #: A model bundle (``recsys export``) to serve instead of the registry's champions.
    bundle: Path | None = None
    #: Demo mode: the built-in demo keys work (never in production).
    demo_mode: bool = False
    keys: dict[str, ApiKey] = Field(default_factory=dict)
    #: Largest k a request may ask for (items per person).
    max_k: int = Field(default=10, ge=1, le=50)
    #: Where every access to personal data is recorded (JSON lines).
    audit_log: Path = Path("reports/audit.jsonl")
    #: Portal origins allowed to embed the widget (exact match; also the CORS allow-list).
    widget_origins: list[str] = Field(default_factory=list)
    #: Lifetime of a widget token, seconds (at most 10 minutes).
    token_ttl_seconds: int = Field(default=600, ge=10, le=600)
    #: Secret that signs widget tokens; unset: a random one per process start.
    token_secret: SecretStr | None = None
    #: Requests a minute per API key (bursts of a tenth of that); over it: 429.
    rate_limit_per_minute: int = Field(default=600, ge=1)
    #: Widget requests a minute per token holder; over it: 429.
    widget_rate_per_minute: int = Field(default=30, ge=1)
    #: Largest request body, bytes; over it: 413.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)


#: Demo keys (demo mode only): name → (secret, role).
DEMO_KEYS: dict[str, tuple[str, Role]] = {
    "demo-hr": ("demo-hr-key", "hr"),
    "demo-analyst": ("demo-analyst-key", "analyst"),
    "demo-portal": ("demo-portal-key", "portal"),
}
