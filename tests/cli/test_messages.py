"""Every message of the command line exists in every language, with the same blanks."""

from __future__ import annotations

import string

from recsys.cli.messages import _MESSAGES
from recsys.settings import LANGUAGES


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_is_translated_with_the_same_fields() -> None:
    untranslated = [key for key, entry in _MESSAGES.items() if set(entry) != set(LANGUAGES)]
    assert untranslated == []
    differing = [
        key
        for key, entry in _MESSAGES.items()
        if len({frozenset(_fields(text)) for text in entry.values()}) != 1
    ]
    assert differing == []
