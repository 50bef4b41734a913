"""The widget's answer per person, precomputed: trainings in words (no scores, no numbers)
and a suggested mentor described only by distance and strengths (no identity), marked as
the agency's matching or as an alternative with room; or, when the matching leaves the
person out, why."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import pandas as pd

from recsys.data.loading import Dataset
from recsys.planning.mentor_suggestions import MentorSuggestions
from recsys.scoring.encoding import literals

#: Items per person in the widget (it shows a short list).
WIDGET_TRAININGS = 3
#: Competencies named as a suggested mentor's strengths in the widget.
WIDGET_STRENGTHS = 3

#: Widget wording: what a training develops, without any number.
_DEVELOPS = {"id": "Mengembangkan {names}.", "en": "Develops {names}."}
_AND = {"id": " dan ", "en": " and "}


def widget_answers(
    dataset: Dataset,
    recs: pd.DataFrame,
    mentors: MentorSuggestions | None,
    lang: str,
    first: str,
    active: set[str],
) -> dict[str, bytes]:
    """The widget's answer per person: trainings in words (no scores, no numbers) and a
    mentor described only by distance and strengths (no identity) with its ``status``
    (``assigned``: the agency's matching; ``alternative``: a mentor who still has room);
    ``no_mentor_reason`` says why the matching leaves the person out (else null).

    The trainings are the top of the person's list, which is built by marginal gain: they
    complement each other and no course appears twice (a title is never shown twice
    here whatever the list holds)."""
    return widget_answers_by_language(dataset, recs, mentors, [lang], first, active)[lang]


def widget_answers_by_language(
    dataset: Dataset,
    recs: pd.DataFrame,
    mentors: MentorSuggestions | None,
    languages: Sequence[str],
    first: str,
    active: set[str],
) -> dict[str, dict[str, bytes]]:
    """:func:`widget_answers` in each of ``languages`` (``first``: the one whose texts are
    in the unsuffixed columns), the work they share done once.

    The JSON is written piece by piece, each value as :func:`~recsys.scoring.encoding.encode`
    writes it: the same bytes as encoding a dict per person, several times faster."""
    names = _competency_names(dataset)
    distinct = recs.drop_duplicates(["nip", "title"])
    top = distinct.groupby("nip", sort=False).head(WIDGET_TRAININGS)
    nips = top["nip"].astype(str).tolist()
    titles = _literals(str(v) for v in top["title"].tolist())
    modalities = _literals(str(v) for v in top["modality"].tolist())
    hours = [str(int(v)) for v in top["hours_jp"].tolist()]
    developed = _first_names(top["gaps_closed"].tolist(), names, 2)
    answers = {}
    for lang in languages:
        reasons = literals(
            [_DEVELOPS[lang].format(names=_AND[lang].join(shown)) for shown in developed]
        )
        trainings: dict[str, list[str]] = {}
        for nip, title, modality, hour, reason in zip(
            nips, titles, modalities, hours, reasons, strict=True
        ):
            trainings.setdefault(nip, []).append(
                f'{{"title":{title},"modality":{modality},"hours_jp":{hour},"reason":{reason}}}'
            )
        mentor, why = _mentor_texts(mentors, names, lang, first)
        head = f'{{"lang":{literals([lang])[0]},"trainings":['
        answers[lang] = {
            nip: (
                f"{head}{','.join(trainings.get(nip, ()))}],"
                f'"mentor":{mentor.get(nip, "null")},'
                f'"no_mentor_reason":{"null" if nip in mentor else why.get(nip, "null")}}}'
            ).encode()
            for nip in active
        }
    return answers


def _mentor_texts(
    mentors: MentorSuggestions | None, names: dict[Hashable, str], lang: str, first: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Per nip, as JSON text in ``lang``: the suggested mentor (rank 1: distance, strengths,
    status) and, for a person the matching leaves out, why."""
    if mentors is None:
        return {}, {}
    distance = "distance" if lang == first else f"distance_{lang}"
    suggestions = mentors.suggestions
    best = suggestions[suggestions["rank"] == 1]
    strengths = _first_names(best["gaps_covered"].tolist(), names, WIDGET_STRENGTHS)
    mentor = {
        str(nip): f'{{"distance":{d},"strengths":[{",".join(literals(shown))}],"status":{s}}}'
        for nip, d, shown, s in zip(
            best["nip"].tolist(),
            _literals(str(v) for v in best[distance].tolist()),
            strengths,
            _literals(str(v) for v in best["status"].tolist()),
            strict=True,
        )
    }
    reason = "reason" if lang == first else f"reason_{lang}"
    left_out = mentors.unassigned
    why = dict(
        zip(
            left_out["nip"].astype(str).tolist(),
            literals(left_out[reason].astype(str).tolist()),
            strict=True,
        )
    )
    return mentor, why


def _first_names(spans: list[Any], names: dict[Hashable, str], n: int) -> list[list[str]]:
    """The names of the first ``n`` competencies of each 'M6 2.1→4; T-KEU-01 2.5→4' (a
    code without a name: the code), each distinct text worked out once."""
    known: dict[Any, list[str]] = {}
    for text in dict.fromkeys(spans):
        known[text] = [names.get(c, c) for c in _codes(str(text))[:n]]
    return [known[text] for text in spans]


def _literals(values: Iterable[str]) -> list[str]:
    """Each text as JSON, each distinct one escaped once (a column of a few titles)."""
    texts = list(values)
    distinct = list(dict.fromkeys(texts))
    escaped = dict(zip(distinct, literals(distinct), strict=True))
    return [escaped[t] for t in texts]


def _competency_names(dataset: Dataset) -> dict[Hashable, str]:
    table = dataset.competencies
    return dict(zip(table["code"].astype(str), table["name"].astype(str), strict=True))


def _codes(spans: str) -> list[str]:
    """Competency codes from 'M6 2.1→4; T-KEU-01 2.5→4' (most important first)."""
    return [part.split(" ")[0] for part in spans.split("; ") if part]
