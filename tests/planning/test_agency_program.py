"""The agency's program from its own records: a real demo world and a fitted champion,
planned within every limit, beside its baselines, with its budget curve, service forecast
and document."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from recsys.data import Dataset, load_dataset
from recsys.models.trainings import TrainingRecommender
from recsys.planning.agency_program import (
    CURVE_COLUMNS,
    CURVE_LEVELS,
    AgencyProgram,
    plan_document,
    plan_program,
)
from recsys.planning.plan_document import plan_tables, write_plan
from recsys.planning.program import (
    MAX_ITEMS_PER_PERSON,
    PlanInputError,
    PlanLimits,
    baseline_groups,
    greedy,
)
from recsys.planning.program_inputs import (
    PLAN_RULE_WEIGHT,
    candidate_items,
    plan_year,
    planning_people,
)


@pytest.fixture(scope="module")
def ds(small_world: Path) -> Dataset:
    return load_dataset(small_world)


@pytest.fixture(scope="module")
def champion(ds: Dataset) -> TrainingRecommender:
    return TrainingRecommender(n_bootstrap=10).fit(ds)


@pytest.fixture(scope="module")
def agency(ds: Dataset) -> str:
    return str(ds.employees["agency"].value_counts().index[0])


@pytest.fixture(scope="module")
def program(ds: Dataset, champion: TrainingRecommender, agency: str) -> AgencyProgram:
    staff = int((ds.employees["agency"] == agency).sum())
    limits = PlanLimits(budget_idr=1_500_000.0 * staff)
    return plan_program(ds, champion, limits, agency=agency)


def test_the_program_covers_the_agency_within_its_limits(
    ds: Dataset, program: AgencyProgram, agency: str
) -> None:
    plan, people = program.plan, program.people
    active = ds.employees[ds.employees["active"].fillna(True) & (ds.employees["agency"] == agency)]
    assert set(people["nip"]) == set(active["nip"].astype(str))
    assert set(plan.items["nip"]) <= set(people["nip"])
    assert plan.cost <= program.limits.budget_idr + 1e-6
    capacity = program.catalog.set_index("training_id")["capacity"]
    for training, used in plan.items["training_id"].value_counts().items():
        if not pd.isna(capacity[training]):
            assert used <= capacity[training]
    assert plan.items.groupby("nip").size().max() <= MAX_ITEMS_PER_PERSON
    assert 0 <= plan.gap <= 0.01
    assert plan.bound >= plan.objective - 1e-6
    # e-learning, the cheap way to the minimum, is used where it works for the person
    assert (plan.items["modality"] == "e_learning").any()
    assert plan.share_at_minimum > 0.5


def test_the_plan_does_at_least_as_well_as_its_baselines(program: AgencyProgram) -> None:
    assert set(program.baselines) == {"greedy", "gap_rule"}
    greedy = program.baselines["greedy"]
    # the same program and items: the plan's objective is within its gap of the best, and
    # the greedy plan is one of the plans the bound covers
    assert program.plan.objective >= greedy.objective * (1 - program.plan.gap) - 1e-6
    assert program.plan.share_at_minimum >= greedy.share_at_minimum - 0.02
    summary = program.summary()
    assert summary["greedy_gain"] == pytest.approx(greedy.total_gain)
    assert summary["total_gain"] == pytest.approx(program.plan.total_gain)
    assert summary["gain_lower"] <= summary["total_gain"] <= summary["gain_upper"]


def test_the_budget_curve_buys_more_with_more_money(program: AgencyProgram) -> None:
    curve = program.curve
    assert curve is not None and list(curve.columns) == list(CURVE_COLUMNS)
    assert len(curve) == len(CURVE_LEVELS)
    assert (curve["cost_idr"] <= curve["budget_idr"] + 1e-6).all()
    # more money never buys less (each level within its gap of the best)
    gains = curve["total_gain"].to_numpy() + 0.0
    objective_slack = 0.01 * gains.max()
    assert (np.diff(curve["share_at_minimum"].to_numpy()) >= -0.01).all()
    assert gains[-1] >= gains[0] - objective_slack
    at_budget = curve.loc[curve["budget_idr"] == program.limits.budget_idr]
    assert at_budget["total_gain"].iat[0] == pytest.approx(program.plan.total_gain)


def test_the_service_forecast_covers_the_agencys_units(program: AgencyProgram) -> None:
    service = program.service
    assert service is not None
    assert set(service["unit"]) == set(program.people["unit"])
    trained = service["trained_share_planned"]
    assert ((trained >= 0) & (trained <= 1)).all()
    known = service.dropna(subset=["satisfaction_change"])
    assert len(known) > 0
    assert (known["satisfaction_lower"] <= known["satisfaction_change"]).all()
    assert (known["satisfaction_change"] <= known["satisfaction_upper"]).all()


def test_the_document_is_written_with_every_sheet(
    ds: Dataset, program: AgencyProgram, tmp_path: Path
) -> None:
    document = plan_document(program, ds)
    path = write_plan(document, tmp_path / "rencana.xlsx")
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == list(plan_tables(document))
    assert document.service is program.service and document.curve is program.curve
    # the greedy plan on the gap rule's forecasts is the gap rule's plan: one set of rows
    cover = pd.read_excel(path, sheet_name=0, engine="openpyxl").iloc[:, 0].astype(str)
    baselines = [row for row in cover if row.startswith("Pembanding (")]
    assert baselines == [
        "Pembanding (greedy = gap_rule): kenaikan kinerja total (poin SKP)",
        "Pembanding (greedy = gap_rule): biaya (Rp)",
        "Pembanding (greedy = gap_rule): pegawai mencapai 20 JP",
    ]


def test_bad_input_names_the_field_before_any_work(
    ds: Dataset, champion: TrainingRecommender, agency: str
) -> None:
    cases = [
        (PlanLimits(budget_idr=1e9), {"agency": "Pemerintah Kota Atlantis"}, "agency"),
        (PlanLimits(budget_idr=1e9), {"agency": agency, "year": 1990}, "year"),
        (PlanLimits(budget_idr=1e9, unit_budgets={"Dinas Fiktif": 1e6}), {}, "unit_budgets"),
        (PlanLimits(budget_idr=-5), {}, "budget_idr"),
        (PlanLimits(budget_idr=1e9), {"agency": agency, "rule_weight": 1.5}, "rule_weight"),
        (PlanLimits(budget_idr=1e9), {"agency": agency, "rule_weight": -0.2}, "rule_weight"),
    ]
    for limits, kwargs, field in cases:
        with pytest.raises(PlanInputError) as raised:
            plan_program(ds, champion, limits, baselines=False, curve=False, **kwargs)
        assert raised.value.field == field


def test_the_plan_is_made_on_the_gap_rules_forecasts_unless_asked_otherwise(
    ds: Dataset, champion: TrainingRecommender, program: AgencyProgram
) -> None:
    """By default (:data:`PLAN_RULE_WEIGHT`) the planner's items are the gap rule's lists and
    values (a plan compares forecasts across people); ``rule_weight=0`` plans on the lists
    people are shown, a weight between on their mixture."""
    assert champion.ranker_ != "gap_rule"  # else the three would be one
    assert PLAN_RULE_WEIGHT == 1.0 and program.rule_weight == PLAN_RULE_WEIGHT
    people, key = program.people, ["nip", "training_id"]

    def ordered(items: pd.DataFrame) -> pd.DataFrame:
        return items.sort_values(key).reset_index(drop=True)

    by_rule = candidate_items(champion, ds, people, ranker="gap_rule")
    pd.testing.assert_frame_equal(ordered(program.items), ordered(by_rule))
    shown = candidate_items(champion, ds, people)
    half = candidate_items(champion, ds, people, rule_weight=0.5)
    for other in (by_rule, shown):
        both = half.merge(other, on=key, suffixes=("_half", "_other"))
        assert len(both) > 0
        assert not np.allclose(both["gain_half"], both["gain_other"])
    alone = plan_program(
        ds, champion, program.limits, agency=program.agency, rule_weight=0.0, curve=False
    )
    assert alone.rule_weight == 0.0
    pd.testing.assert_frame_equal(ordered(alone.items), ordered(shown))
    # on the rule's items greedy per rupiah is the gap rule's plan: made once, shown once;
    # on the champion's items they are two plans
    shared = program.baselines["greedy"]
    assert program.baselines["gap_rule"] is shared
    assert [names for names, _ in baseline_groups(program.baselines)] == [("greedy", "gap_rule")]
    again = greedy(by_rule, people, program.catalog, program.limits, name="gap_rule")
    pd.testing.assert_frame_equal(ordered(again.items), ordered(shared.items))
    assert alone.baselines["greedy"] is not alone.baselines["gap_rule"]
    assert [names for names, _ in baseline_groups(alone.baselines)] == [("greedy",), ("gap_rule",)]
    assert alone.baselines["gap_rule"].total_gain == pytest.approx(shared.total_gain)
    with pytest.raises(PlanInputError) as raised:
        candidate_items(champion, ds, people, rule_weight=2.0)
    assert raised.value.field == "rule_weight"


def test_people_count_what_they_completed_in_the_plan_year(ds: Dataset, agency: str) -> None:
    last = plan_year(ds, None) - 1  # a year with completed trainings
    people = planning_people(ds, agency=agency, year=last)
    done = ds.enrollments[
        (ds.enrollments["status"].astype(str) == "completed")
        & (ds.enrollments["end_date"].dt.year == last)
    ]
    hours = done["training_id"].map(ds.trainings.set_index("training_id")["hours_jp"])
    by_nip = hours.groupby(done["nip"].astype(str)).sum()
    expected = by_nip.reindex(people["nip"]).fillna(0.0).to_numpy()
    assert np.allclose(people["jp_completed"].to_numpy(), expected)
    assert (people["jp_completed"] > 0).any()


def test_mandatory_trainings_are_planned_and_bad_ones_named(
    ds: Dataset, champion: TrainingRecommender, agency: str
) -> None:
    people = planning_people(ds, agency=agency, year=plan_year(ds, None))
    catalog = ds.trainings[ds.trainings["active"]]
    # a long classroom course nobody would be recommended first, for two people
    course = catalog.sort_values("hours_jp")["training_id"].astype(str).iat[-1]
    required = pd.DataFrame({"nip": people["nip"].iloc[:2], "training_id": course})
    staff = len(people)
    limits = PlanLimits(budget_idr=3_000_000.0 * staff)
    program = plan_program(
        ds, champion, limits, agency=agency, required=required, curve=False, service=False
    )
    for plan in (program.plan, *program.baselines.values()):
        taken = plan.items[plan.items["training_id"] == course]
        assert set(required["nip"]) <= set(taken["nip"])
        assert plan.cost <= limits.budget_idr + 1e-6
    bad = [
        (required.assign(nip="199001012015011999"), "not an active employee"),
        (required.assign(training_id="NO-SUCH"), "not an active training"),
        (required.rename(columns={"training_id": "pelatihan"}), "missing column"),
    ]
    for frame, message in bad:
        with pytest.raises(PlanInputError, match=message) as raised:
            plan_program(ds, champion, limits, agency=agency, required=frame, curve=False)
        assert raised.value.field == "mandatory"
    poor = PlanLimits(budget_idr=1.0)
    with pytest.raises(PlanInputError, match="budget") as raised:
        plan_program(ds, champion, poor, agency=agency, required=required, curve=False)
    assert raised.value.field == "mandatory"


def test_exact_set_values_credit_skipped_items_and_keep_the_limits(
    ds: Dataset, champion: TrainingRecommender, agency: str, program: AgencyProgram
) -> None:
    exact = plan_program(
        ds,
        champion,
        program.limits,
        agency=agency,
        exact_sets=True,
        baselines=False,
        curve=False,
        service=False,
    )
    plan = exact.plan
    assert exact.overlaps is not None and program.overlaps is None
    assert plan.cost <= program.limits.budget_idr + 1e-6
    assert 0 <= plan.gap <= 0.01
    # each person's set is worth at least its items' listed (discounted) gains, never more
    # than their gains alone (people whose items all work; an e-learning item taken for the
    # JP may have a negative forecast, which no discount shrinks)
    listed = exact.items.set_index(["nip", "training_id"])
    at = pd.MultiIndex.from_frame(plan.items[["nip", "training_id"]])
    valued = plan.items.assign(
        listed=listed["gain"].reindex(at).to_numpy(),
        alone=listed["gain_alone"].reindex(at).to_numpy(),
    )
    works = valued.groupby("nip")["alone"].transform("min") > 0
    by_person = valued[works].groupby("nip")[["gain", "listed", "alone"]].sum()
    assert len(by_person) > 0.5 * valued["nip"].nunique()
    assert (by_person["gain"] >= by_person["listed"] - 1e-9).all()
    assert (by_person["gain"] <= by_person["alone"] + 1e-9).all()
    assert (by_person["gain"] > by_person["listed"] + 1e-6).any()


def test_trainings_found_not_to_work_leave_the_plan(
    ds: Dataset, champion: TrainingRecommender, agency: str, program: AgencyProgram
) -> None:
    """A program evaluation's flagged trainings (``excluded``) get no seat; the rest of the
    plan stays within its limits; an unknown id is named; a mandatory training stays."""
    planned = program.plan.items["training_id"].value_counts()
    flagged = planned.index[:2].astype(str).tolist()  # the two the plan used most
    limits = program.limits
    again = plan_program(
        ds, champion, limits, agency=agency, excluded=flagged, baselines=False, curve=False
    )
    assert not again.plan.items["training_id"].isin(flagged).any()
    assert len(again.plan.items) > 0 and again.plan.cost <= limits.budget_idr + 1e-6
    with pytest.raises(PlanInputError, match="NOPE-1: not a training"):
        plan_program(ds, champion, limits, agency=agency, excluded=["NOPE-1"], curve=False)
    person = str(again.people["nip"].iloc[0])
    required = pd.DataFrame({"nip": [person], "training_id": [flagged[0]]})
    kept = plan_program(
        ds,
        champion,
        limits,
        agency=agency,
        excluded=flagged,
        required=required,
        baselines=False,
        curve=False,
    )
    items = kept.plan.items
    assert ((items["nip"] == person) & (items["training_id"] == flagged[0])).any()
