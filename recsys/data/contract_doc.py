"""The data contract as a document for the agencies' data teams (``recsys contract``).

Rendered from :mod:`recsys.data.contract`, so the document and the checks never disagree;
``docs/data-contract.md`` is this text, kept in the repository and checked by the tests.
"""

from __future__ import annotations

from recsys.data.contract import (
    MIN_HIRE_AGE_YEARS,
    OUTCOME_LAG_MONTHS,
    TABLES,
    Column,
    Table,
)

_KIND_LABEL = {
    "id": "identifier (text)",
    "string": "text",
    "date": "date `YYYY-MM-DD`",
    "bool": "`true` / `false`",
    "int": "whole number",
    "number": "number",
    "category": "one of a fixed list",
}

_ROW_RULES = {
    "nip_consistent": "the NIP agrees with the row: its first 8 digits are `birth_date`, the "
    "next 6 the year and month of `hire_date`, the 15th the gender (1 = M, 2 = F), and the "
    "last 3 are not `000`",
    "hired_adult": f"`hire_date` is at least {MIN_HIRE_AGE_YEARS} years after `birth_date`",
    "not_own_supervisor": "nobody is their own supervisor",
    "end_after_start": "`end_date` is not before `start_date`",
    "mentor_not_mentee": "mentor and mentee are different people",
}

_INTRO = f"""# Data contract

What an agency loads into ASN Recsys: its HR data (SIASN exports, e-Kinerja, the training
unit's records, survey results) as ten tables. The demo world, every loader and every test
use exactly these tables. Column names are English snake_case; category values are the
Indonesian terms HR staff already use.

## How to deliver the data

Either **a folder** with one file per table, named `<table>.csv` or `<table>.parquet`
(not both), or **a SQL database** (any SQLAlchemy URL, e.g.
`postgresql://user@host/db` or `sqlite:///path/to/file.db`) with tables of the same names
and columns.

- CSV files are UTF-8 with a header row. Dates are `YYYY-MM-DD`; booleans are `true` or
  `false`; an empty cell is a missing value.
- Tables marked *optional* may be left out. Columns marked *optional* may be left out
  (an optional `active` column defaults to `true`).
- Columns not listed here are ignored, and the load report names them.

Check a data set before anything else uses it:

```
recsys validate --data path/to/folder        # or --data postgresql://...
```

## What happens to bad rows

A row that breaks a rule is **not dropped silently and does not stop the load**. It goes,
whole and as it was read, to `quarantine/<table>.csv` beside the load report, with its
row number in the file and every reason it was refused. Every valid row is kept, so for
each table *read = loaded + quarantined*. References are checked against the rows that
were loaded: the enrollments of an employee whose own row was quarantined are
quarantined too, with that reason.

The load stops with a clear message naming the file and the column only when the data set
cannot be read at all: a required table or column is missing, a file cannot be parsed, or a
folder holds both a CSV and a Parquet file for the same table.

## How outcomes are measured

The individual outcome of a training or a mentorship is the change in SKP score from the
last appraisal period ending before the activity starts to the first period ending at least
{OUTCOME_LAG_MONTHS} months after it ends. Unit-level outcomes are the changes in
`satisfaction_index` and `avg_service_days` over the same windows.

"""


def _rule(column: Column) -> str:
    parts: list[str] = []
    if column.categories is not None:
        parts.append(" / ".join(f"`{c}`" for c in column.categories))
    if column.minimum is not None or column.maximum is not None:
        lo = column.minimum
        hi = column.maximum
        if lo is not None and hi is not None:
            parts.append(f"{_num(lo)}–{_num(hi)}")
        elif lo is not None:
            parts.append(f"{'>' if column.exclusive_min else '≥'} {_num(lo)}")
    if column.unique:
        parts.append("unique")
    if column.references is not None:
        table, col = column.references
        parts.append(f"must match `{table}.{col}`")
    parts.append(column.description)
    return "; ".join(parts)


def _num(value: float) -> str:
    return f"{value:g}"


def _table_section(table: Table) -> str:
    optional = " *(optional table)*" if table.optional else ""
    lines = [f"## `{table.name}` ({table.title}){optional}", "", table.description, ""]
    lines += ["| column | type | required | rule |", "|---|---|---|---|"]
    for column in table.columns:
        if not column.required:
            required = "optional column"
        elif column.nullable:
            required = "column required, may be empty"
        else:
            required = "yes"
        lines.append(
            f"| `{column.name}` | {_KIND_LABEL[column.kind]} | {required} | {_rule(column)} |"
        )
    if table.row_rules:
        lines += ["", "Rules across columns:", ""]
        lines += [f"- {_ROW_RULES[rule]}." for rule in table.row_rules]
    return "\n".join(lines) + "\n"


def render_markdown() -> str:
    """The whole contract as Markdown."""
    return _INTRO + "\n".join(_table_section(t) for t in TABLES)
