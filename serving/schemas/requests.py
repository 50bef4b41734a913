"""Request bodies of the API (kept apart from the responses: a client sends these)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from recsys.settings import LANGUAGES

NIP_PATTERN = r"^\d{18}$"
Nip = Annotated[str, Field(pattern=NIP_PATTERN, description="18-digit NIP")]
TrainingId = Annotated[str, Field(min_length=1, max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ForecastRequest(_Strict):
    """What-if: the forecast gain of trainings and/or a mentor for one employee."""

    nip: Nip
    training_ids: list[TrainingId] = Field(default_factory=list, max_length=50)
    mentor_nip: Nip | None = None


class BatchRequest(_Strict):
    """Recommendations for a bounded list of employees (HR bulk)."""

    nips: list[Nip] = Field(min_length=1, max_length=200)
    k: int = Field(default=5, ge=1, description="items per person (at most the maximum)")
    lang: str = Field(default=LANGUAGES[0], pattern=f"^({'|'.join(LANGUAGES)})$")
    mentors: bool = True


class WidgetTokenRequest(_Strict):
    """A widget token for one employee, to be embedded by one portal origin."""

    nip: Nip
    origin: str = Field(
        max_length=200, description="the portal origin that embeds the widget, e.g. https://…"
    )
