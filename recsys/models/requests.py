"""A recommend request: what both recommenders check before they score anyone.

:func:`recommend_request` checks a request to ``TrainingRecommender.recommend`` or
``MentorRecommender.recommend`` the same way for both: the model is fitted
(``NotFittedError``), ``k`` is at least 1 and the languages are supported (``ValueError``),
every NIP is in the data set (:class:`UnknownEmployeeError`) and still active
(:class:`InactiveEmployeeError`); then it picks the decision date. The command line and the
API turn the two NIP errors into messages for people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from recsys.data.contract import ID_DTYPE
from recsys.data.loading import Dataset
from recsys.data.snapshot import latest_date
from recsys.features.competency_state import id_isin
from recsys.models.reasons import check_language

#: Message of the ``NotFittedError`` a recommender raises before it is fitted.
NOT_FITTED = "the recommender is not trained yet: call fit() or load a model"


def _shown(nips: list[str]) -> str:
    return ", ".join(nips[:5]) + (f" and {len(nips) - 5} more" if len(nips) > 5 else "")


class UnknownEmployeeError(KeyError):
    """NIPs that are not in the data set (``nips``: all of them, sorted)."""

    def __init__(self, nips: list[str]) -> None:
        super().__init__(f"unknown NIP: {_shown(nips)}")
        self.nips = nips

    def __str__(self) -> str:
        return str(self.args[0])


class InactiveEmployeeError(ValueError):
    """NIPs of employees who are no longer active: nothing is planned for them (``nips``:
    all of them, sorted)."""

    def __init__(self, nips: list[str]) -> None:
        super().__init__(f"not an active employee: {_shown(nips)}")
        self.nips = nips


@dataclass(frozen=True)
class RecommendRequest:
    """A checked request: the people (unique NIPs in the order asked), the decision date and
    the languages of the reasons (the main one first)."""

    people: pd.Series
    as_of: pd.Timestamp
    languages: tuple[str, ...]


def unique_nips(nips: pd.Series | Sequence[str]) -> pd.Series:
    """``nips`` without repeats, in the order first asked, as the contract's id dtype."""
    return pd.Series(pd.unique(pd.Series(list(nips), dtype=ID_DTYPE)), dtype=ID_DTYPE)


def check_known(ds: Dataset, nips: pd.Series) -> None:
    """:class:`UnknownEmployeeError` naming the ``nips`` that are not in ``ds``."""
    nips = pd.Series(nips, dtype=ID_DTYPE)
    missing = ~id_isin(nips, ds.employees["nip"])
    if missing.any():
        raise UnknownEmployeeError(sorted(set(nips[missing].astype(str))))


def check_active(ds: Dataset, nips: pd.Series) -> None:
    """:class:`InactiveEmployeeError` naming the (known) ``nips`` who are not active."""
    nips = pd.Series(nips, dtype=ID_DTYPE)
    inactive = ~id_isin(nips, ds.employees.loc[ds.employees["active"], "nip"])
    if inactive.any():
        raise InactiveEmployeeError(sorted(set(nips[inactive].astype(str))))


def decision_date(ds: Dataset, as_of: pd.Timestamp | str | None) -> pd.Timestamp:
    """``as_of``, or (None) the day after the data set's last appraisal period."""
    return pd.Timestamp(as_of) if as_of is not None else latest_date(ds)


def recommend_request(
    recommender: BaseEstimator,
    ds: Dataset,
    nips: pd.Series | Sequence[str],
    *,
    k: int,
    lang: str,
    also_in: Sequence[str] = (),
    as_of: pd.Timestamp | None = None,
) -> RecommendRequest:
    """Check a recommend request (see the module docstring) and return it cleaned."""
    check_is_fitted(recommender, msg=NOT_FITTED)
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    languages = tuple(check_language(language) for language in (lang, *also_in))
    people = unique_nips(nips)
    check_known(ds, people)
    check_active(ds, people)
    return RecommendRequest(people=people, as_of=decision_date(ds, as_of), languages=languages)
