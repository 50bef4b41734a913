"""What the yearly program is planned from: the staff it covers (with their unit, remote
status and the JP they already completed in the plan year) and each person's candidate items
from the training champion's lists (:func:`recsys.planning.program.plan_items`)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection
from dataclasses import replace

import numpy as np
import pandas as pd

from recsys.data import Dataset, cohorts
from recsys.models.requests import decision_date
from recsys.models.selection import RULE
from recsys.planning.bundle_values import item_overlaps
from recsys.planning.needs import jp_completed
from recsys.planning.program import PlanInputError, plan_items

#: Columns of the people table :func:`planning_people` makes (what :func:`solve` reads).
PEOPLE_COLUMNS = ("nip", "agency", "unit", "remote_area", "jp_completed")
#: Length of the lists the items are taken from: long enough to find the person's
#: e-learning further down, the cheap way to the JP minimum (with 20, a person had 2.3
#: usable e-learning items on the demo world and the plan bought 1.9; with 40, 4.9).
LIST_LENGTH = 40
#: The share of every candidate item's forecast the planner takes from the gap rule's, the
#: rest from the served ranker's (:meth:`TrainingRecommender.recommend`'s ``rule_weight``).
#: By default all of it: the plan is made on the gap rule's lists and values. A plan compares
#: forecasts across people and buys the highest, so it gathers the pairs whose learned
#: forecasts are furthest above the truth, mostly pairs HR seldom chose, where the agency's
#: own outcomes cannot check them; the gap rule's values are two numbers learned on every
#: enrollment. On the 16 family worlds (benchmarks/RESULTS.md, planner notes) plans on the
#: served ranker's forecasts reached 0.49-0.88 of the oracle (mean 0.74), a quarter of them
#: mixed with three quarters of the rule's 0.50-0.90 (mean 0.80), and the rule's alone
#: 0.66-0.92 (mean 0.81): the mixture won in 6 worlds, the rule in 5 and by far more (0.72
#: against 0.50 where the catalog is twice as large), and held-out outcomes could not tell
#: which world is which. A model is only as good as its worst world.
PLAN_RULE_WEIGHT = 1.0
#: Plan years accepted around the data set's decision date (a plan is for the coming years).
YEARS_AHEAD = 2


def plan_year(ds: Dataset, year: int | None) -> int:
    """``year``, checked (the decision date's year, or up to :data:`YEARS_AHEAD` later), or
    the decision date's year (the year that starts after the last appraisal)."""
    first = decision_date(ds, None).year
    if year is None:
        return int(first)
    if not isinstance(year, int) or not first - 1 <= year <= first + YEARS_AHEAD:
        raise PlanInputError(
            "year",
            f"must be between {first - 1} and {first + YEARS_AHEAD}, got {year!r}",
            code="year",
            low=first - 1,
            high=first + YEARS_AHEAD,
            got=year,
        )
    return year


def planning_people(ds: Dataset, *, agency: str | None = None, year: int) -> pd.DataFrame:
    """The active staff of ``agency`` (every agency if None) with :data:`PEOPLE_COLUMNS`:
    ``jp_completed`` counts completed development that ended in ``year``. A unit name that
    several agencies use is qualified by its agency, so that two such units never share a
    budget or a share of staff away."""
    try:
        jp = jp_completed(ds, year, agency=agency)
    except cohorts.UnknownAgencyError as exc:
        raise PlanInputError("agency", str(exc)) from exc
    remote = ds.employees.set_index(ds.employees["nip"].astype(str))["remote_area"]
    people = pd.DataFrame(
        {
            "nip": jp["nip"].astype(str).to_numpy(),
            "agency": jp["agency"].astype(str).to_numpy(),
            "unit": jp["unit"].astype(str).to_numpy(),
            "remote_area": remote.reindex(jp["nip"].astype(str)).fillna(False).astype(bool),
            "jp_completed": jp["jp_completed"].to_numpy(dtype=float),
        }
    ).reset_index(drop=True)
    shared = people.groupby("unit")["agency"].nunique()
    clash = people["unit"].isin(shared.index[shared > 1])
    people.loc[clash, "unit"] = people.loc[clash, "agency"] + " / " + people.loc[clash, "unit"]
    return people


def candidate_items(
    champion: object,
    ds: Dataset,
    people: pd.DataFrame,
    *,
    ranker: str | None = None,
    rule_weight: float = 0.0,
    required: pd.DataFrame | None = None,
    as_of: pd.Timestamp | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Each person's candidate items (:func:`plan_items`) from the champion's marginal lists
    (the served ranker, or ``ranker``: e.g. ``"gap_rule"`` for the gap-rule plan), with the
    competencies each item closes (``gaps_closed``) for the plan document. ``rule_weight``:
    the share of each forecast taken from the gap rule's (the planner's default is
    :data:`PLAN_RULE_WEIGHT`; 0: the lists people are shown). ``required``: mandatory
    (``nip``, ``training_id``) pairs (:func:`check_required`), forecast and added where the
    lists lack them."""
    check_rule_weight(rule_weight)
    model = champion
    if rule_weight >= 1.0:  # the same lists, without forecasting the served ranker's
        ranker, rule_weight = RULE, 0.0
    if ranker is not None:
        model = copy.copy(champion)
        model.ranker_ = ranker  # type: ignore[attr-defined]
    lists = model.recommend(  # type: ignore[attr-defined]
        ds,
        people["nip"],
        k=LIST_LENGTH,
        as_of=as_of,
        on_progress=on_progress,
        rule_weight=rule_weight,
    )
    if required is not None and not required.empty:
        lists = _with_required(model, ds, lists, required, as_of, rule_weight)
    items = plan_items(lists, people, required=required)
    closed = lists.set_index([lists["nip"].astype(str), lists["training_id"].astype(str)])
    at = pd.MultiIndex.from_arrays([items["nip"], items["training_id"]])
    items["gaps_closed"] = closed["gaps_closed"].reindex(at).fillna("").astype(str).to_numpy()
    return items


def check_rule_weight(rule_weight: float) -> None:
    """A share of the gap rule's forecast, from 0 to 1, else a :class:`PlanInputError`
    (``rule_weight``)."""
    if not (np.isfinite(rule_weight) and 0.0 <= rule_weight <= 1.0):
        raise PlanInputError("rule_weight", f"must be between 0 and 1, got {rule_weight!r}")


def check_required(
    required: pd.DataFrame, people: pd.DataFrame, catalog: pd.DataFrame
) -> pd.DataFrame:
    """Mandatory trainings (``nip``, ``training_id``), checked: :class:`PlanInputError`
    (``mandatory``) naming a missing column, a NIP not among the staff planned for, or a
    training not in the active catalog. Returned without duplicates, as text."""
    missing = [c for c in ("nip", "training_id") if c not in required]
    if missing:
        raise PlanInputError(
            "mandatory",
            f"missing column(s): {', '.join(missing)}",
            code="missing_columns",
            columns=", ".join(missing),
        )
    pairs = required[["nip", "training_id"]].astype(str).drop_duplicates()
    unknown = pairs.loc[~pairs["nip"].isin(people["nip"]), "nip"]
    if len(unknown):
        raise PlanInputError(
            "mandatory",
            f"{unknown.iat[0]}: not an active employee of the planned staff",
            code="not_staff",
            nip=unknown.iat[0],
        )
    absent = pairs.loc[
        ~pairs["training_id"].isin(catalog["training_id"].astype(str)), "training_id"
    ]
    if len(absent):
        raise PlanInputError(
            "mandatory",
            f"{absent.iat[0]}: not an active training",
            code="not_active",
            training=absent.iat[0],
        )
    return pairs.reset_index(drop=True)


def without_trainings(
    ds: Dataset, excluded: Collection[str], *, keep: Collection[str] = ()
) -> Dataset:
    """``ds`` with the ``excluded`` trainings taken out of the active catalog (e.g. those a
    program evaluation found not to work), so that no list or plan offers them; those in
    ``keep`` (mandatory trainings) stay. An id not in the catalog is a
    :class:`PlanInputError` (``excluded``) naming it."""
    ids = ds.trainings["training_id"].astype(str)
    asked = {str(t) for t in excluded}
    unknown = sorted(asked - set(ids))
    if unknown:
        raise PlanInputError(
            "excluded",
            f"{unknown[0]}: not a training of the catalog",
            code="not_in_catalog",
            training=unknown[0],
        )
    out = asked - {str(t) for t in keep}
    if not out:
        return ds
    trainings = ds.trainings.copy()
    trainings.loc[ids.isin(out).to_numpy(), "active"] = False
    return replace(ds, tables={**ds.tables, "trainings": trainings})


def _with_required(
    model: object,
    ds: Dataset,
    lists: pd.DataFrame,
    required: pd.DataFrame,
    as_of: pd.Timestamp | None,
    rule_weight: float,
) -> pd.DataFrame:
    """``lists`` with a row for each mandatory pair they lack: its forecast (alone, with
    ``rule_weight`` of it the gap rule's) and the training's cost, JP and modality, ranked
    first."""
    listed = pd.MultiIndex.from_arrays(
        [lists["nip"].astype(str).to_numpy(), lists["training_id"].astype(str).to_numpy()]
    )
    wanted = pd.MultiIndex.from_arrays([required["nip"], required["training_id"]])
    extra = required[~wanted.isin(listed)]
    if extra.empty:
        return lists
    forecast, _ = model.forecast(  # type: ignore[attr-defined]
        ds, extra["nip"], extra["training_id"], as_of=as_of, rule_weight=rule_weight
    )
    catalog = ds.trainings.set_index(ds.trainings["training_id"].astype(str))
    ids = extra["training_id"].to_numpy()
    rows = pd.DataFrame(
        {
            "nip": extra["nip"].to_numpy(),
            "rank": 0,
            "training_id": ids,
            "expected_gain": forecast["expected_gain"].to_numpy(dtype=float),
            "gain_lower": forecast["gain_lower"].to_numpy(dtype=float),
            "gain_upper": forecast["gain_upper"].to_numpy(dtype=float),
            "cost_idr": catalog["cost_idr"].reindex(ids).to_numpy(dtype=float),
            "hours_jp": catalog["hours_jp"].reindex(ids).to_numpy(dtype=float),
            "modality": catalog["modality"].astype(str).reindex(ids).to_numpy(),
            "gaps_closed": "",
        }
    )
    return pd.concat([lists.astype({"nip": str, "training_id": str}), rows], ignore_index=True)


def set_valuation(
    champion: object,
    ds: Dataset,
    items: pd.DataFrame,
    *,
    as_of: pd.Timestamp | None = None,
    rule_weight: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the planner needs to value any set of a person's items exactly
    (:mod:`recsys.planning.bundle_values`): ``items`` with each item's forecast alone
    (``gain_alone``, ``lower_alone``, ``upper_alone``; ``rule_weight`` of it the gap
    rule's, as the items were listed) and the overlaps table of the competencies they
    develop."""
    forecast, detail = champion.forecast(  # type: ignore[attr-defined]
        ds, items["nip"], items["training_id"], as_of=as_of, rule_weight=rule_weight
    )
    valued = items.assign(
        gain_alone=forecast["expected_gain"].to_numpy(dtype=float),
        lower_alone=forecast["gain_lower"].to_numpy(dtype=float),
        upper_alone=forecast["gain_upper"].to_numpy(dtype=float),
    )
    return valued, item_overlaps(detail)
