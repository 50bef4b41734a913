"""Outcomes as the data contract defines them, on hand-made appraisals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.features.outcomes import OUTCOME, OUTCOME_PERIOD, activity_outcomes, control_windows

D = pd.Timestamp


@pytest.fixture
def performance() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "nip": ["a", "a", "a", "a", "b", "b"],
            "period_end": [
                D("2020-12-31"),
                D("2021-12-31"),
                D("2022-12-31"),
                D("2023-12-31"),
                D("2021-12-31"),
                D("2022-12-31"),
            ],
            "score": [88.0, 90.0, 95.0, 100.0, 80.0, np.nan],
        }
    )


def _activity(nip: str, start: str, end: str | None) -> dict[str, object]:
    return {
        "id": f"{nip}-{start}",
        "nip": nip,
        "start_date": D(start),
        "end_date": D(end) if end else pd.NaT,
    }


@pytest.mark.parametrize(
    ("start", "end", "baseline", "outcome_period", "outcome"),
    [
        # ends in the first half: judged at the same year's appraisal
        ("2022-03-01", "2022-04-30", "2021-12-31", "2022-12-31", 5.0),
        # ends exactly six months before the appraisal: still counts
        ("2022-05-01", "2022-06-30", "2021-12-31", "2022-12-31", 5.0),
        # ends one day later: judged a year later
        ("2022-05-01", "2022-07-01", "2021-12-31", "2023-12-31", 10.0),
        # starts on an appraisal's last day: that appraisal is not "before" it
        ("2021-12-31", "2022-02-01", "2020-12-31", "2022-12-31", 7.0),
    ],
)
def test_windows_follow_the_contract(
    performance: pd.DataFrame,
    start: str,
    end: str,
    baseline: str,
    outcome_period: str,
    outcome: float,
) -> None:
    result = activity_outcomes(
        pd.DataFrame([_activity("a", start, end)]), performance, key="id"
    ).iloc[0]
    assert result["baseline_period"] == D(baseline)
    assert result[OUTCOME_PERIOD] == D(outcome_period)
    assert result[OUTCOME] == pytest.approx(outcome)


def test_missing_appraisals_and_running_activities_have_no_outcome(
    performance: pd.DataFrame,
) -> None:
    activities = pd.DataFrame(
        [
            _activity("b", "2022-02-01", "2022-03-01"),  # outcome appraisal has no score
            _activity("a", "2020-02-01", "2020-03-01"),  # no appraisal before it
            _activity("a", "2023-08-01", "2023-09-01"),  # not yet judged
            _activity("a", "2022-02-01", None),  # still running
            _activity("z", "2022-02-01", "2022-03-01"),  # nobody
        ]
    )
    result = activity_outcomes(activities, performance, key="id")
    assert list(result["id"]) == list(activities["id"])  # order kept, nothing dropped
    assert result[OUTCOME].isna().all()


def test_control_windows_skip_busy_periods(performance: pd.DataFrame) -> None:
    busy = pd.DataFrame([_activity("a", "2022-03-01", "2022-04-30")])
    windows = control_windows(performance, busy)
    spans = set(
        zip(windows["nip"], windows["baseline_period"], windows[OUTCOME_PERIOD], strict=True)
    )
    assert ("a", D("2020-12-31"), D("2021-12-31")) in spans
    assert ("a", D("2022-12-31"), D("2023-12-31")) in spans
    assert ("a", D("2021-12-31"), D("2022-12-31")) not in spans  # the training overlaps
    assert ("a", D("2020-12-31"), D("2022-12-31")) not in spans
    one = windows[
        (windows["nip"] == "a")
        & (windows["baseline_period"] == D("2020-12-31"))
        & (windows[OUTCOME_PERIOD] == D("2021-12-31"))
    ]
    assert one[OUTCOME].item() == pytest.approx(2.0)
    assert not (windows["nip"] == "b").any()  # b's later appraisal has no score
