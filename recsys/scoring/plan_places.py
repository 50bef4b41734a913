"""Each person's place in the agency's yearly plan, attached to a scoring run.

``recsys plan`` logs every plan as an MLflow run (:mod:`recsys.tracking.plans`) with the
planned items (nip, training, rank, gain and interval, cost, JP, modality, quarter) and the
staff still below the JP minimum with the reason. ``recsys score`` attaches plans to the
generation it writes: the runs it is given, or by default the latest plan of each scope
(an agency, or every agency) for the data set's plan year (:func:`find_plans`). A person's
plan is their agency's plan if one is attached, else an every-agency plan; their *place* in
it is what it plans for them and, if they stay below the minimum, the shortfall and why
(:meth:`AttachedPlans.places`), encoded once per language for the API to serve as it is.
Someone the plan gives nothing and who meets the minimum anyway has no place.

Least personal data: a place names the person's NIP, their trainings, JP, cost and
forecast gain; no unit, name or competency level.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd

from recsys.data.loading import Dataset
from recsys.scoring.encoding import encode
from recsys.settings import LANGUAGES

log = logging.getLogger(__name__)

#: The MLflow experiment of the plans (:data:`recsys.tracking.plans.EXPERIMENT`; kept here
#: so that attaching a plan never imports the planner: a test checks they match).
EXPERIMENT = "program-plans"
#: Why someone stays below the minimum, per reason code (the plan document's wording:
#: a test checks they match), in every language.
REASONS: dict[str, dict[str, str]] = {
    "budget": {"id": "anggaran", "en": "budget"},
    "seats": {"id": "kursi", "en": "seats"},
    "away": {"id": "kuota pegawai yang ditinggalkan", "en": "staff away"},
    "no_training": {"id": "tidak ada pelatihan yang sesuai", "en": "no suitable training"},
}
NOTES: dict[str, dict[str, str]] = {
    "budget": {
        "id": "Anggaran tidak cukup untuk pelatihan sesuai yang masih tersedia",
        "en": "The budget does not stretch to the suitable trainings still open",
    },
    "seats": {
        "id": "Kursi semua pelatihan yang sesuai sudah penuh",
        "en": "Every suitable training's seats are taken",
    },
    "away": {
        "id": "Unit kerjanya sudah mencapai batas pegawai yang mengikuti pelatihan klasikal "
        "bersamaan",
        "en": "Their unit already has its share of staff away in classroom training",
    },
    "no_training": {
        "id": "Pelatihan yang berdampak positif baginya tidak cukup JP untuk mencapai 20 JP",
        "en": "The trainings that would help them carry too few JP to reach 20",
    },
}
#: A shortfall of less than this many JP is none (the planner's tolerance).
SHORTFALL_TOLERANCE = 1e-9


class PlanAttachError(ValueError):
    """A plan that cannot be attached: not a plan run, unfinished, missing its tables, or
    two plans for one agency."""


@dataclass(frozen=True)
class AttachedPlan:
    """One plan run: its scope (``agency``; None: every agency), year, JP minimum, planned
    items and staff still below the minimum (the run's ``plan/items.csv`` and
    ``plan/shortfall.csv``)."""

    run_id: str
    agency: str | None
    year: int
    min_jp: float
    items: pd.DataFrame
    shortfall: pd.DataFrame

    def describe(self, people: int | None = None) -> dict[str, Any]:
        """What the API and the store say of the plan (and its ``people`` placed)."""
        out: dict[str, Any] = {"run_id": self.run_id, "agency": self.agency, "year": self.year}
        if people is not None:
            out["people"] = people
        return out

    def nips(self) -> set[str]:
        """The people the plan places (items or a shortfall)."""
        return set(self.items["nip"]) | set(self.shortfall["nip"])


def find_plans(
    year: int, run_ids: Sequence[str] | None = None, *, tracking_uri: str | None = None
) -> list[AttachedPlan]:
    """The plans to attach: the runs ``run_ids`` (each a finished run of :data:`EXPERIMENT`,
    at most one per scope), or (None) the latest finished plan of each scope for ``year``
    (none if there is none). :class:`PlanAttachError` names a run that cannot be attached.
    ``tracking_uri``: the MLflow store (default: :func:`recsys.tracking.store.tracking_uri`)."""
    from mlflow.exceptions import MlflowException

    from mlflow import MlflowClient

    uri = tracking_uri or _existing_store()
    if uri is None:  # no MLflow store here (e.g. models from a bundle): none is made
        if run_ids:
            raise PlanAttachError("there is no MLflow store to read plans from")
        return []
    client = MlflowClient(tracking_uri=uri)
    try:
        experiment = client.get_experiment_by_name(EXPERIMENT)
        runs: list[Any] = []
        if run_ids is None and experiment is not None:
            runs = client.search_runs(
                [experiment.experiment_id],
                filter_string=f"params.year = '{int(year)}' and attributes.status = 'FINISHED'",
                order_by=["attributes.start_time DESC"],
                max_results=10_000,
            )
    except MlflowException as exc:
        raise PlanAttachError(
            f"cannot read the plans in the MLflow store {_shown(uri)}: {exc}"
        ) from exc
    if run_ids is None:
        latest: dict[str, Any] = {}
        for run in runs:  # newest first: the first of each scope is its latest
            latest.setdefault(run.data.params.get("agency", ""), run)
        return [_read(client, run) for _, run in sorted(latest.items())]
    plans = []
    for run_id in dict.fromkeys(run_ids):
        try:
            run = client.get_run(run_id)
        except MlflowException as exc:
            raise PlanAttachError(f"no run {run_id!r} in the MLflow store {_shown(uri)}") from exc
        if experiment is None or run.info.experiment_id != experiment.experiment_id:
            raise PlanAttachError(f"run {run_id!r} is not a plan (`recsys plan` logs plans)")
        if run.info.status != "FINISHED":
            raise PlanAttachError(f"plan run {run_id!r} did not finish ({run.info.status})")
        plans.append(_read(client, run))
    scopes: dict[str | None, str] = {}
    for plan in plans:
        if plan.agency in scopes:
            scope = plan.agency or "every agency"
            raise PlanAttachError(
                f"plan runs {scopes[plan.agency]} and {plan.run_id} are both for {scope}: "
                "attach one"
            )
        scopes[plan.agency] = plan.run_id
    return plans


@contextmanager
def _no_progress_bars() -> Iterator[None]:
    """MLflow's download progress bars off (two small tables: the bars are only noise)."""
    name = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
    before = os.environ.get(name)
    os.environ[name] = "false"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _shown(uri: str) -> str:
    """``uri`` with its password hidden."""
    parts = urlsplit(uri)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return uri


def _existing_store() -> str | None:
    """The MLflow store's URI (:func:`recsys.tracking.store.tracking_uri`), None when it is
    the embedded one and it was never made."""
    from recsys.settings import get_settings
    from recsys.tracking.store import DATABASE, tracking_uri

    settings = get_settings()
    if not settings.mlflow_tracking_uri and not (settings.mlflow_dir / DATABASE).exists():
        return None
    return tracking_uri()


def _read(client: Any, run: Any) -> AttachedPlan:
    """A plan run's tables and parameters."""
    from mlflow.exceptions import MlflowException

    run_id = str(run.info.run_id)
    params = run.data.params
    with tempfile.TemporaryDirectory() as tmp, _no_progress_bars():
        try:
            items = pd.read_csv(
                client.download_artifacts(run_id, "plan/items.csv", tmp),
                dtype={"nip": str, "training_id": str},
            )
            shortfall = pd.read_csv(
                client.download_artifacts(run_id, "plan/shortfall.csv", tmp),
                dtype={"nip": str, "reason": str},
            )
        except (OSError, ValueError, pd.errors.ParserError, MlflowException) as exc:
            raise PlanAttachError(f"plan run {run_id} has no readable plan tables: {exc}") from exc
    try:
        year = int(params["year"])
    except (KeyError, ValueError) as exc:
        raise PlanAttachError(f"plan run {run_id} has no year") from exc
    return AttachedPlan(
        run_id=run_id,
        agency=params.get("agency") or None,
        year=year,
        min_jp=float(params.get("min_jp", 20.0)),
        items=items,
        shortfall=shortfall,
    )


@dataclass(frozen=True)
class AttachedPlans:
    """The plans attached to a generation; a person's plan is their agency's, else an
    every-agency one."""

    plans: tuple[AttachedPlan, ...]

    def plan_of(self, agency: str) -> AttachedPlan | None:
        every = None
        for plan in self.plans:
            if plan.agency == agency:
                return plan
            if plan.agency is None:
                every = plan
        return every

    def places(self, ds: Dataset) -> dict[str, tuple[str, dict[str, bytes]]]:
        """The places of the active employees of ``ds`` (a data set, or a part of one) who
        have one: nip → (plan run id, the place encoded per language)."""
        staff = ds.employees[ds.employees["active"].to_numpy(dtype=bool)]
        catalog = ds.trainings
        titles = dict(
            zip(
                catalog["training_id"].astype(str).tolist(),
                catalog["title"].astype(str).tolist(),
                strict=True,
            )
        )
        out: dict[str, tuple[str, dict[str, bytes]]] = {}
        agencies = staff["agency"].astype(str)
        nips = staff["nip"].astype(str)
        for agency in sorted(agencies.unique()):
            plan = self.plan_of(agency)
            if plan is None:
                continue
            mine = set(nips[(agencies == agency).to_numpy()]) & plan.nips()
            for nip, place in _places(plan, mine, titles).items():
                out[nip] = (plan.run_id, place)
        return out

    def describe(self, ds: Dataset) -> list[dict[str, Any]]:
        """Each plan with the active employees of ``ds`` it places (``people``), and how
        many it names who are not active employees there (``left_out``)."""
        staff = ds.employees[ds.employees["active"].to_numpy(dtype=bool)]
        agency = pd.Series(staff["agency"].astype(str).to_numpy(), index=staff["nip"].astype(str))
        out = []
        for plan in self.plans:
            named = plan.nips()
            placed = {n for n in named if n in agency.index and self.plan_of(agency[n]) is plan}
            out.append({**plan.describe(len(placed)), "left_out": len(named - set(agency.index))})
        return out


def _places(
    plan: AttachedPlan, nips: Iterable[str], titles: Mapping[str, str]
) -> dict[str, dict[str, bytes]]:
    """The place of each of ``nips`` in ``plan``, encoded per language (``titles``: the
    catalog's title of each training id)."""
    wanted = set(nips)
    items = plan.items[plan.items["nip"].isin(wanted)]
    items = items.sort_values(["nip", "quarter", "rank"], kind="stable")
    short = plan.shortfall[plan.shortfall["nip"].isin(wanted)]
    short = short[short["shortfall"].to_numpy(dtype=float) > SHORTFALL_TOLERANCE]
    below = {str(row["nip"]): row for row in short.to_dict("records")}
    by_person = {str(n): g for n, g in items.groupby("nip", sort=False)}
    info = plan.describe()
    out: dict[str, dict[str, bytes]] = {}
    for nip in sorted(wanted):
        planned = by_person.get(nip, items.iloc[:0])
        if planned.empty and nip not in below:
            continue
        listed = [_item(row, titles) for row in planned.to_dict("records")]
        common = {
            "nip": nip,
            "plan": info,
            "min_jp": plan.min_jp,
            "jp_planned": _number(sum(i["hours_jp"] or 0.0 for i in listed)),
            "cost_idr": _number(sum(i["cost_idr"] or 0.0 for i in listed)),
            "expected_gain": _number(sum(i["expected_gain"] or 0.0 for i in listed)),
            "items": listed,
        }
        out[nip] = {
            lang: encode({**common, "below_minimum": _below(below.get(nip), lang)})
            for lang in LANGUAGES
        }
    return out


def _item(row: Mapping[Any, Any], titles: Mapping[str, str]) -> dict[str, Any]:
    training = str(row["training_id"])
    return {
        "rank": _whole(row.get("rank")),
        "training_id": training,
        "title": titles.get(training, ""),
        "quarter": _whole(row.get("quarter")),
        "hours_jp": _number(row.get("hours_jp")),
        "cost_idr": _number(row.get("cost_idr")),
        "modality": None if _missing(row.get("modality")) else str(row["modality"]),
        "classroom": bool(row.get("classroom")) if not _missing(row.get("classroom")) else None,
        "expected_gain": _number(row.get("gain")),
        "gain_lower": _number(row.get("gain_lower")),
        "gain_upper": _number(row.get("gain_upper")),
    }


def _below(row: Mapping[Any, Any] | None, lang: str) -> dict[str, Any] | None:
    if row is None:
        return None
    code = None if _missing(row.get("reason")) else str(row["reason"])
    return {
        "jp_completed": _number(row.get("jp_completed")),
        "jp_planned": _number(row.get("jp_planned")),
        "shortfall": _number(row.get("shortfall")),
        "reason": code,
        "reason_text": REASONS.get(code or "", {}).get(lang, code or ""),
        "note": NOTES.get(code or "", {}).get(lang, ""),
    }


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: object) -> float | None:
    """A finite number as a float (JSON has no NaN), else None."""
    if _missing(value):
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def _whole(value: object) -> int | None:
    number = _number(value)
    return None if number is None else int(number)
