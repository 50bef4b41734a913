"""schemathesis over the OpenAPI schema of the running API: generated requests (valid and
invalid) never get a server error, and every answer matches the schema (status codes,
content types and bodies).

Reload is not fuzzed: each call recomputes everybody's answers, so it is called once here
with a timeout sized for a loaded machine (and tested on its own in test_api and
test_reload_under_load)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from serving.main import create_app
from tests.serving.server import RELOAD_TIMEOUT, key, serve, settings_for

pytestmark = pytest.mark.slow

#: Seconds a fuzzed request may take on a loaded 2-core machine (what-if forecasts compute).
REQUEST_TIMEOUT = 120
HEAVY = {"POST /v1/admin/reload"}


@pytest.fixture(scope="module")
def live(
    bundle: Path, small_world: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    audit = tmp_path_factory.mktemp("fuzz") / "audit.jsonl"
    app = create_app(
        settings_for(
            small_world,
            bundle,
            audit,
            rate_limit_per_minute=1_000_000,
            widget_rate_per_minute=1_000_000,
        )
    )
    with serve(app) as url:
        yield url


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_no_server_error_and_no_schema_violation(live: str) -> None:
    # one hypothesis run per operation (schemathesis' pytest plugin does not work with
    # pytest 9, so the operations are walked here)
    schema = schemathesis.openapi.from_url(f"{live}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9, [op.label for op in operations]
    assert {op.label for op in operations} >= HEAVY
    for operation in operations:
        if operation.label in HEAVY:
            case = operation.Case()
            case.call_and_validate(headers=key("hr-bkpsdm"), checks=CHECKS, timeout=RELOAD_TIMEOUT)
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=20,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=key("hr-bkpsdm"), checks=CHECKS, timeout=REQUEST_TIMEOUT)

        check()
