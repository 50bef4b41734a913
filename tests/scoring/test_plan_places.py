"""Each person's place in the attached plans: their agency's plan before an every-agency
one, what it funds for them and why they stay below 20 JP (in both languages, worded as
the plan document words it); no MLflow store, no plans (and none made)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pandas as pd
import pytest

from recsys.data import load_dataset
from recsys.data.loading import Dataset
from recsys.scoring.plan_places import (
    EXPERIMENT,
    NOTES,
    REASONS,
    AttachedPlan,
    AttachedPlans,
    find_plans,
)


@pytest.fixture(scope="module")
def whole(small_world: Path) -> Dataset:
    return load_dataset(small_world)


def _plan(run_id: str, agency: str | None, items: list[dict], short: list[dict]) -> AttachedPlan:
    item_columns = ["nip", "unit", "training_id", "rank", "gain", "gain_lower", "gain_upper"]
    item_columns += ["cost_idr", "hours_jp", "modality", "classroom", "quarter"]
    short_columns = ["nip", "unit", "jp_completed", "jp_planned", "shortfall", "reason"]
    return AttachedPlan(
        run_id=run_id,
        agency=agency,
        year=2026,
        min_jp=20.0,
        items=pd.DataFrame(items, columns=item_columns),
        shortfall=pd.DataFrame(short, columns=short_columns),
    )


def _item(nip: str, training: str, rank: int, quarter: int, gain: float = 1.0) -> dict:
    return {
        "nip": nip,
        "unit": "Unit X",
        "training_id": training,
        "rank": rank,
        "gain": gain,
        "gain_lower": gain - 1,
        "gain_upper": gain + 1,
        "cost_idr": 1_500_000.0,
        "hours_jp": 12.0,
        "modality": "klasikal",
        "classroom": True,
        "quarter": quarter,
    }


def test_a_person_is_placed_by_their_agencys_plan_first(whole: Dataset) -> None:
    staff = whole.employees[whole.employees["active"]]
    agencies = sorted(staff["agency"].astype(str).unique())
    mine = staff.loc[staff["agency"] == agencies[0], "nip"].astype(str).tolist()
    other = staff.loc[staff["agency"] == agencies[1], "nip"].astype(str).tolist()
    inactive = str(whole.employees.loc[~whole.employees["active"], "nip"].iloc[0])
    trainings = whole.trainings["training_id"].astype(str).tolist()
    agency_plan = _plan(
        "run-agency",
        agencies[0],
        [_item(mine[0], trainings[1], 3, 2, 0.5), _item(mine[0], trainings[0], 1, 1)],
        [
            {
                "nip": mine[1],
                "unit": "Unit X",
                "jp_completed": 4.0,
                "jp_planned": 0.0,
                "shortfall": 16.0,
                "reason": "seats",
            }
        ],
    )
    every_plan = _plan(
        "run-every",
        None,
        [
            _item(mine[2], trainings[2], 1, 3),  # their agency has its own plan: not this
            _item(other[0], trainings[2], 2, 4),
            _item(inactive, trainings[2], 1, 1),  # not active: no place
            _item("199001012020011999", trainings[2], 1, 1),  # not in the data
        ],
        [],
    )
    plans = AttachedPlans((every_plan, agency_plan))
    places = plans.places(whole)
    assert set(places) == {mine[0], mine[1], other[0]}
    assert places[mine[0]][0] == places[mine[1]][0] == "run-agency"
    assert places[other[0]][0] == "run-every"
    funded = json.loads(places[mine[0]][1]["id"])
    assert [i["training_id"] for i in funded["items"]] == [trainings[0], trainings[1]]  # by quarter
    assert funded["items"][0]["title"] == str(whole.trainings["title"].iloc[0])
    assert (funded["jp_planned"], funded["cost_idr"], funded["expected_gain"]) == (
        24.0,
        3_000_000.0,
        1.5,
    )
    assert funded["plan"] == {"run_id": "run-agency", "agency": agencies[0], "year": 2026}
    assert funded["below_minimum"] is None and funded["min_jp"] == 20.0
    assert places[mine[0]][1]["id"] == places[mine[0]][1]["en"]  # nothing to word
    short = {lang: json.loads(places[mine[1]][1][lang]) for lang in ("id", "en")}
    assert short["id"]["items"] == [] and short["id"]["jp_planned"] == 0.0
    assert short["id"]["below_minimum"] == {
        "jp_completed": 4.0,
        "jp_planned": 0.0,
        "shortfall": 16.0,
        "reason": "seats",
        "reason_text": "kursi",
        "note": "Kursi semua pelatihan yang sesuai sudah penuh",
    }
    assert short["en"]["below_minimum"]["reason_text"] == "seats"
    described = {d["run_id"]: d for d in plans.describe(whole)}
    assert described["run-agency"]["people"] == 2 and described["run-agency"]["left_out"] == 0
    assert described["run-every"]["people"] == 1  # only the other agency's person
    assert described["run-every"]["left_out"] == 2  # the inactive one and the unknown NIP


def test_the_reasons_are_worded_as_the_plan_document_words_them() -> None:
    from recsys.planning.plan_document import _label
    from recsys.planning.program import SHORTFALL_REASONS
    from recsys.tracking.plans import EXPERIMENT as PLANS_EXPERIMENT
    from serving.schemas.responses import PlanShortfall

    assert set(REASONS) == set(NOTES) == set(SHORTFALL_REASONS)
    for code in SHORTFALL_REASONS:
        for lang in ("id", "en"):
            assert REASONS[code][lang] == _label(f"reason.{code}", lang)
            assert NOTES[code][lang] == _label(f"reason_note.{code}", lang)
    assert EXPERIMENT == PLANS_EXPERIMENT
    reason = PlanShortfall.model_fields["reason"].annotation
    assert set(get_args(get_args(reason)[0])) == set(SHORTFALL_REASONS)


def test_without_an_mlflow_store_there_are_no_plans_and_none_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("RECSYS_MLFLOW_DIR", str(tmp_path / "mlflow"))
    assert find_plans(2026) == []
    assert not (tmp_path / "mlflow").exists()
    from recsys.scoring.plan_places import PlanAttachError

    with pytest.raises(PlanAttachError, match="no MLflow store"):
        find_plans(2026, ["some-run"])
