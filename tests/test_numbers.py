"""Numbers in user-facing text as each language writes them."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.cli.messages import t
from recsys.numbers import fill, number


@pytest.mark.parametrize(
    ("value", "spec", "id_text", "en_text"),
    [
        (20000, ",", "20.000", "20,000"),
        (1_500_000.5, ",.1f", "1.500.000,5", "1,500,000.5"),
        (-0.25, "+.2f", "-0,25", "-0.25"),
        (0.0123, ".2%", "1,23%", "1.23%"),
        (np.int64(4535), ",", "4.535", "4,535"),
        (np.float64(14.94), ".1f", "14,9", "14.9"),
    ],
)
def test_a_number_is_written_as_the_language_writes_it(
    value: float, spec: str, id_text: str, en_text: str
) -> None:
    assert number(value, "id", spec) == id_text
    assert number(value, "en", spec) == en_text


def test_only_the_numbers_of_a_template_change() -> None:
    template = "{n:,} rows of {path} in {s:.1f} s, v{version} ({flag})"
    values = {"n": 4535, "path": "data/v1.2,3", "s": 14.94, "version": "1.2", "flag": True}
    assert fill(template, "id", **values) == "4.535 rows of data/v1.2,3 in 14,9 s, v1.2 (True)"
    assert fill(template, "en", **values) == template.format(**values)


def test_every_command_line_message_writes_numbers_in_its_language() -> None:
    text = t("simulated", "id", employees=20000, out="data/demo", seconds=14.94)
    assert "20.000 pegawai" in text and "14,9 detik" in text and "data/demo" in text
    assert "20,000 employees" in t("simulated", "en", employees=20000, out="x", seconds=1.0)
