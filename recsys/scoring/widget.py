"""The widget's answer per person, precomputed: trainings in words (no scores, no numbers)
and a suggested mentor described only by distance and strengths (no identity), marked as
the agency's matching or as an alternative with room; or, when the matching leaves the
person out, why."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pandas as pd

from recsys.data.loading import Dataset
from recsys.planning.mentor_suggestions import MentorSuggestions
from recsys.scoring.encoding import encode

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
    names = _competency_names(dataset)
    distinct = recs.drop_duplicates(["nip", "title"])
    top = distinct.groupby("nip", sort=False).head(WIDGET_TRAININGS)
    trainings: dict[str, list[dict[str, Any]]] = {}
    for row in top.to_dict("records"):
        codes = _codes(str(row["gaps_closed"]))
        trainings.setdefault(str(row["nip"]), []).append(
            {
                "title": str(row["title"]),
                "modality": str(row["modality"]),
                "hours_jp": int(row["hours_jp"]),
                "reason": _DEVELOPS[lang].format(
                    names=_AND[lang].join(names.get(c, c) for c in codes[:2])
                ),
            }
        )
    mentor: dict[str, dict[str, Any]] = {}
    why: dict[str, str] = {}
    if mentors is not None:
        distance = "distance" if lang == first else f"distance_{lang}"
        suggestions = mentors.suggestions
        best = suggestions[suggestions["rank"] == 1]
        for row in best.to_dict("records"):
            codes = _codes(str(row["gaps_covered"]))[:WIDGET_STRENGTHS]
            mentor[str(row["nip"])] = {
                "distance": str(row[distance]),
                "strengths": [names.get(c, c) for c in codes],
                "status": str(row["status"]),
            }
        reason = "reason" if lang == first else f"reason_{lang}"
        left_out = mentors.unassigned
        why = dict(zip(left_out["nip"].astype(str), left_out[reason].astype(str), strict=True))
    return {
        nip: encode(
            {
                "lang": lang,
                "trainings": trainings.get(nip, []),
                "mentor": mentor.get(nip),
                "no_mentor_reason": None if nip in mentor else why.get(nip),
            }
        )
        for nip in active
    }


def _competency_names(dataset: Dataset) -> dict[Hashable, str]:
    table = dataset.competencies
    return dict(zip(table["code"].astype(str), table["name"].astype(str), strict=True))


def _codes(spans: str) -> list[str]:
    """Competency codes from 'M6 2.1→4; T-KEU-01 2.5→4' (most important first)."""
    return [part.split(" ")[0] for part in spans.split("; ") if part]
