"""Choosing the ranker on the agency's own outcomes: an honest out-of-time validation.

Every candidate ranker is fitted on the history up to a cutoff and ranks each person's
candidate trainings at that date. The enrollments since then whose outcome has been
appraised are the test: each has an observed uplift (its SKP change minus what the person
would have done without it). A ranker's **value** is the off-policy value of its soft top-k
policy, the policy that takes the training it ranks r-th (from 0) with probability
proportional to ``exp(−r / k)``: the expected uplift of one training it would have sent a
test person to. It is estimated **doubly robustly** (:func:`validate_rankers`), per person:

* the *direct* part: the policy's average of an outcome model's forecasts over the person's
  candidates. The outcome model is the average of the structured and uplift models
  (:data:`OUTCOME_MODEL`), fitted on the history before the cutoff only, so it has never
  seen a test outcome;
* the *correction*: for each of the person's test enrollments, the policy's probability of
  that training over how likely HR was to pick it (:func:`choice_propensity`, a conditional
  logit of HR's own choices; :func:`logging_propensity`, the position type's share, where
  that cannot be fitted), times the observed uplift's surprise (uplift minus forecast).
  The weights are capped at their :data:`WEIGHT_CAP_QUANTILE` quantile.

The estimate is right if either the outcome model or the propensities are, and the direct
part lets a ranker be judged on trainings HR seldom chose (the correction alone, plain
inverse-propensity weighting, sees a ranker only where HR's choices happened to agree with
it). Its interval and its difference from the gap rule come from a bootstrap over people
(paired: the same resamples for every ranker).

Only observed outcomes are used, never a demo world's truth. A learned ranker is served
only if it beats the gap rule beyond the uncertainty (the lower end of the difference's 90%
interval is above zero), the most preferred of those first (:data:`PREFERENCE`);
otherwise the gap rule is served, with learned intervals.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.optimize import minimize

#: The candidate rankers. ``structured``: the varying-coefficient model; ``uplift``: the
#: flexible LightGBM model; ``blend``: their average with a line on the weighted reach (the
#: gap up to each training's own target); ``gap_rule``: levels closable up to
#: the standard, with a learned effect per level for the numbers.
RANKERS = ("structured", "uplift", "blend", "gap_rule")
LEARNED = ("structured", "uplift", "blend")
#: The order in which learned rankers are preferred when the outcomes cannot tell them apart:
#: the blend (two estimators' average varies least), then the structured model, then the
#: flexible one (it needs the most history and is the most exposed to confounding).
PREFERENCE = ("blend", "structured", "uplift")
RULE = "gap_rule"
#: The outcome model of the doubly robust validation: the average of the two models that
#: learn each training's effect from outcomes. The blend's third member (a line on the
#: weighted reach, close to the gap rule) stays out of it, so the judge does not lean
#: towards the rule's own ordering; with it in, the direct part credits the rule more and
#: the blend's lead shrank (saturating_supervisor-6000-1: +0.109 → +0.083 SKP points).
OUTCOME_MODEL = ("structured", "uplift")
#: The inverse-propensity weights are capped at this quantile of the test enrollments'
#: weights. HR's rare choices (a pair the choice model gave a few in a thousand) otherwise
#: carry weights in the hundreds, and a handful of noisy appraisals decide the comparison:
#: at the 99th percentile the difference's standard error was 2.3 times that at the 95th
#: (capped_need-6000-1). A capped weight corrects the outcome model less on those pairs,
#: the usual price of capping (Ionides 2008, "Truncated importance sampling").
WEIGHT_CAP_QUANTILE = 0.95
#: A ranker's validated value, its interval, and its difference from the gap rule.
VALUE_COLUMNS = (
    "value",
    "value_lower",
    "value_upper",
    "vs_gap_rule",
    "vs_gap_rule_lower",
    "vs_gap_rule_upper",
)
VALIDATION_COLUMNS = (
    "ranker",
    *VALUE_COLUMNS,
    "test_hits",
    "chosen",
    *(f"lower_vs_{name}" for name in LEARNED),
)
#: Why a ranker was chosen (keys of the CLI's messages: ``ranker.<why>``).
WHY_BEATS_RULE = "beats_rule"
WHY_NO_BETTER = "no_better"
WHY_NO_TEST = "no_test"
WHY_FIXED = "fixed"


def within_person_rank(person: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Each row's place in its person's ranking by ``score`` (0 = best; ties: row order);
    ``inf`` where the score is not finite (never recommended)."""
    n = len(score)
    order = np.lexsort((np.arange(n), -np.nan_to_num(score, nan=-np.inf), person))
    sorted_person = person[order]
    start = np.r_[True, sorted_person[1:] != sorted_person[:-1]] if n else np.zeros(0, bool)
    group_start = np.maximum.accumulate(np.where(start, np.arange(n), 0)) if n else start
    rank = np.empty(n)
    rank[order] = np.arange(n) - group_start
    return np.where(np.isfinite(score), rank, np.inf)


def top_k_members(person: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """Whether each row is among its person's ``k`` highest finite scores (ties: row order)."""
    return within_person_rank(person, np.asarray(score, dtype=float)) < k


def logging_propensity(
    history: pd.DataFrame, test: pd.DataFrame, *, smoothing: float = 20.0
) -> np.ndarray:
    """How likely HR was to send someone of the test row's position type to its training:
    the training's share of that position type's past enrollments, shrunk towards its
    overall share. ``history`` and ``test`` have ``position_type`` and ``training_id``."""
    h_type = history["position_type"].astype(str)
    h_id = history["training_id"].astype(str)
    n_trainings = max(h_id.nunique(), 1)
    overall = (h_id.value_counts() + 1.0) / (len(h_id) + n_trainings)
    by_type = h_id.groupby(h_type.to_numpy()).value_counts()
    type_total = h_type.value_counts()
    t_type = test["position_type"].astype(str).to_numpy()
    t_id = test["training_id"].astype(str).to_numpy()
    prior = pd.Series(t_id).map(overall).fillna(1.0 / (len(h_id) + n_trainings)).to_numpy()
    count = by_type.reindex(pd.MultiIndex.from_arrays([t_type, t_id])).fillna(0.0).to_numpy()
    total = pd.Series(t_type).map(type_total).fillna(0.0).to_numpy()
    return (count + smoothing * prior) / (total + smoothing)


def choice_propensity(
    features: np.ndarray, person: np.ndarray, chosen: np.ndarray, *, l2: float = 1.0
) -> np.ndarray:
    """How likely HR was to pick each chosen pair, by a conditional logit over each
    person's candidates (the logging policy as the agency's own choices show it).

    ``features``: one row per candidate pair (e.g. the training's share of the position
    type's past enrollments on a log scale, the gaps it closes, modality × remote area);
    ``person``: each pair's person (integer codes); ``chosen``: the row of the pair each
    test enrollment took. Returns the probability of each chosen row within its person's
    candidates. The logit is fitted by maximum likelihood (L-BFGS, a little ridge).
    """
    x = np.asarray(features, dtype=float)
    x = (x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1.0)
    n_people = int(person.max()) + 1 if len(person) else 0
    counts = np.bincount(person[chosen], minlength=n_people)  # choices per person
    taken = x[chosen].sum(0)

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        u = x @ beta
        shift = np.full(n_people, -np.inf)
        np.maximum.at(shift, person, u)
        e = np.exp(u - shift[person])
        total = np.bincount(person, weights=e, minlength=n_people)
        log_norm = np.log(np.where(total > 0, total, 1.0)) + np.where(total > 0, shift, 0.0)
        value = float(counts @ log_norm - taken @ beta + l2 * beta @ beta / 2)
        p = e / total[person]
        weighted = p * counts[person]
        grad = x.T @ weighted - taken + l2 * beta
        return value, grad

    beta = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x
    u = x @ beta
    shift = np.full(n_people, -np.inf)
    np.maximum.at(shift, person, u)
    e = np.exp(u - shift[person])
    total = np.bincount(person, weights=e, minlength=n_people)
    return np.asarray(e[chosen] / total[person[chosen]], dtype=float)


def validate_rankers(
    scores: Mapping[str, np.ndarray],
    pairs: pd.DataFrame,
    test: pd.DataFrame,
    *,
    k: int = 5,
    n_boot: int = 300,
    alpha: float = 0.1,
    seed: int = 0,
    outcome: str | tuple[str, ...] = OUTCOME_MODEL,
    weight_cap_quantile: float = WEIGHT_CAP_QUANTILE,
) -> pd.DataFrame:
    """Each ranker's validated value (doubly robust, see the module docstring), with
    intervals and the paired difference from the gap rule; one row per ranker
    (:data:`VALIDATION_COLUMNS`, ``chosen`` left False).

    ``scores[name]``: each ranker's expected gain for the rows of ``pairs`` (``nip``,
    ``training_id``: every candidate of every test person; −inf: never recommended).
    ``test``: the test enrollments (``nip``, ``training_id``, ``uplift``, ``propensity``).
    ``outcome``: the ranker (or rankers, averaged) whose forecasts are the outcome model
    (the mean of the learned rankers' if none is among ``scores``).
    ``weight_cap_quantile``: the quantile of the inverse-propensity weights they are capped
    at (1: uncapped).
    """
    nip = pairs["nip"].astype(str).to_numpy()
    person = pd.factorize(nip)[0]
    people = pd.Index(pd.unique(nip))
    test_person = people.get_indexer(pd.Index(test["nip"].astype(str)))
    keep = test_person >= 0
    test = test[keep]
    test_person = test_person[keep]
    names = list(scores)
    n_tested = np.bincount(test_person, minlength=len(people))
    if len(people) == 0 or not (n_tested > 0).any():
        return pd.DataFrame(
            [{"ranker": name, "test_hits": 0, "chosen": False} for name in names],
            columns=list(VALIDATION_COLUMNS),
        ).astype(dict.fromkeys(VALUE_COLUMNS, float))
    weight = 1.0 / np.clip(test["propensity"].to_numpy(dtype=float), 1e-6, None)
    weight = np.minimum(weight, np.quantile(weight, weight_cap_quantile))
    uplift = test["uplift"].to_numpy(dtype=float)
    candidates = pd.MultiIndex.from_arrays([nip, pairs["training_id"].astype(str).to_numpy()])
    at = candidates.get_indexer(
        pd.MultiIndex.from_arrays([test["nip"].astype(str), test["training_id"].astype(str)])
    )
    forecast = _outcome_forecast(scores, outcome)
    observed = np.where(at >= 0, forecast[np.maximum(at, 0)], 0.0)
    surprise = weight * (uplift - observed)
    values = np.zeros((len(people), len(names)))
    hits = np.zeros(len(names), dtype=int)
    reached = np.zeros(len(names), dtype=bool)  # recommends something to someone
    for j, name in enumerate(names):
        score = np.asarray(scores[name], dtype=float)
        rank = within_person_rank(person, score)
        soft = np.exp(-rank / k)  # 0 where never recommended
        total = np.bincount(person, weights=soft, minlength=len(people))
        reached[j] = bool((total > 0).any())
        policy = soft / np.where(total > 0, total, 1.0)[person]
        direct = np.bincount(person, weights=policy * forecast, minlength=len(people))
        taken = np.where(at >= 0, policy[np.maximum(at, 0)], 0.0)
        correction = np.bincount(test_person, weights=taken * surprise, minlength=len(people))
        values[:, j] = direct + correction / np.maximum(n_tested, 1)
        placed = np.where(at >= 0, rank[np.maximum(at, 0)], np.inf)
        hits[j] = int((placed < k).sum())
    values = np.where(reached, values[n_tested > 0], np.nan)
    n = len(values)
    value = values.mean(0)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), n_boot)
    boot = (counts @ values) / n
    lo, hi = 100 * alpha / 2, 100 * (1 - alpha / 2)
    rule = names.index(RULE) if RULE in names else None
    rows = []
    for j, name in enumerate(names):
        row: dict[str, object] = {
            "ranker": name,
            "value": float(value[j]),
            "value_lower": float(np.percentile(boot[:, j], lo)) if reached[j] else np.nan,
            "value_upper": float(np.percentile(boot[:, j], hi)) if reached[j] else np.nan,
            "test_hits": int(hits[j]),
            "chosen": False,
        }
        for other in LEARNED:
            if other in names and reached[j] and reached[names.index(other)]:
                paired = boot[:, j] - boot[:, names.index(other)]
                row[f"lower_vs_{other}"] = float(np.percentile(paired, lo))
            else:
                row[f"lower_vs_{other}"] = np.nan
        if rule is not None and reached[j] and reached[rule]:
            diff = boot[:, j] - boot[:, rule]
            row["vs_gap_rule"] = float(value[j] - value[rule])
            row["vs_gap_rule_lower"] = float(np.percentile(diff, lo))
            row["vs_gap_rule_upper"] = float(np.percentile(diff, hi))
        else:
            row.update(vs_gap_rule=np.nan, vs_gap_rule_lower=np.nan, vs_gap_rule_upper=np.nan)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(VALIDATION_COLUMNS))


def _outcome_forecast(
    scores: Mapping[str, np.ndarray], outcome: str | tuple[str, ...]
) -> np.ndarray:
    """The outcome model's forecast for every pair (0 where it has none)."""
    names = [n for n in ((outcome,) if isinstance(outcome, str) else outcome) if n in scores]
    names = names or [n for n in LEARNED if n in scores]
    if not names:
        return np.zeros(len(next(iter(scores.values()))))
    with np.errstate(invalid="ignore"):
        forecast = np.mean([np.asarray(scores[n], dtype=float) for n in names], axis=0)
    return np.where(np.isfinite(forecast), forecast, 0.0)


def choose_ranker(table: pd.DataFrame) -> tuple[str, str]:
    """The ranker to serve and why.

    Of the learned rankers that beat the gap rule beyond the uncertainty, the first in
    :data:`PREFERENCE` is served, unless another of them beats it beyond the uncertainty too
    (then the one of highest value among those); the gap rule if no learned ranker beats it.
    """
    if table.empty or not np.isfinite(table["value"].astype(float)).any():
        return RULE, WHY_NO_TEST
    rows = {str(r["ranker"]): r for r in table.to_dict("records")}

    def cell(name: str, column: str) -> float:
        value = rows[name].get(column, np.nan)
        return float(value) if value is not None else float("nan")

    better = [n for n in PREFERENCE if n in rows and cell(n, "vs_gap_rule_lower") > 0]
    if not better:
        return RULE, WHY_NO_BETTER
    default = better[0]
    beating = [n for n in better[1:] if cell(n, f"lower_vs_{default}") > 0]
    if beating:
        return max(beating, key=lambda n: cell(n, "value")), WHY_BEATS_RULE
    return default, WHY_BEATS_RULE


def loses_to_rule(table: pd.DataFrame, ranker: str) -> bool:
    """Whether ``ranker`` is worse than the gap rule beyond the uncertainty."""
    if ranker == RULE or table.empty:
        return False
    row = table[table["ranker"] == ranker]
    return bool(len(row)) and bool(row["vs_gap_rule_upper"].iloc[0] < 0)
