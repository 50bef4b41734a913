"""The library's configuration: one settings object, read from the environment.

Every variable has the prefix ``RECSYS_`` (e.g. ``RECSYS_LANG=en``); a ``.env`` file in
the working directory is read too. Nothing else in ``recsys`` reads the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Languages of user-facing text; the first is the default.
Language = Literal["id", "en"]
LANGUAGES: tuple[str, ...] = get_args(Language)


class Settings(BaseSettings):
    """Embedded defaults: everything under the working directory."""

    model_config = SettingsConfigDict(env_prefix="RECSYS_", env_file=".env", extra="ignore")

    #: Language of user-facing text: Bahasa Indonesia by default, English on request.
    lang: Language = "id"
    #: Where the demo world is generated.
    demo_dir: Path = Path("data/demo")
    #: Employees in the demo world made by ``recsys demo``.
    demo_employees: int = 20_000
    #: Seed of the demo world made by ``recsys demo``.
    demo_seed: int = 42
    #: The agency's column mapping for loading data (``--columns``): a YAML file, a
    #: shipped mapping's name (``siasn``, ``ekinerja``), or several separated by commas
    #: (docs/data-formats.md); unset: the contract's own names only.
    columns: str | None = None
    #: Where load reports and quarantine files go.
    reports_dir: Path = Path("reports")
    #: A team's MLflow tracking server (read from ``MLFLOW_TRACKING_URI``); unset: the
    #: embedded store under ``mlflow_dir``.
    mlflow_tracking_uri: str | None = Field(
        default=None, validation_alias=AliasChoices("MLFLOW_TRACKING_URI")
    )
    #: The embedded MLflow store: SQLite database and artifacts.
    mlflow_dir: Path = Path("mlflow")
    #: The recommendation store ``recsys score`` writes and the API reads: a SQLAlchemy
    #: URL, e.g. ``postgresql://user:password@host/asn`` in production; the embedded
    #: default is a SQLite file under the project.
    store: str = "sqlite:///store/recommendations.db"
    #: The mentoring policy file (YAML or TOML): rules per agency over the default below
    #: (docs/mentoring-policy.md, :mod:`recsys.models.mentors.policy`); unset: no file.
    mentor_policy: Path | None = None
    #: The default policy's supervisor rule: may a mentee's direct supervisor be their
    #: mentor (Perlan LAN 10/2018: yes). The policy file may override it.
    mentor_allow_supervisor: bool = True
    #: The default policy's capacity: mentees a mentor takes at once, ongoing mentorships
    #: included. The policy file may override it; ``match-mentors --capacity`` too.
    mentor_capacity: int = Field(default=3, ge=1)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
