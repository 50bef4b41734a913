"""Numbers in user-facing text as each language writes them.

Bahasa Indonesia groups thousands with a dot and marks decimals with a comma
(``1.500.000,5``; PUEBI), English the other way round (``1,500,000.5``). Every face (the
command line, reasons, the plan's summary) writes numbers through :func:`number` or
:func:`fill`, so an HR officer reading Indonesian never sees ``4,535`` for four thousand.
"""

from __future__ import annotations

import numbers
import string

#: Python's separators (``,`` groups, ``.`` decimals) swapped for Bahasa Indonesia.
_INDONESIAN = str.maketrans(",.", ".,")


def localize(text: str, lang: str) -> str:
    """``text``, a number as Python formats it, written as ``lang`` writes numbers."""
    return text.translate(_INDONESIAN) if lang == "id" else text


def number(value: float, lang: str, spec: str = ",") -> str:
    """``format(value, spec)`` written as ``lang`` writes numbers (default: grouped)."""
    return localize(format(value, spec), lang)


class _Localized(string.Formatter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: object, format_spec: str) -> str:
        text = super().format_field(value, format_spec)
        if isinstance(value, numbers.Number) and not isinstance(value, bool):
            return localize(text, self.lang)
        return text


def fill(template: str, lang: str, **values: object) -> str:
    """``template.format(**values)`` with every number written as ``lang`` writes it (text
    fields, such as paths and names, as they are)."""
    return _Localized(lang).vformat(template, (), values)
