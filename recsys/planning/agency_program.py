"""The agency's yearly program from its own records: the staff and their candidate items
(:mod:`recsys.planning.program_inputs`), the best plan (:func:`recsys.planning.program.solve`),
the two baselines beside it (greedy by gain per rupiah; the gap rule's plan), and what other
budgets would buy (:func:`budget_curve`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from recsys.data import Dataset
from recsys.models.service import ServiceForecaster
from recsys.planning.plan_document import PlanDocument
from recsys.planning.program import (
    Plan,
    PlanInputError,
    PlanLimits,
    greedy,
    solve,
)
from recsys.planning.program_inputs import (
    PLAN_RULE_WEIGHT,
    candidate_items,
    check_required,
    check_rule_weight,
    plan_year,
    planning_people,
    set_valuation,
    without_trainings,
)

log = logging.getLogger(__name__)

ProgressFn = Callable[[str], None]

#: Budget levels of the curve, as multiples of the plan's budget.
CURVE_LEVELS = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
#: Columns of :func:`budget_curve`'s table.
CURVE_COLUMNS = (
    "budget_idr",
    "cost_idr",
    "total_gain",
    "gain_lower",
    "gain_upper",
    "share_at_minimum",
    "budget_price",
    "gap",
)


@dataclass
class AgencyProgram:
    """A planned program and what it is compared with.

    ``plan``: the best plan found; ``baselines``: ``greedy`` (gain per rupiah, as HR might
    by hand, on the plan's own items) and ``gap_rule`` (the same on the gap rule's own lists
    and forecasts; one plan under both names where the items are the rule's:
    :func:`~recsys.planning.program.baseline_groups`); ``curve``: the budget
    curve (:data:`CURVE_COLUMNS`) or None; ``service``: each unit's forecast change in
    satisfaction and service days under the plan (:func:`service_forecast`) or None;
    ``people``/``items``/``overlaps``: what was planned from (the overlaps value any set of
    a person's items: :mod:`recsys.planning.bundle_values`); ``rule_weight``: the share of
    the items' forecasts taken from the gap rule's (:data:`PLAN_RULE_WEIGHT`).
    """

    plan: Plan
    limits: PlanLimits
    year: int
    agency: str | None
    people: pd.DataFrame
    items: pd.DataFrame
    catalog: pd.DataFrame
    baselines: dict[str, Plan] = field(default_factory=dict)
    curve: pd.DataFrame | None = None
    service: pd.DataFrame | None = None
    overlaps: pd.DataFrame | None = None
    rule_weight: float = 0.0

    def summary(self) -> dict[str, float | str | int]:
        """The figures every face reports (and MLflow logs)."""
        plan = self.plan
        low, high = plan.gain_interval
        out: dict[str, float | str | int] = {
            "agency": self.agency or "",
            "year": self.year,
            "people": len(self.people),
            "budget_idr": float(self.limits.budget_idr),
            "cost_idr": plan.cost,
            "items": len(plan.items),
            "total_gain": plan.total_gain,
            "gain_lower": low,
            "gain_upper": high,
            "share_at_minimum": plan.share_at_minimum,
            "below_minimum": int((plan.people["shortfall"] > 1e-9).sum()),
            "bound": plan.bound,
            "gap": plan.gap,
            "method": plan.method,
            "seconds": plan.seconds,
            "budget_price": plan.budget_price,
        }
        for name, baseline in self.baselines.items():
            out[f"{name}_gain"] = baseline.total_gain
            out[f"{name}_cost_idr"] = baseline.cost
            out[f"{name}_share_at_minimum"] = baseline.share_at_minimum
        return out


def active_catalog(ds: Dataset) -> pd.DataFrame:
    """The trainings a plan may buy: the active ones."""
    trainings = ds.trainings
    return trainings[trainings["active"].fillna(True).astype(bool)].reset_index(drop=True)


def plan_inputs(
    ds: Dataset,
    limits: PlanLimits,
    *,
    agency: str | None = None,
    year: int | None = None,
    required: pd.DataFrame | None = None,
) -> tuple[int, pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """What a plan is made from, checked before any work: the plan year, the staff, the
    active catalog and the mandatory pairs (:func:`check_required`). Bad input is a
    :class:`PlanInputError` naming the field."""
    year = plan_year(ds, year)
    people = planning_people(ds, agency=agency, year=year)
    if people.empty:
        raise PlanInputError("agency", "no active staff to plan for", code="no_staff")
    catalog = active_catalog(ds)
    limits.check(set(people["unit"]), set(catalog["training_id"].astype(str)))
    if required is not None:
        required = check_required(required, people, catalog)
    return year, people, catalog, required


def plan_program(
    ds: Dataset,
    champion: object,
    limits: PlanLimits,
    *,
    agency: str | None = None,
    year: int | None = None,
    baselines: bool = True,
    curve: bool = True,
    curve_levels: Sequence[float] = CURVE_LEVELS,
    service: bool = True,
    required: pd.DataFrame | None = None,
    exact_sets: bool = False,
    method: str = "auto",
    excluded: Sequence[str] = (),
    rule_weight: float = PLAN_RULE_WEIGHT,
    on_progress: ProgressFn | None = None,
) -> AgencyProgram:
    """The agency's program for ``year`` (default: the year after the last appraisal)
    within ``limits``, from the training ``champion``'s forecasts; ``required``: mandatory
    (``nip``, ``training_id``) pairs every plan takes. Bad input is a
    :class:`PlanInputError` naming the field, raised before any work (mandatory trainings
    that break a limit by themselves: once their forecasts are made).

    ``exact_sets``: value every set of a person's items with overlaps counted once
    (:mod:`recsys.planning.bundle_values`) instead of by the items' listed marginal gains.
    Off by default: on the demo worlds it buys 1–3 points more of the oracle's true gain,
    but its forecast of the plan is twice the truth (the truth's returns diminish with the
    number of trainings in a year, not only with overlapping gaps), where the listed gains
    forecast 1.3 times it (benchmarks/RESULTS.md).

    ``excluded``: trainings no list or plan may offer (e.g. those the last program evaluation
    found not to work: :meth:`~recsys.evaluation.kirkpatrick.ProgramEvaluation.flagged`);
    mandatory ones stay.

    ``rule_weight``: the share of each item's forecast taken from the gap rule's, the rest
    from the champion's served ranker (:data:`PLAN_RULE_WEIGHT`: why a plan, which compares
    forecasts across people, is made on the rule's by default; 0: the lists people are
    shown)."""
    check_rule_weight(rule_weight)
    step = on_progress or (lambda _stage: None)
    if excluded:
        mandatory = () if required is None else required["training_id"].astype(str).tolist()
        ds = without_trainings(ds, excluded, keep=mandatory)
    year, people, catalog, required = plan_inputs(
        ds, limits, agency=agency, year=year, required=required
    )
    step("forecasts")
    items = candidate_items(champion, ds, people, rule_weight=rule_weight, required=required)
    overlaps = None
    if exact_sets:
        items, overlaps = set_valuation(champion, ds, items, rule_weight=rule_weight)
    step("plan")
    plan = solve(items, people, catalog, limits, method=method, overlaps=overlaps)
    program = AgencyProgram(
        plan=plan,
        limits=limits,
        year=year,
        agency=agency,
        people=people,
        items=items,
        catalog=catalog,
        overlaps=overlaps,
        rule_weight=rule_weight,
    )
    if baselines:
        step("baselines")
        program.baselines["greedy"] = greedy(items, people, catalog, limits, overlaps=overlaps)
        if rule_weight >= 1.0 and overlaps is None:
            # the items are the gap rule's own lists and values: greedy per rupiah on them
            # is the gap rule's plan, made once and shown once (baseline_groups)
            program.baselines["gap_rule"] = program.baselines["greedy"]
        else:
            gap_items = candidate_items(champion, ds, people, ranker="gap_rule", required=required)
            program.baselines["gap_rule"] = greedy(
                gap_items, people, catalog, limits, name="gap_rule"
            )
    if curve:
        step("curve")
        program.curve = budget_curve(
            items, people, catalog, limits, levels=curve_levels, at_budget=plan, overlaps=overlaps
        )
    if service:
        step("service")
        program.service = service_forecast(ds, program)
    return program


def service_forecast(ds: Dataset, program: AgencyProgram) -> pd.DataFrame | None:
    """Each of the program's units' forecast change in IKM/SKM and service days under its
    plan (:class:`~recsys.models.service.ServiceForecaster`, learned from the agency's
    ``service_metrics``), or None when the data cannot support it (the reason is logged)."""
    if ds.service_metrics.empty:
        log.info("no service_metrics: the plan has no service forecast")
        return None
    try:
        model = ServiceForecaster().fit(ds)
    except ValueError as exc:
        log.warning("no service forecast: %s", exc)
        return None
    planned = program.plan.items[["nip", "training_id"]]
    forecast = model.forecast(ds, planned, year=program.year)
    units = set(program.people["unit"]) | set(
        ds.employees.loc[ds.employees["nip"].astype(str).isin(program.people["nip"]), "unit"]
    )
    return forecast[forecast["unit"].astype(str).isin(units)].reset_index(drop=True)


def budget_curve(
    items: pd.DataFrame,
    people: pd.DataFrame,
    catalog: pd.DataFrame,
    limits: PlanLimits,
    *,
    levels: Sequence[float] = CURVE_LEVELS,
    at_budget: Plan | None = None,
    method: str = "rounded",
    overlaps: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """What each budget would buy (:data:`CURVE_COLUMNS`), one row per level (multiples of
    ``limits.budget_idr``), each a plan under the same other limits: its forecast gain with
    interval, the share of the staff reaching the JP minimum and the value of one more
    million rupiah at that level. ``at_budget``: the plan already made at 1×, reused."""
    if any(not np.isfinite(level) or level < 0 for level in levels):
        raise PlanInputError("levels", "budget levels must be ≥ 0")
    rows = []
    for level in sorted(set(float(level) for level in levels)):
        budget = limits.budget_idr * level
        if at_budget is not None and level == 1.0:
            plan = at_budget
        else:
            plan = solve(
                items,
                people,
                catalog,
                replace(limits, budget_idr=budget),
                method=method,
                overlaps=overlaps,
            )
        low, high = plan.gain_interval
        rows.append(
            {
                "budget_idr": budget,
                "cost_idr": plan.cost,
                "total_gain": plan.total_gain,
                "gain_lower": low,
                "gain_upper": high,
                "share_at_minimum": plan.share_at_minimum,
                "budget_price": plan.budget_price,
                "gap": plan.gap,
            }
        )
    return pd.DataFrame(rows, columns=list(CURVE_COLUMNS))


def plan_document(
    program: AgencyProgram, ds: Dataset, *, service: pd.DataFrame | None = None
) -> PlanDocument:
    """The plan document (:mod:`recsys.planning.plan_document`) of ``program`` (with its
    service forecast, unless ``service`` is given)."""
    return PlanDocument(
        plan=program.plan,
        agency=program.agency or "",
        year=program.year,
        budget_idr=float(program.limits.budget_idr),
        trainings=ds.trainings,
        training_competencies=ds.training_competencies,
        competencies=ds.competencies,
        baselines=dict(program.baselines),
        curve=program.curve,
        service=program.service if service is None else service,
    )
