"""What a program evaluation concludes about a training, and the defaults it judges by.

Kept apart from :mod:`recsys.evaluation.kirkpatrick` (which fits models) so that the command
line, the API's schemas and the plots can name verdicts without importing the estimators.
"""

from __future__ import annotations

WORKS = "works"
UNCLEAR = "unclear"
DOES_NOT_WORK = "does_not_work"
TOO_FEW = "too_few"
VERDICTS = (WORKS, UNCLEAR, DOES_NOT_WORK, TOO_FEW)
#: Completers with an outcome below which a training gets no effect.
MIN_PARTICIPANTS = 10
#: The smallest effect worth funding, SKP points (0–120 scale).
MIN_EFFECT = 0.25

_TEXT = {
    WORKS: {"id": "berhasil", "en": "works"},
    UNCLEAR: {"id": "belum jelas", "en": "unclear"},
    DOES_NOT_WORK: {"id": "tidak berhasil", "en": "does not work"},
    TOO_FEW: {"id": "peserta terlalu sedikit", "en": "too few participants"},
}


def verdict_text(verdict: str, lang: str = "id") -> str:
    """A verdict (:data:`VERDICTS`) in words, in ``lang`` (``"id"`` or ``"en"``)."""
    return _TEXT[verdict][lang]
