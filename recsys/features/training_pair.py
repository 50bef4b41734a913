"""Features of a (person, training) pair for the flexible uplift ranker.

No assumed form: the gaps the training could close (weighted, unweighted, largest, how
many), how well the person's levels are known, the training itself (its id, modality, JP,
cost) and the person (:data:`recsys.features.person.PERSON_FEATURES`, plus age). The model
learns from outcomes how these combine, whatever mechanism the agency's history follows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.data.contract import MODALITIES, POSITION_TYPES
from recsys.data.loading import Dataset

#: Columns coded as categories (integer codes, -1: unknown).
CATEGORICAL = ("training_code", "modality_code", "position_type_code")
PAIR_FEATURES = (
    "weighted_gap",
    "gap_rule",
    "gap_max",
    "n_targets",
    "mean_level",
    "assessed_share",
    "hours_jp",
    "log_cost",
    *CATEGORICAL,
    "tenure_years",
    "age_years",
    "grade_rank",
    "education_rank",
    "remote_area",
    "last_score",
    "score_trend",
    "trainings_24m",
    "jp_12m",
    "mean_gap",
    "share_assessed",
    "years_since_assessment",
)


def gap_rule_scores(detail: pd.DataFrame, n_pairs: int) -> np.ndarray:
    """The gap rule's score of each pair: levels it could close up to the standard,
    ``Σ max(min(target, required) − level, 0)`` over its competencies."""
    closable = (
        np.minimum(detail["target"].to_numpy(float), detail["required"].to_numpy(float))
        - detail["level"].to_numpy(float)
    ).clip(min=0)
    return np.bincount(detail["pair"].to_numpy(), weights=closable, minlength=n_pairs)


def weighted_reach(detail: pd.DataFrame, n_pairs: int) -> np.ndarray:
    """Each pair's weighted gap up to the training's own target level, not clipped at the
    standard: ``Σ weight · max(target − level, 0)`` over the competencies where the person
    is still below the standard plus the surplus that still counts (``detail["open"]``).

    A course lifts a competency by a share of the distance to the level it teaches to, and
    that rise counts for performance as long as the person is below the standard: the
    distance to the course's target measures how much it can teach this person, where the
    gap clipped at the standard (``weighted_gap``) measures only what is left to close.
    """
    reach = (detail["target"].to_numpy(float) - detail["level"].to_numpy(float)).clip(min=0)
    reach = np.where(detail["open"].to_numpy(bool), reach, 0.0)
    return np.bincount(
        detail["pair"].to_numpy(),
        weights=reach * detail["weight"].to_numpy(float),
        minlength=n_pairs,
    )


def training_pair_features(
    ds: Dataset,
    detail: pd.DataFrame,
    weighted_gap: np.ndarray,
    training_ids: np.ndarray,
    person: pd.DataFrame,
    training_vocabulary: np.ndarray,
) -> pd.DataFrame:
    """:data:`PAIR_FEATURES` for pairs ``0 … n-1``.

    ``detail``: per (pair, competency) rows with ``level``, ``target``, ``required``,
    ``closable``, ``weight`` and ``assessed`` (see
    :func:`recsys.models.trainings.weighted_gaps`). ``training_ids`` and ``person`` (person
    features and ``age_years``) are aligned with the pairs; ``training_vocabulary`` gives
    the training codes (a training outside it is unknown: -1).
    """
    n = len(weighted_gap)
    pair = detail["pair"].to_numpy()
    closable = detail["closable"].to_numpy(float)
    useful = closable > 0
    count = np.bincount(pair, minlength=n).astype(float)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    out["weighted_gap"] = np.asarray(weighted_gap, dtype=float)
    out["gap_rule"] = gap_rule_scores(detail, n)
    gap_max = np.zeros(n)
    np.maximum.at(gap_max, pair, closable)
    out["gap_max"] = gap_max
    out["n_targets"] = np.bincount(pair, weights=useful.astype(float), minlength=n)
    level_sum = np.bincount(pair, weights=detail["level"].to_numpy(float), minlength=n)
    out["mean_level"] = np.divide(level_sum, count, out=np.full(n, np.nan), where=count > 0)
    assessed = np.bincount(pair, weights=detail["assessed"].to_numpy(float), minlength=n)
    out["assessed_share"] = np.divide(assessed, count, out=np.full(n, np.nan), where=count > 0)
    # the catalog is looked up once per distinct training (a few hundred), not per pair
    catalog = ds.trainings.set_index(ds.trainings["training_id"].astype(str))
    which, distinct = pd.factorize(np.asarray(training_ids, dtype=object), use_na_sentinel=False)
    ids = pd.Index(np.asarray(distinct, dtype=object).astype(str))
    out["hours_jp"] = catalog["hours_jp"].reindex(ids).to_numpy(dtype=float)[which]
    out["log_cost"] = np.log1p(catalog["cost_idr"].reindex(ids).to_numpy(dtype=float))[which]
    out["training_code"] = pd.Index(training_vocabulary.astype(str)).get_indexer(ids)[which]
    modality = catalog["modality"].reindex(ids).astype(str)
    out["modality_code"] = pd.Index(MODALITIES).get_indexer(pd.Index(modality))[which]
    kind, kinds = pd.factorize(
        pd.Series(person["position_type"]).astype(str), use_na_sentinel=False
    )
    out["position_type_code"] = pd.Index(POSITION_TYPES).get_indexer(pd.Index(kinds))[kind]
    for column in PAIR_FEATURES:
        if column not in out:
            out[column] = pd.to_numeric(pd.Series(person[column]), errors="coerce").to_numpy(
                dtype=float
            )
    return out[list(PAIR_FEATURES)]


def age_years(ds: Dataset, nips: pd.Series, as_of: np.ndarray | pd.Series) -> np.ndarray:
    """Each person's age in years at ``as_of`` (NaN: unknown person)."""
    born = ds.employees.set_index("nip")["birth_date"].reindex(pd.Series(nips).to_numpy())
    when = np.asarray(pd.to_datetime(pd.Series(as_of)).to_numpy())
    return np.asarray((when - born.to_numpy()) / np.timedelta64(1, "D") / 365.25, dtype=float)
