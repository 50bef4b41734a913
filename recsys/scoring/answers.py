"""Every active employee's answers, computed once per scoring run and kept as encoded JSON.

Recommendations only change when the data or the models change. So everybody is scored
once, in one pass per model for all languages: by ``recsys score`` into the
recommendation store (:mod:`recsys.scoring.store`), or by the API itself at start-up when
it serves without a store. A request is then a look-up and a join of bytes: milliseconds,
whatever the size of the agency. What-if forecasts stay computed per request.

Training lists are built by marginal gain, so the first ``k`` items of a person's list are
that person's list of ``k``: a list's forecast gain for any ``k`` is a running sum of its
items' gains, kept per person.

Mentor lists come from the agency's capacity-respecting matching, recomputed at each load
(:func:`recsys.planning.mentor_suggestions.suggest_mentors`): rank 1 is the mentor the
matching assigns, the other ranks are mentors who still have room; a person the matching
leaves out gets the reason why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import pairwise, repeat

import numpy as np
import pandas as pd

from recsys.data.loading import Dataset
from recsys.models.mentors.eligibility import matching_groups
from recsys.planning.mentor_suggestions import MentorSuggestions, suggest_mentors
from recsys.scoring.encoding import encode, literals
from recsys.scoring.widget import widget_answers_by_language
from recsys.settings import LANGUAGES
from recsys.tracking.bundle import Bundle

log = logging.getLogger(__name__)

Items = dict[str, list[bytes]]  # nip -> encoded items, best first

#: The JSON fields of a training item, in order, with their JSON type (the API's
#: ``TrainingItem`` response model has exactly these; a test checks it).
TRAINING_ITEM_FIELDS: dict[str, type] = {
    "rank": int,
    "training_id": str,
    "title": str,
    "expected_gain": float,
    "gain_lower": float,
    "gain_upper": float,
    "gain_alone": float,
    "gaps_closed": str,
    "hours_jp": int,
    "cost_idr": float,
    "modality": str,
    "reason": str,
}
#: The JSON fields of a mentor item, in order (the API's ``MentorItem``).
MENTOR_ITEM_FIELDS: dict[str, type] = {
    "rank": int,
    "mentor_nip": str,
    "expected_gain": float,
    "gain_lower": float,
    "gain_upper": float,
    "gaps_covered": str,
    "distance": str,
    "reason": str,
    "status": str,
}


@dataclass(frozen=True)
class Answers:
    """Encoded answers per language: ``trainings[lang][nip]`` and ``mentors[lang][nip]``
    are the top items (up to ``k``), ``widget[lang][nip]`` the whole widget response,
    ``unassigned[lang][nip]`` why the mentor matching leaves the person out (only people
    it leaves out). ``ranker`` is the training ranker that made the lists and
    ``list_gains[nip]`` the running sum of the person's training gains (SKP points; entry
    ``i``: the first ``i + 1`` items)."""

    k: int
    known: frozenset[str]
    active: frozenset[str]
    trainings: dict[str, Items]
    mentors: dict[str, Items] | None
    widget: dict[str, dict[str, bytes]]
    ranker: str
    list_gains: dict[str, list[float]]
    seconds: float = 0.0
    sizes: dict[str, int] = field(default_factory=dict)
    unassigned: dict[str, dict[str, bytes]] = field(default_factory=dict)

    def of(self, kind: str) -> dict[str, Items] | None:
        """The ``trainings`` or ``mentors`` answers (None: no mentor model)."""
        return self.trainings if kind == "trainings" else self.mentors

    def list_gain(self, nip: str, k: int) -> float:
        """Forecast SKP gain of the person's first ``k`` trainings taken together (0 when
        they have none)."""
        gains = self.list_gains.get(nip)
        return gains[min(k, len(gains)) - 1] if gains else 0.0

    def mentor_extra(self, nip: str, lang: str) -> bytes:
        """The mentor list's ``"unassigned":…,`` member: why the matching leaves the person
        out (``{"code", "reason"}``), or ``null``."""
        return b'"unassigned":%s,' % self.unassigned.get(lang, {}).get(nip, b"null")


def precompute(
    dataset: Dataset,
    models: Bundle,
    k: int,
    on_progress: Callable[[str, int, int], None] | None = None,
    as_of: pd.Timestamp | None = None,
    agency: str | None = None,
) -> Answers:
    """Score every active employee with both models, top ``k``, in every language, as of
    ``as_of`` (default: the data set's decision date). ``agency``: only that agency's
    employees (the answers are the same as when everybody is scored: the mentor matching
    is agency-wide, everything else is per person)."""
    started = time.perf_counter()
    employees = dataset.employees
    if agency is not None:
        employees = employees[employees["agency"].astype(str) == agency]
    active = employees.loc[employees["active"], "nip"].astype(str)
    first, *others = LANGUAGES

    def progress(what: str) -> Callable[[int, int], None] | None:
        return (lambda done, total: on_progress(what, done, total)) if on_progress else None

    recs = models.trainings.recommend(
        dataset,
        active,
        k=k,
        lang=first,
        also_in=others,
        as_of=as_of,
        on_progress=progress("trainings"),
    )
    trainings = _items_by_language(
        recs,
        TRAINING_ITEM_FIELDS,
        {lang: _translated(lang, first, ["reason"]) for lang in LANGUAGES},
    )
    mentors = None
    suggested: MentorSuggestions | None = None
    unassigned: dict[str, dict[str, bytes]] = {}
    if models.mentors is not None:
        suggested = _suggest_by_agency(models, dataset, active, k, as_of, progress("mentors"))
        mentor_recs = suggested.suggestions
        mentors = _items_by_language(
            mentor_recs,
            MENTOR_ITEM_FIELDS,
            {lang: _translated(lang, first, ["reason", "distance"]) for lang in LANGUAGES},
        )
        unassigned = {lang: _unassigned(suggested.unassigned, lang, first) for lang in LANGUAGES}
    nips = active.tolist()
    widget = widget_answers_by_language(dataset, recs, suggested, LANGUAGES, first, set(nips))
    answers = Answers(
        k=k,
        known=frozenset(employees["nip"].astype(str).tolist()),
        active=frozenset(nips),
        trainings=trainings,
        mentors=mentors,
        widget=widget,
        unassigned=unassigned,
        ranker=str(models.trainings.ranker_),
        list_gains=_running_gains(recs),
        seconds=time.perf_counter() - started,
        sizes={
            "employees": len(active),
            "trainings": len(recs),
            "mentors": 0 if suggested is None else len(suggested.suggestions),
            "mentors_unassigned": 0 if suggested is None else len(suggested.unassigned),
        },
    )
    log.info("precomputed %s in %.1f s", answers.sizes, answers.seconds)
    return answers


def _suggest_by_agency(
    models: Bundle,
    dataset: Dataset,
    active: pd.Series,
    k: int,
    as_of: pd.Timestamp | None,
    on_progress: Callable[[int, int], None] | None,
) -> MentorSuggestions:
    """Mentor suggestions agency by agency, or unit by unit where the agency searches
    mentors so (each matching solved alone, as a scoring partition solves it, so the answers
    never depend on how the work is split)."""
    assert models.mentors is not None
    first, *others = LANGUAGES
    group = matching_groups(dataset, models.mentors.eligibility_policies(), active)
    parts: list[MentorSuggestions] = []
    done = 0
    for name in sorted(pd.unique(group)):
        people = active[group == name]
        parts.append(
            suggest_mentors(
                models.mentors, dataset, people, k=k, lang=first, also_in=others, as_of=as_of
            )
        )
        done += len(people)
        if on_progress:
            on_progress(done, len(active))
    if not parts:
        return suggest_mentors(
            models.mentors, dataset, active, k=k, lang=first, also_in=others, as_of=as_of
        )
    return replace(
        parts[0],
        suggestions=pd.concat([p.suggestions for p in parts], ignore_index=True),
        unassigned=pd.concat([p.unassigned for p in parts], ignore_index=True),
        people=active.reset_index(drop=True),
        seconds=sum(p.seconds for p in parts),
    )


def _running_gains(recs: pd.DataFrame) -> dict[str, list[float]]:
    """Per nip, the running sum of ``expected_gain`` down the list (each person's rows
    together, in list order): added one item at a time, as a client adding them up would."""
    if recs.empty:
        return {}
    nips = recs["nip"].astype(str).to_numpy()
    running = recs["expected_gain"].to_numpy(dtype=float).copy()
    starts = np.flatnonzero(np.r_[True, nips[1:] != nips[:-1]])
    ends = np.r_[starts[1:], len(nips)]
    position = np.arange(len(nips)) - np.repeat(starts, ends - starts)
    for p in range(1, int(position.max()) + 1):  # one pass per rank (k of them), in order
        at = np.flatnonzero(position == p)
        running[at] += running[at - 1]
    values = running.tolist()
    return {nips[a]: values[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)}


def _unassigned(frame: pd.DataFrame, lang: str, first: str) -> dict[str, bytes]:
    """Per nip left out by the mentor matching, ``{"code", "reason"}`` in ``lang``."""
    reasons = frame[_translated(lang, first, ["reason"])["reason"]].astype(str).tolist()
    return {
        nip: encode({"code": code, "reason": reason})
        for nip, code, reason in zip(
            frame["nip"].astype(str).tolist(),
            frame["reason_code"].astype(str).tolist(),
            reasons,
            strict=True,
        )
    }


def _translated(lang: str, first: str, columns: list[str]) -> dict[str, str]:
    """Which frame column holds each text field in ``lang``."""
    return {c: c if lang == first else f"{c}_{lang}" for c in columns}


def _items(frame: pd.DataFrame, fields: Mapping[str, type], columns: Mapping[str, str]) -> Items:
    """Each row of ``frame`` as a JSON object of ``fields`` (in order, each of its JSON
    type), per nip; ``columns``: which frame column holds a field (default: its name)."""
    return _items_by_language(frame, fields, {"": columns})[""]


def _items_by_language(
    frame: pd.DataFrame, fields: Mapping[str, type], columns: Mapping[str, Mapping[str, str]]
) -> dict[str, Items]:
    """:func:`_items` in each language of ``columns`` (language → which frame column holds
    a field in it).

    Built column by column: each column's values as JSON text (each distinct value
    formatted once), then joined per row with the keys. The fields the languages share
    (all but the translated texts) are encoded once, and each language's own appended to
    them. Several times faster than a dict and ``json.dumps`` per row, with the same
    bytes.
    """
    if frame.empty:
        return {lang: {} for lang in columns}
    nips = frame["nip"].astype(str).to_numpy(dtype=object)
    names = list(fields)
    sources = {lang: [cols.get(n, n) for n in names] for lang, cols in columns.items()}
    # cut the fields into runs that every language reads from the same columns, or not
    shared = [len({source[i] for source in sources.values()}) == 1 for i in range(len(names))]
    cuts = [0, *(i for i in range(1, len(names)) if shared[i] != shared[i - 1]), len(names)]
    texts: dict[tuple[str, type], np.ndarray] = {}

    def json_texts(name: str, column: str) -> np.ndarray:
        if (column, fields[name]) not in texts:
            texts[column, fields[name]] = _json_texts(frame[column], fields[name])
        return texts[column, fields[name]]

    encoded: dict[tuple[int, tuple[str, ...]], list[bytes]] = {}
    out: dict[str, Items] = {}
    for lang, source in sources.items():
        parts = []
        for a, b in pairwise(cuts):
            run = (a, tuple(source[a:b]))
            if run not in encoded:
                values = [json_texts(n, c) for n, c in zip(names[a:b], source[a:b], strict=True)]
                encoded[run] = _members(names[a:b], values, a == 0, b == len(names))
            parts.append(encoded[run])
        rows = parts[0] if len(parts) == 1 else list(map(b"".join, zip(*parts, strict=True)))
        out[lang] = _by_nip(nips, rows)
    return out


def _members(names: list[str], values: list[np.ndarray], first: bool, last: bool) -> list[bytes]:
    """Per row, the members ``"name":value`` (``values``: per name, each row's JSON text),
    comma-separated, opening the object if ``first`` and closing it if ``last``."""
    pieces: list[Iterable[str]] = []
    for i, (name, texts) in enumerate(zip(names, values, strict=True)):
        pieces += [repeat(("{" if first and i == 0 else ",") + f'"{name}":'), texts.tolist()]
    pieces.append(repeat("}" if last else ""))
    return ["".join(row).encode() for row in zip(*pieces, strict=False)]  # repeat() is endless


def _json_texts(column: pd.Series, kind: type) -> np.ndarray:
    """Each value of ``column`` as JSON of type ``kind`` (each distinct value formatted
    once: most columns hold a few, a course's title or cost say)."""
    if kind is int:
        codes, ints = pd.factorize(column.astype(int).to_numpy())
        texts = list(map(str, ints.tolist()))
    elif kind is float:
        # distinct by bits, so that 0.0 and -0.0 (equal numbers) stay apart
        values = column.astype(float).to_numpy()
        codes, bits = pd.factorize(values.view(np.int64))
        texts = list(map(float.__repr__, bits.view(np.float64).tolist()))
    else:
        codes, strings = pd.factorize(column.astype(str), use_na_sentinel=False)
        texts = literals(strings.tolist())
    return np.array(texts, dtype=object)[codes]


def _by_nip(nips: np.ndarray, rows: list[bytes]) -> Items:
    """``rows`` grouped by their nip, in order (each nip's rows are usually together: then
    they are sliced, not appended one by one)."""
    starts = np.flatnonzero(np.r_[True, nips[1:] != nips[:-1]]).tolist()
    firsts = nips[starts].tolist()
    if len(set(firsts)) == len(firsts):
        ends = [*starts[1:], len(rows)]
        return {nip: rows[a:b] for nip, a, b in zip(firsts, starts, ends, strict=True)}
    out: Items = {}
    for nip, row in zip(nips.tolist(), rows, strict=True):
        out.setdefault(nip, []).append(row)
    return out
