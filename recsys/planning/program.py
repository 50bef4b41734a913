"""The agency's yearly development program (rencana pengembangan kompetensi): which
trainings to fund for whom, under the budget, the seats and the 20-JP rule.

**Items.** Each person's candidates are their list from the training champion, ranked by
marginal gain (:mod:`recsys.models.marginal`): an item's gain is what it adds *given the
items above it*, so two trainings that close the same gap count once and returns diminish
down the list. A plan that takes a prefix of a list is credited exactly its forecast; one
that skips an item is credited the listed gains of the items it takes, which is never more
than their forecast (an item below a skipped one has less overlap, so it adds at least its
listed gain). Only items with a positive forecast gain are candidates: a training that does
not work for the person (e-learning for someone it does not suit, say) is never bought, not
even for the JP.

**The problem** (a mixed-integer program; :func:`solve`)::

    max  Σ gain_i x_i − penalty · Σ_p shortfall_p
    s.t. Σ cost_i x_i ≤ budget                                  (total)
         Σ_{i in unit u} cost_i x_i ≤ budget_u                   (unit budgets, if set)
         Σ_{i of training t} x_i ≤ seats_t                        (seats)
         Σ_{i of person p} jp_i x_i ≤ max_jp                      (service time)
         Σ_{i of p} jp_i x_i + shortfall_p ≥ 20 − jp_completed_p  (the 20-JP rule)
         Σ_{classroom i in unit u} x_i ≤ 4 · away_u              (a share of staff away)
         Σ_{classroom i of p} x_i ≤ 4                             (one per quarter)
         Σ_{i of remote staff} cost_i x_i ≥ share · Σ cost_i x_i  (3T staff, if set)
         x_i ∈ {0, 1}, 0 ≤ shortfall_p ≤ 20 − jp_completed_p

The penalty of a JP of shortfall is :data:`JP_FIRST` times the most gain any item buys per
JP (:func:`shortfall_penalty`): the plan brings everyone it can to 20 JP first, where the
budget and seats allow it, and gain decides the rest. A person still below 20 JP is listed
with the reason (:data:`SHORTFALL_REASONS`). ``away_u`` is the share of the unit's staff
that may be away in classroom training at once (at least one person); a plan within the
quarterly total is scheduled by :func:`schedule` so that no quarter has more.

**Solving.** Over *bundles*: each person takes exactly one of the sets of their items they
may take (:data:`MAX_ITEMS_PER_PERSON` items give at most 511, nothing included), so their
JP cap, classroom quarters and shortfall are exact per bundle, and the program's LP
relaxation is much tighter than over items (where a fraction of an item meets the JP
minimum for a fraction of its cost). The LP is solved by column generation
(:mod:`recsys.planning.bundle_master`); its optimum bounds every plan. The default method
rounds it (a basic optimum leaves at most as many people split between bundles as there
are shared limits, and often none), repairs the few limits rounding breaks, and branches
on the generated bundles while the plan is more than :data:`MIP_GAP` of its gain from the
bound. ``"exact"`` branches over every bundle (small programs). The plan reports the bound
and its gap to it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from recsys.planning.bundle_master import BundleMaster
from recsys.planning.bundle_values import chosen_marginals, subset_values
from recsys.planning.needs import MIN_JP_PER_YEAR

log = logging.getLogger(__name__)

ProgressFn = Callable[[str], None]

#: Modalities that take a person away from their desk (counted against a unit's share away).
CLASSROOM = ("klasikal", "blended", "magang")
QUARTERS = 4
#: Branching stops once the plan is proven within this share of its gain from the best.
MIP_GAP = 0.002
#: Longest branching of the default method, in seconds (the rounded plan is kept if it
#: does not improve on it in time).
AUTO_MIP_SECONDS = 30.0
#: Most items of a person's list the plan chooses from (their 511 sets are enumerated).
MAX_ITEMS_PER_PERSON = 9
#: Of those, places kept for the best e-learning items further down the list. E-learning
#: costs little and brings JP, so a plan buys several per person and rarely more than two
#: classroom items: with six places (and lists of 40, program_inputs.LIST_LENGTH) the plan
#: kept 0.71-0.88 of the oracle's true gain on the suite's seed-1 worlds, against 0.47-0.78
#: with four places and lists of 20; a seventh (nine places in all) added 0.00-0.05 on the
#: gap rule's forecasts, two places at the head still doing better than one at the higher
#: budgets (benchmarks/RESULTS.md, yearly program).
JP_FILLERS = 7
#: Modalities that fill JP cheaply (no seats, little or no cost).
FILLER_MODALITIES = ("e_learning",)
#: Rows of the program that many people share (the others are each person's own).
SHARED = frozenset({"budget", "unit_budget", "seats", "away", "remote"})
#: One JP of shortfall costs this many times the best gain per JP (see shortfall_penalty).
JP_FIRST = 10.0
#: Money rows of the program are in millions of IDR (HiGHS needs rows of similar scale).
MONEY_UNIT = 1e6
#: Why a person is still below the JP minimum under the plan.
SHORTFALL_REASONS = ("budget", "seats", "away", "no_training")
#: Columns of the item table :func:`plan_items` makes and the solvers read.
ITEM_COLUMNS = (
    "person",
    "nip",
    "unit",
    "training_id",
    "rank",
    "gain",
    "gain_lower",
    "gain_upper",
    "cost_idr",
    "hours_jp",
    "modality",
    "classroom",
    "remote",
    "required",
)


class PlanInputError(ValueError):
    """Bad planning input; ``field`` names what is wrong (the message says why).

    ``code`` names the kind of error and ``values`` the figures its message quotes, so that a
    face can say it in its user's language (None: the message only)."""

    def __init__(
        self, field_name: str, message: str, *, code: str | None = None, **values: object
    ) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.code = code
        self.values = values


@dataclass(frozen=True)
class PlanLimits:
    """What the agency's program must respect.

    ``budget_idr``: total budget (IDR). ``unit_budgets``: optional budget per unit kerja
    (unit name → IDR). ``seats``: seats per training that replace the catalog's
    ``capacity`` (training id → seats; a training with neither is unlimited).
    ``max_jp_per_person``: most JP planned for one person in the year.
    ``classroom_share``: most of a unit's staff away in classroom training at once.
    ``remote_budget_share``: least share of the spending for remote-area (3T) staff.
    ``min_jp``: the yearly minimum (PP 11/2017 Pasal 203(4): 20 JP).
    """

    budget_idr: float
    unit_budgets: Mapping[str, float] | None = None
    seats: Mapping[str, int] | None = None
    max_jp_per_person: float = 120.0
    classroom_share: float = 0.25
    remote_budget_share: float = 0.0
    min_jp: float = MIN_JP_PER_YEAR

    def check(self, units: set[str], trainings: set[str]) -> None:
        """:class:`PlanInputError` naming the first bad limit."""
        budget = self.budget_idr
        if not _finite(budget) or budget < 0:
            raise PlanInputError(
                "budget_idr", f"must be a number ≥ 0, got {budget!r}", code="negative", got=budget
            )
        if budget > 1e15:
            raise PlanInputError(
                "budget_idr",
                f"{budget:,.0f} IDR is beyond any agency's RKA",
                code="absurd_budget",
                got=budget,
            )
        for unit, amount in (self.unit_budgets or {}).items():
            if unit not in units:
                raise PlanInputError(
                    "unit_budgets", f"unknown unit {unit!r}", code="unknown_unit", unit=unit
                )
            if not _finite(amount) or amount < 0:
                raise PlanInputError(
                    "unit_budgets",
                    f"{unit}: must be ≥ 0, got {amount!r}",
                    code="negative_unit",
                    unit=unit,
                    got=amount,
                )
        for training, seats in (self.seats or {}).items():
            if training not in trainings:
                raise PlanInputError(
                    "seats",
                    f"unknown training {training!r}",
                    code="unknown_training",
                    training=training,
                )
            if not _finite(seats) or seats < 0 or float(seats) != int(seats):
                raise PlanInputError(
                    "seats",
                    f"{training}: must be a whole number ≥ 0",
                    code="seats",
                    training=training,
                )
        if not _finite(self.max_jp_per_person) or self.max_jp_per_person <= 0:
            raise PlanInputError("max_jp_per_person", "must be > 0", code="positive")
        if not 0 < self.classroom_share <= 1:
            raise PlanInputError("classroom_share", "must be in (0, 1]", code="share_open")
        if not 0 <= self.remote_budget_share <= 1:
            raise PlanInputError("remote_budget_share", "must be in [0, 1]", code="share")
        if not _finite(self.min_jp) or self.min_jp < 0:
            raise PlanInputError("min_jp", "must be ≥ 0", code="non_negative")


def _finite(value: object) -> bool:
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


@dataclass
class Plan:
    """A program: the items bought, each person's JP, totals and the certificate.

    ``items``: the chosen items (:data:`ITEM_COLUMNS` and ``quarter``). ``people``: per
    person ``nip``, ``unit``, ``jp_completed``, ``jp_planned``, ``shortfall`` (JP still
    missing to the minimum) and ``reason`` (empty, or one of :data:`SHORTFALL_REASONS`).
    ``objective``: what the planner maximises, the forecast gain plus ``penalty`` SKP
    points for each JP towards the minimum (:func:`shortfall_penalty`), so that planning
    nothing is worth 0; ``bound``: an upper bound on the objective of any plan within the
    limits (the LP relaxation's, or a proven one); ``gap``: see :attr:`gap`.
    ``budget_price``: forecast SKP points one more million IDR would buy; ``seat_prices``:
    per training whose seats bind, the points one more seat would buy.
    """

    items: pd.DataFrame
    people: pd.DataFrame
    method: str
    objective: float
    bound: float
    seconds: float
    budget_price: float = float("nan")
    seat_prices: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))

    @property
    def total_gain(self) -> float:
        return float(self.items["gain"].sum())

    @property
    def gain_interval(self) -> tuple[float, float]:
        """The total's interval, at the items' level: each item's half-widths below and above
        its forecast combined in quadrature (their errors treated as independent; adding the
        bounds, as if fully correlated, gives an interval too wide to use — a plan of a
        thousand items would span zero). Checked against the true gain in
        benchmarks/planning.py."""
        low, high = gain_intervals(self.items, np.zeros(len(self.items), dtype=int))
        if low.empty:
            return 0.0, 0.0
        return float(low.to_numpy()[0]), float(high.to_numpy()[0])

    @property
    def cost(self) -> float:
        return float(self.items["cost_idr"].sum())

    @property
    def gap(self) -> float:
        """How far the plan may be from the best: (bound − objective) / bound."""
        if not math.isfinite(self.bound):
            return float("nan")
        return max(0.0, self.bound - self.objective) / max(abs(self.bound), 1e-9)

    @property
    def share_at_minimum(self) -> float:
        """Share of the staff who reach the JP minimum with the plan."""
        if self.people.empty:
            return 1.0
        return float((self.people["shortfall"] <= 1e-9).mean())


def baseline_groups(baselines: Mapping[str, Plan]) -> list[tuple[tuple[str, ...], Plan]]:
    """The baseline plans, each once, with every name it goes by (in the names' order): e.g.
    greedy per rupiah on the gap rule's own forecasts *is* the gap rule's plan."""
    groups: dict[int, tuple[list[str], Plan]] = {}
    for name, plan in baselines.items():
        groups.setdefault(id(plan), ([], plan))[0].append(name)
    return [(tuple(names), plan) for names, plan in groups.values()]


def gain_intervals(items: pd.DataFrame, by: object) -> tuple[pd.Series, pd.Series]:
    """Per group of ``items`` (``by``: a column name or aligned labels), the interval of
    the group's total gain: the forecast total minus and plus the items' half-widths
    combined in quadrature (see :attr:`Plan.gain_interval`)."""
    gain = items["gain"].to_numpy(dtype=float)
    below = (gain - items["gain_lower"].to_numpy(dtype=float)) ** 2
    above = (items["gain_upper"].to_numpy(dtype=float) - gain) ** 2
    keys = items[by].to_numpy() if isinstance(by, str) else np.asarray(by)
    frame = pd.DataFrame({"gain": gain, "below": below, "above": above, "key": keys})
    sums = frame.groupby("key", sort=True).sum()
    return sums["gain"] - np.sqrt(sums["below"]), sums["gain"] + np.sqrt(sums["above"])


# ----------------------------------------------------------------------------- items


def plan_items(
    lists: pd.DataFrame, people: pd.DataFrame, *, required: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The candidate items (:data:`ITEM_COLUMNS`) from the champion's lists.

    ``lists``: recommendation rows (``nip``, ``rank``, ``training_id``, ``expected_gain``
    (marginal), ``gain_lower``, ``gain_upper``, ``cost_idr``, ``hours_jp``, ``modality``),
    as long as wanted. ``people``: the staff planned for (``nip``, ``unit``,
    ``remote_area``), in order; rows of other people are ignored. ``required``: mandatory
    (``nip``, ``training_id``) pairs, e.g. Latsar for new CPNS; each must have a row in
    ``lists``, is always an item (``required`` true) and every plan takes it.

    Besides those, only items whose gain is positive are candidates (and e-learning not
    shown to harm, whose interval reaches above zero: it brings the JP), at most
    :data:`MAX_ITEMS_PER_PERSON` per person in all: the first of the list, and the best
    :data:`JP_FILLERS` e-learning items further down (the cheap way to the JP minimum, for
    whom it works), then the rest of the list in its order.
    """
    index = pd.Index(people["nip"].astype(str))
    lists = lists.sort_values(["nip", "rank"], kind="stable")
    person = index.get_indexer(pd.Index(lists["nip"].astype(str)))
    must = _required_rows(lists, required)
    gain = lists["expected_gain"].to_numpy(dtype=float)
    cheap = np.isin(lists["modality"].astype(str).to_numpy(), FILLER_MODALITIES)
    # an e-learning item not shown to harm (its interval reaches above zero) is a cheap
    # way to the JP minimum
    usable = (gain > 0) | (cheap & (lists["gain_upper"].to_numpy(dtype=float) > 0))
    positive = (person >= 0) & (usable | must)
    lists, person, must = lists[positive], person[positive], must[positive]
    slots = MAX_ITEMS_PER_PERSON - np.bincount(person[must], minlength=len(people))
    if (slots < 0).any():
        nip = people["nip"].iat[int(np.argmax(slots < 0))]
        raise PlanInputError(
            "mandatory",
            f"{nip}: more than {MAX_ITEMS_PER_PERSON} mandatory trainings",
            code="too_many",
            nip=nip,
            most=MAX_ITEMS_PER_PERSON,
        )
    free = ~must

    def running(flag: np.ndarray) -> np.ndarray:  # 1, 2, ... over each person's flagged rows
        return pd.Series(flag).groupby(person).cumsum().to_numpy()

    head = free & (running(free) <= np.maximum(slots - JP_FILLERS, 0)[person])
    filler = free & ~head & np.isin(lists["modality"].astype(str).to_numpy(), FILLER_MODALITIES)
    filler &= running(filler) <= JP_FILLERS
    chosen = head | filler
    rest = free & ~chosen
    room = slots - np.bincount(person[chosen], minlength=len(people))
    chosen |= rest & (running(rest) <= room[person])
    keep = chosen | must
    rows = lists[keep]
    return item_table(
        people,
        person[keep],
        training_id=rows["training_id"].astype(str).to_numpy(),
        rank=rows["rank"].to_numpy(dtype=int),
        gain=rows["expected_gain"].to_numpy(dtype=float),
        gain_lower=rows["gain_lower"].to_numpy(dtype=float),
        gain_upper=rows["gain_upper"].to_numpy(dtype=float),
        trainings=rows,
        required=must[keep],
    )


def item_table(
    people: pd.DataFrame,
    person: np.ndarray,
    *,
    training_id: np.ndarray,
    rank: np.ndarray,
    gain: np.ndarray,
    gain_lower: np.ndarray,
    gain_upper: np.ndarray,
    trainings: pd.DataFrame,
    required: np.ndarray | None = None,
) -> pd.DataFrame:
    """The item table (:data:`ITEM_COLUMNS`), in person and rank order: item ``i`` is
    ``people``'s row ``person[i]`` taking ``training_id[i]``; ``trainings``: aligned rows
    with the training's ``cost_idr``, ``hours_jp`` and ``modality``."""
    modality = trainings["modality"].astype(str).to_numpy()
    items = pd.DataFrame(
        {
            "person": person,
            "nip": people["nip"].astype(str).to_numpy()[person],
            "unit": people["unit"].astype(str).to_numpy()[person],
            "training_id": training_id,
            "rank": rank,
            "gain": gain,
            "gain_lower": gain_lower,
            "gain_upper": gain_upper,
            "cost_idr": trainings["cost_idr"].to_numpy(dtype=float),
            "hours_jp": trainings["hours_jp"].to_numpy(dtype=float),
            "modality": modality,
            "classroom": np.isin(modality, CLASSROOM),
            "remote": people["remote_area"].fillna(False).astype(bool).to_numpy()[person],
            "required": np.zeros(len(person), dtype=bool) if required is None else required,
        }
    )
    return items.sort_values(["person", "rank"], kind="stable").reset_index(drop=True)


def _required_rows(lists: pd.DataFrame, required: pd.DataFrame | None) -> np.ndarray:
    """Which rows of ``lists`` are mandatory pairs; a mandatory pair without a row is a
    :class:`PlanInputError` (its forecast, cost and JP are needed)."""
    if required is None or required.empty:
        return np.zeros(len(lists), dtype=bool)
    listed = pd.MultiIndex.from_arrays(
        [lists["nip"].astype(str).to_numpy(), lists["training_id"].astype(str).to_numpy()]
    )
    wanted = pd.MultiIndex.from_arrays(
        [required["nip"].astype(str).to_numpy(), required["training_id"].astype(str).to_numpy()]
    )
    missing = wanted[~wanted.isin(listed)]
    if len(missing):
        nip, training = missing[0]
        raise PlanInputError(
            "mandatory",
            f"{nip} × {training}: not a candidate of theirs",
            code="not_candidate",
            nip=nip,
            training=training,
        )
    return np.asarray(listed.isin(wanted))


# ----------------------------------------------------------------------------- the program


@dataclass
class _Program:
    """The program in matrix form: variables are the items, then one shortfall per person."""

    c: np.ndarray  # objective to minimise
    a: sparse.csr_matrix
    lower: np.ndarray
    upper: np.ndarray
    kinds: list[tuple[str, str]]  # (kind, key) per row: budget, unit, seats, ...
    n_items: int
    var_upper: np.ndarray
    penalty: float


def shortfall_penalty(items: pd.DataFrame) -> float:
    """SKP points the plan gives up to avoid one JP of shortfall: :data:`JP_FIRST` times
    the most gain any item buys per JP, so the 20-JP minimum comes first wherever the
    budget and seats allow it, and gain decides the rest."""
    if items.empty:
        return 1.0
    per_jp = items["gain"].to_numpy(dtype=float) / np.maximum(
        items["hours_jp"].to_numpy(dtype=float), 1.0
    )
    return float(JP_FIRST * max(per_jp.max(), 1e-3))


def _seat_limits(items: pd.DataFrame, catalog: pd.DataFrame, limits: PlanLimits) -> pd.Series:
    """Seats per training among the items' (only the limited ones)."""
    seats = catalog.set_index(catalog["training_id"].astype(str))["capacity"]
    seats = pd.to_numeric(seats, errors="coerce").astype(float)
    for training, value in (limits.seats or {}).items():
        seats[str(training)] = float(value)
    used = pd.Index(pd.unique(items["training_id"]))
    seats = seats.reindex(used)
    return seats[seats.notna()]


def _away_limits(people: pd.DataFrame, share: float) -> pd.Series:
    """People of each unit who may be away in classroom training at once (at least one)."""
    staff = people.groupby(people["unit"].astype(str)).size()
    return pd.Series(np.maximum(1, np.floor(share * staff.to_numpy())), index=staff.index)


def _jp_caps(items: pd.DataFrame, people: pd.DataFrame, limits: PlanLimits) -> np.ndarray:
    """Most JP each person may be planned: the cap, or their longest candidate if longer (a
    long course such as a leadership training is never barred by the cap; it is taken
    alone)."""
    longest = np.zeros(len(people))
    np.maximum.at(longest, items["person"].to_numpy(), items["hours_jp"].to_numpy(dtype=float))
    return np.maximum(limits.max_jp_per_person, longest)


def _need(people: pd.DataFrame, limits: PlanLimits) -> np.ndarray:
    return np.maximum(0.0, limits.min_jp - people["jp_completed"].to_numpy(dtype=float))


def _build(
    items: pd.DataFrame,
    people: pd.DataFrame,
    catalog: pd.DataFrame,
    limits: PlanLimits,
    *,
    penalty: float,
) -> _Program:
    """The program's matrices, for the objective gain − ``penalty`` · shortfall."""
    n, p = len(items), len(people)
    person = items["person"].to_numpy()
    cost = items["cost_idr"].to_numpy(dtype=float) / MONEY_UNIT  # well-scaled rows
    jp = items["hours_jp"].to_numpy(dtype=float)
    need = _need(people, limits)
    rows: list[sparse.coo_matrix] = []
    lower: list[np.ndarray] = []
    upper: list[np.ndarray] = []
    kinds: list[tuple[str, str]] = []
    item_cols = np.arange(n)

    def add(
        row_of_item: np.ndarray,
        values: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
        kind: str,
        keys: list[str],
        extra: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> None:
        m = len(keys)
        if m == 0:
            return
        r, cc, v = row_of_item, item_cols[: len(row_of_item)], values
        mask = r >= 0
        r, cc, v = r[mask], cc[mask], v[mask]
        if extra is not None:
            r = np.r_[r, extra[0]]
            cc = np.r_[cc, extra[1]]
            v = np.r_[v, extra[2]]
        rows.append(sparse.coo_matrix((v, (r, cc)), shape=(m, n + p)))
        lower.append(lo)
        upper.append(hi)
        kinds.extend((kind, key) for key in keys)

    add(
        np.zeros(n, dtype=int),
        cost,
        np.array([-np.inf]),
        np.array([limits.budget_idr / MONEY_UNIT]),
        "budget",
        ["total"],
    )
    if limits.unit_budgets:
        units = list(limits.unit_budgets)
        at = pd.Index(units).get_indexer(pd.Index(items["unit"]))
        amounts = np.array([float(limits.unit_budgets[u]) / MONEY_UNIT for u in units])
        add(at, cost, np.full(len(units), -np.inf), amounts, "unit_budget", units)
    seats = _seat_limits(items, catalog, limits)
    at = pd.Index(seats.index).get_indexer(pd.Index(items["training_id"]))
    add(at, np.ones(n), np.full(len(seats), -np.inf), seats.to_numpy(), "seats", list(seats.index))
    # service time: the cap on the JP of a person's items within it (only people whose
    # candidates could exceed it need a row); an item longer than the cap is taken alone:
    # K · x_long + Σ x_other ≤ K, K the person's number of items
    cap = limits.max_jp_per_person
    long = jp > cap + 1e-9
    short_jp = np.where(long, 0.0, jp)
    capped = np.flatnonzero(np.bincount(person, weights=short_jp, minlength=p) > cap)
    at = np.where(long, -1, pd.Index(capped).get_indexer(pd.Index(person)))
    add(
        at,
        jp,
        np.full(len(capped), -np.inf),
        np.full(len(capped), cap),
        "max_jp",
        [str(i) for i in capped],
    )
    alone = np.flatnonzero(np.bincount(person[long], minlength=p) > 0)
    sizes = np.bincount(person, minlength=p).astype(float)
    at = pd.Index(alone).get_indexer(pd.Index(person))
    add(
        at,
        np.where(long, sizes[person], 1.0),
        np.full(len(alone), -np.inf),
        sizes[alone],
        "long_alone",
        [str(i) for i in alone],
    )
    # the JP minimum, with the shortfall variable
    due = np.flatnonzero(need > 0)
    at = pd.Index(due).get_indexer(pd.Index(person))
    add(
        at,
        jp,
        need[due],
        np.full(len(due), np.inf),
        "min_jp",
        [str(i) for i in due],
        extra=(np.arange(len(due)), n + due, np.ones(len(due))),
    )
    classroom = items["classroom"].to_numpy()
    away = _away_limits(people, limits.classroom_share)
    at = np.where(classroom, pd.Index(away.index).get_indexer(pd.Index(items["unit"])), -1)
    add(
        at,
        np.ones(n),
        np.full(len(away), -np.inf),
        QUARTERS * away.to_numpy(dtype=float),
        "away",
        list(away.index),
    )
    many = np.flatnonzero(np.bincount(person[classroom], minlength=p) > QUARTERS)
    at = np.where(classroom, pd.Index(many).get_indexer(pd.Index(person)), -1)
    add(
        at,
        np.ones(n),
        np.full(len(many), -np.inf),
        np.full(len(many), float(QUARTERS)),
        "quarters",
        [str(i) for i in many],
    )
    if limits.remote_budget_share > 0:
        weight = cost * (items["remote"].to_numpy(dtype=float) - limits.remote_budget_share)
        add(
            np.zeros(n, dtype=int),
            weight,
            np.array([0.0]),
            np.array([np.inf]),
            "remote",
            ["remote"],
        )
    a = sparse.vstack(rows).tocsr() if rows else sparse.csr_matrix((0, n + p))
    c = np.r_[-items["gain"].to_numpy(dtype=float), np.full(p, penalty)]
    return _Program(
        c=c,
        a=a,
        lower=np.concatenate(lower) if lower else np.zeros(0),
        upper=np.concatenate(upper) if upper else np.zeros(0),
        kinds=kinds,
        n_items=n,
        var_upper=np.r_[np.ones(n), need],
        penalty=penalty,
    )


# ----------------------------------------------------------------------------- solving


def solve(
    items: pd.DataFrame,
    people: pd.DataFrame,
    catalog: pd.DataFrame,
    limits: PlanLimits,
    *,
    method: str = "auto",
    time_limit: float = 600.0,
    overlaps: pd.DataFrame | None = None,
    on_progress: ProgressFn | None = None,
) -> Plan:
    """The best program for ``people`` (``nip``, ``unit``, ``remote_area``,
    ``jp_completed``, in order) from their ``items`` (:func:`plan_items`) within
    ``limits``; ``catalog``: the trainings (``training_id``, ``capacity``).

    ``method``: ``"auto"`` (the LP rounded, then branching on its bundles if the plan is
    more than :data:`MIP_GAP` from the bound, for at most :data:`AUTO_MIP_SECONDS` or
    ``time_limit``), ``"rounded"`` (the LP rounded and repaired only) or ``"exact"``
    (branch and bound over every bundle, within ``time_limit``). ``overlaps``: the
    competencies the items develop (:mod:`recsys.planning.bundle_values`), to value every
    set of a person's items exactly (overlaps counted once); without them a set is worth
    its items' listed marginal gains (exact for a list's prefix, less for other sets).
    """
    if method not in ("auto", "exact", "rounded"):
        raise PlanInputError("method", f"must be auto, exact or rounded, got {method!r}")
    limits.check(set(people["unit"].astype(str)), set(catalog["training_id"].astype(str)))
    step = on_progress or (lambda _stage: None)
    start = time.perf_counter()
    chosen, bound, prices, program = _solve_bundles(
        items,
        people,
        catalog,
        limits,
        method=method,
        time_limit=time_limit,
        step=step,
        overlaps=overlaps,
    )
    step("schedule")
    plan = _plan(items, people, limits, chosen, program, method, bound, start, overlaps)
    budget_rows = [i for i, (kind, _) in enumerate(program.kinds) if kind == "budget"]
    seat_rows = [i for i, (kind, _) in enumerate(program.kinds) if kind == "seats"]
    plan.budget_price = float(prices[budget_rows].sum() * 1e6 / MONEY_UNIT) if budget_rows else 0.0
    seat_prices = pd.Series(
        prices[seat_rows], index=[program.kinds[i][1] for i in seat_rows], dtype=float
    )
    plan.seat_prices = seat_prices[seat_prices > 1e-9].sort_values(ascending=False)
    return plan


def _milp(program: _Program, time_limit: float) -> tuple[np.ndarray, float]:
    """The program's best integer solution (every variable 0/1) and HiGHS's proven bound on
    the maximum."""
    integrality = np.ones(len(program.c))
    result = milp(
        program.c,
        integrality=integrality,
        bounds=Bounds(np.zeros(len(program.c)), program.var_upper),
        constraints=LinearConstraint(program.a, program.lower, program.upper),
        options={"time_limit": time_limit, "mip_rel_gap": MIP_GAP},
    )
    if result.x is None:
        raise RuntimeError(f"the planner found no plan: {result.message}")
    bound = result.get("mip_dual_bound")
    proven = -float(bound) if bound is not None and np.isfinite(bound) else -float(result.fun)
    return np.asarray(result.x), proven


def _bundles(
    items: pd.DataFrame,
    people: pd.DataFrame,
    limits: PlanLimits,
    penalty: float,
    overlaps: pd.DataFrame | None = None,
) -> tuple[np.ndarray, sparse.csr_matrix, np.ndarray]:
    """Every set of a person's items they may take (within the JP cap and one classroom
    item per quarter) that is worth more than taking nothing: its person, its items
    (bundles × items, 0/1) and its value (gain − penalty · shortfall). Taking nothing is a
    bundle too (no items) for whoever is below the JP minimum, worth −penalty · need."""
    need = _need(people, limits)
    person = items["person"].to_numpy()
    starts = np.searchsorted(person, np.arange(len(people)))
    sizes = np.searchsorted(person, np.arange(len(people)), side="right") - starts
    gain = items["gain"].to_numpy(dtype=float)
    jp = items["hours_jp"].to_numpy(dtype=float)
    classroom = items["classroom"].to_numpy(dtype=float)
    must = _required(items)
    bound_to = np.bincount(person[must], minlength=len(people)) > 0
    owners, members, values = [], [], []
    for size in np.unique(sizes[sizes > 0]):
        masks = ((np.arange(1, 2**size)[:, None] >> np.arange(size)[None, :]) & 1).astype(float)
        who = np.flatnonzero(sizes == size)
        idx = starts[who][:, None] + np.arange(size)[None, :]  # people × their items
        planned = masks @ jp[idx].T  # subsets × people
        if overlaps is None:
            worth = masks @ gain[idx].T
        else:  # overlaps counted once in any set, not only in the list's prefixes
            worth = subset_values(items, overlaps, idx, masks)[0]
        value = worth - penalty * np.maximum(0.0, need[who][None, :] - planned)
        keep = value > -penalty * need[who][None, :] + 1e-12
        # a person with mandatory items takes every bundle holding them, and only those
        n_must = must[idx].sum(axis=1)
        keep = np.where(bound_to[who][None, :], masks @ must[idx].T == n_must[None, :], keep)
        keep &= (planned <= limits.max_jp_per_person + 1e-9) | (masks.sum(axis=1) == 1)[:, None]
        keep &= masks @ classroom[idx].T <= QUARTERS
        subset, column = np.nonzero(keep)
        owners.append(who[column])
        values.append(value[subset, column])
        # the items of each kept bundle: its subset's slots of its person
        slot_bundle, slot = np.nonzero(masks[subset])
        members.append(
            (slot_bundle + sum(len(o) for o in owners[:-1]), idx[column[slot_bundle], slot])
        )
    due = np.flatnonzero((need > 0) & ~bound_to)  # nothing, for them, has a cost
    owners.append(due)
    values.append(-penalty * need[due])
    members.append((np.zeros(0, dtype=int), np.zeros(0, dtype=int)))
    n_bundles = sum(len(o) for o in owners)
    rows = np.concatenate([m[0] for m in members])
    cols = np.concatenate([m[1] for m in members])
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_bundles, len(items)))
    return np.concatenate(owners), matrix, np.concatenate(values)


def _required(items: pd.DataFrame) -> np.ndarray:
    """Which items are mandatory (every plan takes them)."""
    if "required" not in items:
        return np.zeros(len(items), dtype=bool)
    return items["required"].fillna(False).to_numpy(dtype=bool)


def _bundle_program(
    items: pd.DataFrame,
    people: pd.DataFrame,
    catalog: pd.DataFrame,
    limits: PlanLimits,
    penalty: float,
    overlaps: pd.DataFrame | None = None,
) -> tuple[_Program, _Program, sparse.csr_matrix, np.ndarray]:
    """The program over items, the same over bundles (each person takes exactly one of
    their allowed sets of items, nothing included), the bundles' items and which rows of
    the first are shared. The bundles' LP relaxation is much tighter than the items': a
    fractional item meets the JP minimum for a fraction of its cost."""
    program = _build(items, people, catalog, limits, penalty=penalty)
    owner, members, value = _bundles(items, people, limits, penalty, overlaps)
    shared = np.array([kind in SHARED for kind, _ in program.kinds], dtype=bool)
    a_shared = program.a[shared][:, : program.n_items] @ members.T
    convexity = sparse.csr_matrix(
        (np.ones(len(owner)), (owner, np.arange(len(owner)))), shape=(len(people), len(owner))
    )
    # one bundle each (exactly one for whoever has the empty bundle to choose)
    due = (_need(people, limits) > 0) | (
        np.bincount(items["person"].to_numpy()[_required(items)], minlength=len(people)) > 0
    )
    bundles = _Program(
        c=-value,
        a=sparse.vstack([a_shared, convexity]).tocsr(),
        lower=np.r_[program.lower[shared], np.where(due, 1.0, -np.inf)],
        upper=np.r_[program.upper[shared], np.ones(len(people))],
        kinds=[k for k, keep in zip(program.kinds, shared, strict=True) if keep]
        + [("person", str(i)) for i in range(len(people))],
        n_items=len(value),
        var_upper=np.ones(len(value)),
        penalty=penalty,
    )
    return program, bundles, members, shared


def _solve_bundles(
    items: pd.DataFrame,
    people: pd.DataFrame,
    catalog: pd.DataFrame,
    limits: PlanLimits,
    *,
    method: str,
    time_limit: float,
    step: ProgressFn,
    overlaps: pd.DataFrame | None = None,
) -> tuple[np.ndarray, float, np.ndarray, _Program]:
    """The chosen items, the bound, the shared rows' prices (from the LP relaxation) and
    the program over items.

    The LP over bundles is solved by column generation (:class:`BundleMaster`); its optimum
    bounds every plan. ``"exact"``: branch and bound over all bundles (small programs).
    Otherwise the LP optimum rounded: a basic optimum has at most as many people split
    between bundles as there are shared limits (often none), so each person takes the
    bundle the LP gives most of, and a repair restores every limit and fills what is left.
    ``"auto"`` then branches on the master's bundles while the rounded plan is more than
    :data:`MIP_GAP` from the bound.
    """
    step("program")
    penalty = shortfall_penalty(items)
    program, bundles, members, shared = _bundle_program(
        items, people, catalog, limits, penalty, overlaps
    )
    owner = bundles.a[-len(people) :].tocsc().indices  # the person row of each bundle
    value = -bundles.c
    _check_required(items, program)
    step("lp")
    empty = np.flatnonzero(np.diff(members.indptr) == 0)
    start = np.flatnonzero(_bundle_choice(items, people, members, owner, _required(items)))
    master = BundleMaster(
        bundles.a, bundles.lower, bundles.upper, value, owner, np.union1d(empty, start)
    )
    bound, x, bundle_prices = master.solve_lp()
    prices = np.zeros(len(program.kinds))
    prices[shared] = bundle_prices[: int(shared.sum())]
    if method == "exact":
        step("milp")
        x, proven = _milp(bundles, time_limit)
        picked = np.asarray(members[x > 0.5].sum(axis=0)).ravel() > 0
        return picked, min(bound, proven), prices, program
    step("round")
    pick = _round(master, x, owner, time_limit)
    if pick is None:  # a lower limit the fixed people cannot meet: repair by items
        order = np.lexsort((-x, owner))
        first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
        first = first[x[first] > 1e-9]
        chosen = np.asarray(members[first].sum(axis=0)).ravel() > 0
        chosen = _repair(items, people, limits, program, chosen)
        pick = _bundle_choice(items, people, members, owner, chosen)
    n_shared = int(shared.sum())
    pick = master.improve(pick, bundles.lower[:n_shared], bundles.upper[:n_shared])
    if method == "auto":
        worth = bound + penalty * float(_need(people, limits).sum())  # nothing is worth 0
        if bound - float(value @ pick) > MIP_GAP * max(worth, 1e-9):
            step("milp")
            better = master.solve_mip(
                pick, abs_gap=MIP_GAP * worth, time_limit=min(time_limit, AUTO_MIP_SECONDS)
            )
            if better is not None and value @ better > value @ pick:
                pick = better
    chosen = np.asarray(members.T @ pick).ravel() > 0.5
    return chosen, bound, prices, program


def _round(
    master: BundleMaster, x: np.ndarray, owner: np.ndarray, time_limit: float
) -> np.ndarray | None:
    """The LP optimum made whole: everyone it does not split keeps their bundle, and the
    few it splits (at most one per shared limit) get the best bundles that fit in what is
    left, by branch and bound over their bundles in the master."""
    split = (x > 1e-6) & (x < 1 - 1e-6)
    if not split.any():
        return np.round(x)
    fixed = np.ones(int(owner.max()) + 1, dtype=bool)
    fixed[owner[split]] = False
    return master.solve_mip(x, abs_gap=1e-6, time_limit=time_limit, fixed=fixed)


def _check_required(items: pd.DataFrame, program: _Program) -> None:
    """:class:`PlanInputError` (``mandatory``) if the mandatory items alone break a limit:
    the budget, a unit's budget, a training's seats, the staff away or a JP cap."""
    must = _required(items).astype(float)
    if not must.any():
        return
    use = program.a[:, : program.n_items] @ must
    over = np.flatnonzero(use > program.upper + 1e-6)
    if not len(over):
        return
    kind, key = program.kinds[int(over[0])]
    used, limit = use[over[0]], program.upper[over[0]]
    if kind in ("budget", "unit_budget"):
        cost, budget = used * MONEY_UNIT, limit * MONEY_UNIT
        what = f"cost Rp{cost:,.0f}, more than the {key} budget Rp{budget:,.0f}"
    else:
        what = f"need {used:,.0f} where the {kind} limit {key} allows {limit:,.0f}"
    raise PlanInputError("mandatory", f"the mandatory trainings alone {what}")


#: Keys of a person's sets: person × this + the set's bit mask (room for 20 items).
_KEY_SPAN = 1 << 20


def _bundle_choice(
    items: pd.DataFrame,
    people: pd.DataFrame,
    members: sparse.csr_matrix,
    owner: np.ndarray,
    chosen: np.ndarray,
) -> np.ndarray:
    """The 0/1 choice of bundles that takes exactly the ``chosen`` items (each person's set
    of items is one of their bundles: the repair keeps every per-person limit)."""
    person = items["person"].to_numpy()
    starts = np.searchsorted(person, np.arange(len(people)))
    slot_bit = np.left_shift(1, np.arange(len(items)) - starts[person]).astype(np.int64)
    bundle_key = owner.astype(np.int64) * _KEY_SPAN + members @ slot_bit
    wanted = np.bincount(person[chosen], weights=slot_bit[chosen], minlength=len(people))
    keys = np.arange(len(people), dtype=np.int64) * _KEY_SPAN + wanted.astype(np.int64)
    at = pd.Index(bundle_key).get_indexer(pd.Index(keys))
    choice = np.zeros(len(owner))
    choice[at[at >= 0]] = 1.0
    return choice


def _repair(
    items: pd.DataFrame,
    people: pd.DataFrame,
    limits: PlanLimits,
    program: _Program,
    chosen: np.ndarray,
) -> np.ndarray:
    """Drop items until every shared limit holds, the least worth per rupiah first (an
    item's worth: its gain plus the penalty of the JP its person would then miss), then add
    the items that still fit, the most worth per rupiah first."""
    n = program.n_items
    a_items = program.a[:, :n].tocsc()
    soft = np.array([kind == "min_jp" for kind, _ in program.kinds])  # shortfall absorbs
    chosen = chosen.copy()
    worth = _worth(items, people, limits, program.penalty, chosen)
    worth[_required(items)] = np.inf  # never dropped
    activity = np.asarray(a_items @ chosen.astype(float)).ravel()

    def broken() -> np.ndarray:
        return ~soft & ((activity > program.upper + 1e-6) | (activity < program.lower - 1e-6))

    bad = broken()
    for i in np.argsort(worth, kind="stable"):
        if not bad.any():
            break
        column = a_items[:, i]
        # dropping helps a row over its upper limit, or one under its lower (remote share)
        # that the item pulls down
        helps = bad[column.indices] & (activity[column.indices] > program.upper[column.indices])
        helps |= bad[column.indices] & (column.data < 0)
        if chosen[i] and helps.any():
            chosen[i] = False
            activity[column.indices] -= column.data
            bad = broken()
    worth = _worth(items, people, limits, program.penalty, chosen)
    return _fill(a_items, program, worth, chosen, activity)


def _worth(
    items: pd.DataFrame,
    people: pd.DataFrame,
    limits: PlanLimits,
    penalty: float,
    chosen: np.ndarray,
) -> np.ndarray:
    """Per item and rupiah: its gain plus the penalty of the JP it covers, given the
    ``chosen`` items (a chosen item: what dropping it would cost; another: what adding it
    would bring)."""
    person = items["person"].to_numpy()
    jp = items["hours_jp"].to_numpy(dtype=float)
    planned = np.bincount(person[chosen], weights=jp[chosen], minlength=len(people))
    missing = np.maximum(0.0, _need(people, limits) - planned)[person]
    covers = np.where(
        chosen,
        np.maximum(0.0, jp - (planned[person] - _need(people, limits)[person]).clip(min=0)),
        np.minimum(jp, missing),
    )
    gain = items["gain"].to_numpy(dtype=float) + penalty * covers
    return gain / np.maximum(items["cost_idr"].to_numpy(dtype=float), 1.0)


def _per_idr(items: pd.DataFrame) -> np.ndarray:
    return items["gain"].to_numpy(dtype=float) / np.maximum(
        items["cost_idr"].to_numpy(dtype=float), 1.0
    )


def _fill(
    a_items: sparse.csc_matrix,
    program: _Program,
    score: np.ndarray,
    chosen: np.ndarray,
    activity: np.ndarray,
) -> np.ndarray:
    """Add items, best ``score`` first (``-inf``: never), while every limit holds;
    ``activity`` (each row's use) is updated in place."""
    soft = np.array([kind == "min_jp" for kind, _ in program.kinds])
    chosen = chosen.copy()
    for i in np.argsort(-score, kind="stable"):
        if not chosen[i] and score[i] > -np.inf and _fits(a_items, program, soft, activity, i):
            chosen[i] = True
    return chosen


def _fits(
    a_items: sparse.csc_matrix,
    program: _Program,
    soft: np.ndarray,
    activity: np.ndarray,
    i: int,
) -> bool:
    """Whether item ``i`` fits every limit (a row below its lower limit may only rise);
    if so, its use is added to ``activity``."""
    lo, hi = a_items.indptr[i], a_items.indptr[i + 1]  # the column, without slicing
    rows = a_items.indices[lo:hi]
    data = a_items.data[lo:hi]
    after = activity[rows] + data
    fits = (after <= program.upper[rows] + 1e-6) & (
        (after >= program.lower[rows] - 1e-6) | (data >= 0)
    )
    if not (soft[rows] | fits).all():
        return False
    activity[rows] = after
    return True


def _plan(
    items: pd.DataFrame,
    people: pd.DataFrame,
    limits: PlanLimits,
    chosen: np.ndarray,
    program: _Program,
    method: str,
    bound: float,
    start: float,
    overlaps: pd.DataFrame | None = None,
) -> Plan:
    picked = items[chosen].copy()
    if overlaps is not None:  # each item's gain within its person's chosen set
        picked = _set_gains(picked, chosen_marginals(items, overlaps, chosen)[chosen])
    planned = np.bincount(
        picked["person"].to_numpy(), weights=picked["hours_jp"].to_numpy(), minlength=len(people)
    )
    need = _need(people, limits)
    shortfall = np.maximum(0.0, need - planned)
    table = pd.DataFrame(
        {
            "nip": people["nip"].astype(str).to_numpy(),
            "unit": people["unit"].astype(str).to_numpy(),
            "jp_completed": people["jp_completed"].to_numpy(dtype=float),
            "jp_planned": planned,
            "shortfall": shortfall,
        }
    )
    table["reason"] = shortfall_reasons(items, people, limits, chosen, program, shortfall)
    # gain plus the penalty's worth of every JP towards the minimum: the maximised objective
    # shifted so that planning nothing is worth 0 (the bound is shifted alike)
    objective = float(picked["gain"].sum() + program.penalty * (need - shortfall).sum())
    picked["quarter"] = schedule(picked, people, limits)
    return Plan(
        items=picked.reset_index(drop=True),
        people=table,
        method=method,
        objective=objective,
        bound=float(bound) + program.penalty * float(need.sum()),
        seconds=time.perf_counter() - start,
    )


def _set_gains(picked: pd.DataFrame, marginal: np.ndarray) -> pd.DataFrame:
    """``picked`` with each item's gain as it is within its person's chosen set, and its
    interval scaled alike from the gain alone's (``lower_alone``/``upper_alone``)."""
    alone = picked["gain_alone"].to_numpy(dtype=float)
    share = np.divide(marginal, alone, out=np.ones_like(marginal), where=alone != 0)
    out = picked.assign(gain=marginal)
    for column in ("lower", "upper"):
        if f"{column}_alone" in picked:
            out[f"gain_{column}"] = picked[f"{column}_alone"].to_numpy(dtype=float) * share
    return out


def shortfall_reasons(
    items: pd.DataFrame,
    people: pd.DataFrame,
    limits: PlanLimits,
    chosen: np.ndarray,
    program: _Program,
    shortfall: np.ndarray,
) -> np.ndarray:
    """Why each person below the minimum is (empty if they reach it), from the limits
    their candidates that were not chosen would break: ``no_training`` (their candidates
    cannot bring them to it within their JP cap), else ``budget`` if one of them is held
    back by the budget alone, else ``seats`` if one is held back by a full training, else
    ``away`` (their unit already has its share of staff away in classroom training)."""
    reason = np.full(len(people), "", dtype=object)
    below = shortfall > 1e-9
    if not below.any():
        return reason
    person = items["person"].to_numpy()
    jp = items["hours_jp"].to_numpy(dtype=float)
    possible = np.minimum(
        np.bincount(person, weights=jp, minlength=len(people)), _jp_caps(items, people, limits)
    )
    cannot = possible + 1e-9 < _need(people, limits)
    a_items = program.a[:, : program.n_items].tocsc()
    slack = program.upper - a_items @ chosen.astype(float)
    open_items = np.flatnonzero(~chosen & below[person])
    column = a_items[:, open_items]
    kinds = np.array([kind for kind, _ in program.kinds])
    over = column.data > slack[column.indices] + 1e-6
    at = np.repeat(np.arange(len(open_items)), np.diff(column.indptr))

    def held_by(*names: str) -> np.ndarray:
        hit = over & np.isin(kinds[column.indices], names)
        return np.bincount(at[hit], minlength=len(open_items)) > 0

    money, seats, away = held_by("budget", "unit_budget"), held_by("seats"), held_by("away")
    by_budget = money & ~seats & ~away
    owner = person[open_items]
    has = {
        name: np.bincount(owner[flag], minlength=len(people)) > 0
        for name, flag in (("budget", by_budget), ("seats", seats), ("away", away))
    }
    reason[below] = "away"
    reason[below & has["seats"]] = "seats"
    reason[below & has["budget"]] = "budget"
    reason[below & cannot] = "no_training"
    return reason


def schedule(picked: pd.DataFrame, people: pd.DataFrame, limits: PlanLimits) -> np.ndarray:
    """A quarter (1–4) for each chosen item: a person's classroom items in different
    quarters, and no quarter with more of a unit away than its share allows (possible
    whenever the plan is within four times that, as every solver ensures); the other items
    spread over the year."""
    quarter = np.zeros(len(picked), dtype=int)
    if picked.empty:
        return quarter
    away = _away_limits(people, limits.classroom_share)
    classroom = picked["classroom"].to_numpy()
    frame = picked.assign(_row=np.arange(len(picked)))
    for unit, group in frame[classroom].groupby("unit", sort=False):
        room = np.full(QUARTERS, int(away.get(unit, 1)))
        counts = group.groupby("person")["_row"].apply(list)
        for rows in sorted(counts.tolist(), key=len, reverse=True):
            # each of this person's items in a different quarter, the emptiest first
            for row, q in zip(rows, np.argsort(-room, kind="stable")[: len(rows)], strict=False):
                quarter[row] = q + 1
                room[q] -= 1
    others = frame[~classroom]
    rank_in_person = others.groupby("person").cumcount().to_numpy()
    quarter[others["_row"].to_numpy()] = (
        others["person"].to_numpy() + rank_in_person
    ) % QUARTERS + 1
    return quarter


# ----------------------------------------------------------------------------- baselines


def greedy(
    items: pd.DataFrame,
    people: pd.DataFrame,
    catalog: pd.DataFrame,
    limits: PlanLimits,
    *,
    score: np.ndarray | None = None,
    name: str = "greedy",
    overlaps: pd.DataFrame | None = None,
) -> Plan:
    """A baseline plan as HR might make it by hand: first the JP minimum, the cheapest JP
    first for whoever still needs them; then items in order of ``score`` (default: gain
    per rupiah) while every limit holds. With the gap rule's score per rupiah it is the
    gap-rule plan. ``overlaps``: as in :func:`solve` (the chosen sets' gains)."""
    start = time.perf_counter()
    program = _build(items, people, catalog, limits, penalty=shortfall_penalty(items))
    _check_required(items, program)
    a_items = program.a[:, : program.n_items].tocsc()
    chosen = _required(items).copy()  # the mandatory items first
    activity = a_items @ chosen.astype(float)
    need = _need(people, limits)
    person = items["person"].to_numpy()
    jp = items["hours_jp"].to_numpy(dtype=float)
    need -= np.bincount(person[chosen], weights=jp[chosen], minlength=len(people))
    cost_per_jp = items["cost_idr"].to_numpy(dtype=float) / np.maximum(jp, 1.0)
    soft = np.array([kind == "min_jp" for kind, _ in program.kinds])
    for i in np.argsort(cost_per_jp, kind="stable"):
        if need[person[i]] > 0 and _fits(a_items, program, soft, activity, i):
            chosen[i] = True
            need[person[i]] -= jp[i]
    order = _per_idr(items) if score is None else np.asarray(score, dtype=float)
    chosen = _fill(a_items, program, order, chosen, activity)
    return _plan(items, people, limits, chosen, program, name, float("nan"), start, overlaps)
