"""Program evaluation: what a year's development did, training by training, provider by
provider and unit by unit, on the four Kirkpatrick levels.

Per training (enrollments that *started* in the year):

1. **Reaction**: mean participant survey score (1–5) and how many answered.
2. **Learning**: mean post − pre test score (0–100 points) of completers tested both times,
   with its interval.
3. **Behaviour**: mean supervisor's post-training score (1–5).
4. **Results**: the effect of completing it on the participants' SKP score, adjusted for who
   was sent (:mod:`recsys.evaluation.training_effects`), with its interval.

Beside them: enrolled, completed and dropped, the dropout rate (by modality and remote area
in :attr:`ProgramEvaluation.dropout`), the cost and, where the training works, the cost per
SKP point.

**Verdicts** (``verdict``), read from the level-4 interval at ``1 − alpha``:

* ``too_few``: fewer than ``min_participants`` completers with an appraisal outcome. No
  effect is given: a handful of scores says nothing.
* ``does_not_work``: the whole interval lies below ``min_effect`` (the smallest effect on SKP
  worth funding): whatever the true effect, it is too small. Flagged for the next plan.
* ``works``: the interval lies above zero (and reaches ``min_effect``).
* ``unclear``: the interval spans zero: more participants are needed to tell.

Providers get the same, their effect being their trainings' participant-weighted mean.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from recsys.data.contract import ID_DTYPE
from recsys.data.loading import Dataset
from recsys.evaluation.training_effects import TrainingEffects, training_effects
from recsys.evaluation.unit_effects import UnitEffects, unit_effects
from recsys.evaluation.verdicts import (
    DOES_NOT_WORK,
    MIN_EFFECT,
    MIN_PARTICIPANTS,
    TOO_FEW,
    UNCLEAR,
    VERDICTS,
    WORKS,
)

#: Columns of :attr:`ProgramEvaluation.trainings` (and, with ``provider`` first and without
#: the training's own columns, of ``providers``).
TRAINING_COLUMNS = (
    "training_id",
    "title",
    "provider",
    "modality",
    "hours_jp",
    "cost_idr",
    "enrolled",
    "completed",
    "dropped",
    "dropout_rate",
    "reaction_mean",
    "reaction_n",
    "learning_gain",
    "learning_lower",
    "learning_upper",
    "learning_n",
    "behavior_mean",
    "behavior_n",
    "participants",
    "effect",
    "effect_lower",
    "effect_upper",
    "std_error",
    "cost_per_point",
    "verdict",
)
PROVIDER_COLUMNS = (
    "provider",
    "trainings",
    "enrolled",
    "completed",
    "dropped",
    "dropout_rate",
    "reaction_mean",
    "reaction_n",
    "learning_gain",
    "learning_n",
    "behavior_mean",
    "behavior_n",
    "participants",
    "effect",
    "effect_lower",
    "effect_upper",
    "std_error",
    "verdict",
)
DROPOUT_COLUMNS = ("modality", "remote_area", "enrolled", "dropped", "dropout_rate")


@dataclass(frozen=True)
class ProgramEvaluation:
    """The evaluation of ``year``: ``trainings`` (:data:`TRAINING_COLUMNS`), ``providers``
    (:data:`PROVIDER_COLUMNS`), ``dropout`` (:data:`DROPOUT_COLUMNS`), ``units`` (a
    :class:`~recsys.evaluation.unit_effects.UnitEffects`, None without service metrics,
    ``unit_note`` says why), the settings it was made with and ``effects`` (the level-4
    estimate itself)."""

    year: int
    trainings: pd.DataFrame
    providers: pd.DataFrame
    dropout: pd.DataFrame
    units: UnitEffects | None
    effects: TrainingEffects
    alpha: float
    min_participants: int
    min_effect: float
    unit_note: str = ""

    def limited(self, wanted: set[str] | None) -> ProgramEvaluation:
        """The report limited to the trainings ``wanted`` (:func:`report_trainings`; None:
        all) and their providers; the estimates are those of the whole year."""
        if wanted is None:
            return self
        table = self.trainings[self.trainings["training_id"].astype(str).isin(wanted)]
        providers = self.providers[self.providers["provider"].isin(set(table["provider"]))]
        return replace(
            self,
            trainings=table.reset_index(drop=True),
            providers=providers.reset_index(drop=True),
        )

    def flagged(self) -> list[str]:
        """Trainings that do not work: to leave out of the next plan."""
        rows = self.trainings[self.trainings["verdict"] == DOES_NOT_WORK]
        return rows["training_id"].astype(str).tolist()

    def summary(self) -> dict[str, float]:
        """Counts per verdict and headline figures (for the MLflow run)."""
        counts = self.trainings["verdict"].value_counts()
        out = {f"trainings_{v}": float(counts.get(v, 0)) for v in VERDICTS}
        out["trainings"] = float(len(self.trainings))
        out["enrolled"] = float(self.trainings["enrolled"].sum())
        out["completed"] = float(self.trainings["completed"].sum())
        dropped, finished = (
            self.trainings["dropped"].sum(),
            (self.trainings["dropped"].sum() + self.trainings["completed"].sum()),
        )
        out["dropout_rate"] = float(dropped / finished) if finished else float("nan")
        # the placebo check's factor on every L4 variance (1: the check found nothing)
        out["l4_placebo_dispersion"] = float(self.effects.dispersion)
        if self.units is not None:
            out["units_better_than_expected"] = float(
                self.units.units["better_than_expected"].sum()
            )
        return out


def evaluate_program(
    ds: Dataset,
    year: int,
    *,
    trainings: Iterable[str] | None = None,
    provider: str | None = None,
    alpha: float = 0.1,
    min_participants: int = MIN_PARTICIPANTS,
    min_effect: float = MIN_EFFECT,
    random_state: int = 0,
) -> ProgramEvaluation:
    """The Kirkpatrick evaluation of the development that started in ``year`` (module
    docstring). ``trainings`` / ``provider`` limit the report (not the estimate, which
    always uses every training of the year; :meth:`ProgramEvaluation.limited`). Raises
    :class:`EvaluationInputError` for an unknown training or provider (before any work),
    ValueError for a year without enrollments or one whose trainings have no appraisal
    outcome yet; each names the problem."""
    if min_participants < 2:
        raise ValueError(f"min_participants must be 2 or more, got {min_participants}")
    if min_effect < 0:
        raise ValueError(f"min_effect must be 0 or more SKP points, got {min_effect}")
    wanted = report_trainings(ds, trainings, provider)
    catalog = ds.trainings.assign(training_id=ds.trainings["training_id"].astype(str))
    started = ds.enrollments[ds.enrollments["start_date"].dt.year == year]
    if started.empty:
        years = sorted(ds.enrollments["start_date"].dt.year.dropna().unique().astype(int))
        raise ValueError(
            f"no enrollment started in {year}; years with enrollments: "
            f"{', '.join(str(y) for y in years) or 'none'}"
        )
    effects = training_effects(ds, year, alpha=alpha, random_state=random_state)
    table = _training_table(ds, catalog, started, effects, alpha)
    table = _with_verdicts(table, min_participants, min_effect)
    providers = _provider_table(table, effects, alpha, min_participants, min_effect)
    dropout = _dropout_table(ds, started)
    units, note = None, ""
    try:
        units = unit_effects(ds, year, alpha=alpha)
    except ValueError as exc:
        note = str(exc)
    return ProgramEvaluation(
        year=int(year),
        trainings=table[list(TRAINING_COLUMNS)],
        providers=providers[list(PROVIDER_COLUMNS)],
        dropout=dropout,
        units=units,
        effects=effects,
        alpha=alpha,
        min_participants=min_participants,
        min_effect=min_effect,
        unit_note=note,
    ).limited(wanted)


class EvaluationInputError(ValueError):
    """A report limit that names nothing in the catalog; ``field`` is ``training_id`` or
    ``provider`` (the message says which value and what exists)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def report_trainings(
    ds: Dataset, trainings: Iterable[str] | None, provider: str | None
) -> set[str] | None:
    """The training ids a report is limited to (None: all); an unknown training or
    provider is an :class:`EvaluationInputError`."""
    if trainings is None and provider is None:
        return None
    catalog = ds.trainings
    ids = set(catalog["training_id"].astype(str))
    wanted = set(ids)
    if trainings is not None:
        asked = [str(t) for t in trainings]
        unknown = sorted(set(asked) - ids)
        if unknown:
            raise EvaluationInputError(
                "training_id",
                f"unknown training(s): {', '.join(unknown)}; the catalog has "
                f"{len(ids):,} trainings (e.g. {', '.join(sorted(ids)[:3])})",
            )
        wanted &= set(asked)
    if provider is not None:
        providers = catalog["provider"].astype(str)
        if provider not in set(providers):
            known = sorted(set(providers))
            raise EvaluationInputError(
                "provider",
                f"unknown provider {provider!r}; providers in the catalog: {', '.join(known)}",
            )
        wanted &= set(catalog.loc[providers == provider, "training_id"].astype(str))
    return wanted


def _mean_interval(values: pd.Series, alpha: float) -> tuple[float, float, float, int]:
    v = values.dropna().to_numpy(dtype=float)
    n = len(v)
    if n == 0:
        return np.nan, np.nan, np.nan, 0
    mean = float(v.mean())
    if n < 2:
        return mean, np.nan, np.nan, n
    half = float(stats.t.ppf(1 - alpha / 2, n - 1) * v.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


def _training_table(
    ds: Dataset,
    catalog: pd.DataFrame,
    started: pd.DataFrame,
    effects: TrainingEffects,
    alpha: float,
) -> pd.DataFrame:
    """Levels 1–3, counts and level 4 per training that had enrollments in the year."""
    e = started.assign(training_id=started["training_id"].astype(str))
    status = e["status"].astype(str)
    rows = []
    for training_id, group in e.groupby("training_id", sort=True):
        s = status.loc[group.index]
        done = group[s == "completed"]
        learning = done["post_score"] - done["pre_score"]
        gain, lower, upper, n_learning = _mean_interval(learning, alpha)
        rows.append(
            {
                "training_id": training_id,
                "enrolled": len(group),
                "completed": int((s == "completed").sum()),
                "dropped": int((s == "dropped").sum()),
                "reaction_mean": group["reaction_score"].mean(),
                "reaction_n": int(group["reaction_score"].notna().sum()),
                "learning_gain": gain,
                "learning_lower": lower,
                "learning_upper": upper,
                "learning_n": n_learning,
                "behavior_mean": done["behavior_score"].mean(),
                "behavior_n": int(done["behavior_score"].notna().sum()),
            }
        )
    table = pd.DataFrame(rows)
    finished = table["completed"] + table["dropped"]
    table["dropout_rate"] = np.where(
        finished > 0, table["dropped"] / finished.clip(lower=1), np.nan
    )
    info = catalog.set_index("training_id")[
        ["title", "provider", "modality", "hours_jp", "cost_idr"]
    ]
    table = table.join(info, on="training_id")
    level4 = effects.table.assign(training_id=effects.table["training_id"].astype(str))
    level4 = level4.rename(columns={"lower": "effect_lower", "upper": "effect_upper"})
    table = table.merge(level4, on="training_id", how="left")
    table["participants"] = table["participants"].fillna(0).astype(int)
    for column in ("provider", "modality", "title"):
        table[column] = table[column].astype(str)
    table["training_id"] = table["training_id"].astype(ID_DTYPE)
    return table


def _with_verdicts(table: pd.DataFrame, min_participants: int, min_effect: float) -> pd.DataFrame:
    table = table.copy()
    few = table["participants"] < min_participants
    lower, upper = table["effect_lower"], table["effect_upper"]
    verdict = np.where(
        few | lower.isna(),
        TOO_FEW,
        np.where(upper < min_effect, DOES_NOT_WORK, np.where(lower > 0, WORKS, UNCLEAR)),
    )
    table["verdict"] = verdict
    for column in ("effect", "effect_lower", "effect_upper", "std_error"):
        table.loc[few, column] = np.nan  # never a number from a handful of scores
    works = table["verdict"] == WORKS
    table["cost_per_point"] = np.where(
        works, table["cost_idr"].astype(float) / table["effect"].where(works), np.nan
    )
    return table


def _provider_table(
    table: pd.DataFrame,
    effects: TrainingEffects,
    alpha: float,
    min_participants: int,
    min_effect: float,
) -> pd.DataFrame:
    rows = []
    for provider, group in table.groupby("provider", sort=True):
        weights = pd.Series(
            group["participants"].to_numpy(dtype=float), index=group["training_id"].astype(str)
        )
        effect, se = effects.aggregate(weights)
        n = int(group["participants"].sum())
        own = int(max(len(group) - 1, 1))
        q = float(stats.t.ppf(1 - alpha / 2, max(n - 1, own)))
        reacted = group["reaction_n"].sum()
        learned = group["learning_n"].sum()
        rated = group["behavior_n"].sum()
        rows.append(
            {
                "provider": provider,
                "trainings": len(group),
                "enrolled": int(group["enrolled"].sum()),
                "completed": int(group["completed"].sum()),
                "dropped": int(group["dropped"].sum()),
                "reaction_mean": _weighted(group["reaction_mean"], group["reaction_n"], reacted),
                "reaction_n": int(reacted),
                "learning_gain": _weighted(group["learning_gain"], group["learning_n"], learned),
                "learning_n": int(learned),
                "behavior_mean": _weighted(group["behavior_mean"], group["behavior_n"], rated),
                "behavior_n": int(rated),
                "participants": n,
                "effect": effect,
                "effect_lower": effect - q * se,
                "effect_upper": effect + q * se,
                "std_error": se,
            }
        )
    providers = pd.DataFrame(rows)
    finished = providers["completed"] + providers["dropped"]
    providers["dropout_rate"] = np.where(
        finished > 0, providers["dropped"] / finished.clip(lower=1), np.nan
    )
    return _with_verdicts(providers.assign(cost_idr=np.nan), min_participants, min_effect).drop(
        columns=["cost_idr", "cost_per_point"]
    )


def _weighted(values: pd.Series, weights: pd.Series, total: float) -> float:
    if total <= 0:
        return float("nan")
    v = values.to_numpy(dtype=float)
    w = weights.to_numpy(dtype=float)
    keep = w > 0
    return float((v[keep] * w[keep]).sum() / w[keep].sum())


def _dropout_table(ds: Dataset, started: pd.DataFrame) -> pd.DataFrame:
    """Dropout rate by modality and remote area, of the year's finished enrollments."""
    info = ds.trainings.set_index(ds.trainings["training_id"].astype(str))["modality"].astype(str)
    remote = ds.employees.set_index(ds.employees["nip"].astype(str))["remote_area"]
    status = started["status"].astype(str)
    finished = started[status.isin(["completed", "dropped"])]
    frame = pd.DataFrame(
        {
            "modality": finished["training_id"].astype(str).map(info).to_numpy(),
            "remote_area": finished["nip"].astype(str).map(remote).fillna(False).astype(bool),
            "dropped": (finished["status"].astype(str) == "dropped").to_numpy(),
        }
    )
    out = (
        frame.groupby(["modality", "remote_area"], sort=True)["dropped"]
        .agg(enrolled="size", dropped="sum")
        .reset_index()
    )
    out["dropped"] = out["dropped"].astype(int)
    out["dropout_rate"] = out["dropped"] / out["enrolled"]
    return out[list(DROPOUT_COLUMNS)]
