"""A data set restricted to a sample of its people: every record of the sampled employees,
nothing of the others.

Used where a model is refitted only to be compared (the training recommender's out-of-time
validation at national scale): the comparison needs a model of the same kind, not one
fitted on every record. Catalog, competency dictionary and standards, and the units'
service metrics are kept whole.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.data.loading import Dataset

#: Tables keyed by the person they are about, and that person's column.
PERSON_TABLES = {
    "employees": "nip",
    "assessments": "nip",
    "performance": "nip",
    "enrollments": "nip",
    "mentorships": "mentee_nip",
}


def sample_people(ds: Dataset, n: int, seed: int = 0) -> Dataset:
    """``ds`` restricted to ``n`` of its employees drawn at random (reproducibly with
    ``seed``); ``ds`` itself if it has no more than ``n``. A sampled employee's supervisor
    who was not drawn stays named in ``supervisor_nip`` (a reference outside the sample,
    as when an agency loads one of its units)."""
    if n < 1:
        raise ValueError(f"a sample needs at least one employee, got n={n}")
    employees = ds.employees
    if len(employees) <= n:
        return ds
    rng = np.random.default_rng(seed)
    drawn = employees["nip"].to_numpy()[rng.choice(len(employees), size=n, replace=False)]
    keep = pd.Index(pd.Series(drawn).astype(str))
    tables = dict(ds.tables)
    for name, column in PERSON_TABLES.items():
        frame = ds.tables[name]
        tables[name] = frame[frame[column].astype(str).isin(keep)].reset_index(drop=True)
    return Dataset(tables=tables, report=ds.report, source=f"{ds.source} (sample of {n} people)")
