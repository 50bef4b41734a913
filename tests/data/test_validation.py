"""Every contract rule quarantines the row that breaks it, with its reason, and only it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from recsys.data import Dataset, load_dataset
from recsys.data.contract import TABLES
from recsys.data.validation import ROW_RULES

TextTables = dict[str, pd.DataFrame]
Value = str | Callable[[TextTables], str]
#: The employee who supervises and mentors nobody (the ``leaf`` fixture; checked below).
LEAF = 4
UNKNOWN_NIP = "199901012020011999"


def emp(row: int, column: str = "nip") -> Callable[[TextTables], str]:
    """The text of an employee's cell, once the world is read."""
    return lambda t: str(t["employees"].loc[row, column])


def leaf_nip_with(start: int, part: str) -> Callable[[TextTables], str]:
    """The leaf employee's NIP with ``part`` written over it from position ``start``."""

    def value(t: TextTables) -> str:
        nip = str(t["employees"].loc[LEAF, "nip"])
        return nip[:start] + part + nip[start + len(part) :]

    return value


# (table, row, {column: new value}, expected reason substring)
BAD_ROWS = [
    # employees
    ("employees", LEAF, {"nip": "19920701201601100"}, "nip: not 18 digits: '19920701201601100'"),
    ("employees", LEAF, {"nip": "1992O70120160110O5"}, "nip: not 18 digits"),
    (
        "employees",
        LEAF,
        {"birth_date": "1992-07-02"},
        "nip: birth date part 19920701 disagrees with birth_date 1992-07-02",
    ),
    (
        "employees",
        LEAF,
        {"hire_date": "2016-02-01"},
        "nip: TMT part 201601 disagrees with hire_date 2016-02-01",
    ),
    ("employees", LEAF, {"gender": "F"}, "nip: gender digit 1 disagrees with gender F"),
    ("employees", LEAF, {"nip": leaf_nip_with(15, "000")}, "nip: sequence 000 is invalid"),
    (
        "employees",
        LEAF,
        {"hire_date": "2009-01-01", "nip": leaf_nip_with(8, "200901")},
        "hire_date: 2009-01-01 is before age 18 (birth_date 1992-07-01)",
    ),
    (
        "employees",
        LEAF,
        {"birth_date": "12/05/1980"},
        "birth_date: not a date (YYYY-MM-DD): '12/05/1980'",
    ),
    ("employees", LEAF, {"hire_date": "2016-02-30"}, "hire_date: not a date (YYYY-MM-DD)"),
    ("employees", LEAF, {"birth_date": "1600-01-01"}, "birth_date: outside 1677-09-22–2262-04-11"),
    ("employees", LEAF, {"gender": "X"}, "gender: not one of M, F: 'X'"),
    ("employees", LEAF, {"gender": "L"}, "gender: not one of M, F: 'L'"),
    ("employees", LEAF, {"grade": "V/a"}, "grade: not one of I/a … IV/e: 'V/a'"),
    ("employees", LEAF, {"education": "SMK"}, "education: not one of SD, SMP, SMA"),
    ("employees", LEAF, {"position_type": "eselon"}, "position_type: not one of jpt"),
    ("employees", LEAF, {"remote_area": "ya"}, "remote_area: not a boolean (true/false): 'ya'"),
    ("employees", LEAF, {"active": "1"}, "active: not a boolean (true/false): '1'"),
    ("employees", LEAF, {"name": ""}, "name: missing"),
    ("employees", LEAF, {"name": "   "}, "name: missing"),
    ("employees", LEAF, {"unit": ""}, "unit: missing"),
    ("employees", LEAF, {"nip": emp(3)}, "nip: duplicate of source row 4"),
    (
        "employees",
        LEAF,
        {"supervisor_nip": UNKNOWN_NIP},
        f"supervisor_nip: unknown employee '{UNKNOWN_NIP}'",
    ),
    ("employees", LEAF, {"supervisor_nip": "12345"}, "supervisor_nip: not 18 digits: '12345'"),
    ("employees", LEAF, {"supervisor_nip": emp(LEAF)}, "supervisor_nip: the employee's own nip"),
    # competencies
    ("competencies", 2, {"kind": "teknikal"}, "kind: not one of manajerial, sosial_kultural"),
    ("competencies", 3, {"code": "M1"}, "code: duplicate of source row 1"),
    ("competencies", 2, {"code": ""}, "code: missing"),
    # competency_standards
    ("competency_standards", 1, {"required_level": "0"}, "required_level: 0 outside 1–5"),
    ("competency_standards", 1, {"required_level": "6"}, "required_level: 6 outside 1–5"),
    ("competency_standards", 1, {"required_level": "2.5"}, "required_level: not an integer"),
    ("competency_standards", 1, {"competency": "M9"}, "competency: unknown competency 'M9'"),
    # assessments
    ("assessments", 2, {"level": "5.5"}, "level: 5.5 outside 1.0–5.0"),
    ("assessments", 2, {"level": "0.99"}, "level: 0.99 outside 1.0–5.0"),
    ("assessments", 2, {"level": "3,5"}, "level: not a number: '3,5'"),
    ("assessments", 2, {"level": "NA"}, "level: not a number: 'NA'"),
    ("assessments", 2, {"competency": "X1"}, "competency: unknown competency 'X1'"),
    ("assessments", 2, {"nip": UNKNOWN_NIP}, f"nip: unknown employee '{UNKNOWN_NIP}'"),
    ("assessments", 2, {"assessed_on": "2023/03/01"}, "assessed_on: not a date (YYYY-MM-DD)"),
    # performance
    ("performance", 1, {"rating": "istimewa"}, "rating: not one of"),
    ("performance", 1, {"score": "130"}, "score: 130 outside 0–120"),
    ("performance", 1, {"score": "-0.5"}, "score: -0.5 outside 0–120"),
    ("performance", 1, {"period_end": ""}, "period_end: missing"),
    ("performance", 1, {"nip": UNKNOWN_NIP}, f"nip: unknown employee '{UNKNOWN_NIP}'"),
    # trainings
    ("trainings", 1, {"modality": "daring"}, "modality: not one of klasikal"),
    ("trainings", 1, {"hours_jp": "0"}, "hours_jp: 0 not above 0"),
    ("trainings", 1, {"hours_jp": "12.5"}, "hours_jp: not an integer: '12.5'"),
    ("trainings", 1, {"cost_idr": "-1"}, "cost_idr: -1 below 0"),
    ("trainings", 1, {"capacity": "0"}, "capacity: 0 not above 0"),
    ("trainings", 2, {"training_id": "TR-001"}, "training_id: duplicate of source row 1"),
    ("trainings", 1, {"active": "ya"}, "active: not a boolean (true/false)"),
    # training_competencies
    ("training_competencies", 2, {"target_level": "6"}, "target_level: 6 outside 1–5"),
    ("training_competencies", 2, {"training_id": "TR-999"}, "training_id: unknown training"),
    ("training_competencies", 2, {"competency": "M9"}, "competency: unknown competency 'M9'"),
    # enrollments
    ("enrollments", 1, {"nip": UNKNOWN_NIP}, f"nip: unknown employee '{UNKNOWN_NIP}'"),
    ("enrollments", 1, {"training_id": "TR-999"}, "training_id: unknown training 'TR-999'"),
    ("enrollments", 1, {"status": "lulus"}, "status: not one of completed, dropped"),
    ("enrollments", 1, {"pre_score": "101"}, "pre_score: 101 outside 0–100"),
    ("enrollments", 1, {"post_score": "-5"}, "post_score: -5 outside 0–100"),
    ("enrollments", 1, {"reaction_score": "0"}, "reaction_score: 0 outside 1–5"),
    ("enrollments", 0, {"behavior_score": "5.5"}, "behavior_score: 5.5 outside 1–5"),
    (
        "enrollments",
        0,
        {"end_date": "2022-01-31"},
        "end_date: 2022-01-31 before start_date 2022-02-01",
    ),
    ("enrollments", 2, {"enrollment_id": "E-1"}, "enrollment_id: duplicate of source row 1"),
    ("enrollments", 2, {"start_date": ""}, "start_date: missing"),
    # mentorships
    ("mentorships", 1, {"mentor_nip": UNKNOWN_NIP}, "mentor_nip: unknown employee"),
    ("mentorships", 1, {"mentee_nip": emp(1)}, "mentee_nip: same as mentor_nip"),
    ("mentorships", 1, {"mentee_nip": UNKNOWN_NIP}, "mentee_nip: unknown employee"),
    ("mentorships", 0, {"mentee_rating": "6"}, "mentee_rating: 6 outside 1–5"),
    ("mentorships", 0, {"end_date": "2021-12-31"}, "end_date: 2021-12-31 before start_date"),
    ("mentorships", 0, {"competency": "Z9"}, "competency: unknown competency 'Z9'"),
    # service_metrics
    ("service_metrics", 1, {"satisfaction_index": "101"}, "satisfaction_index: 101 outside 0–100"),
    ("service_metrics", 1, {"avg_service_days": "-1"}, "avg_service_days: -1 below 0"),
    ("service_metrics", 1, {"unit": "Dinas Pariwisata"}, "unit: unknown unit 'Dinas Pariwisata'"),
]


def _id(case: tuple[str, int, dict[str, Value], str]) -> str:
    name, _, changes, reason = case
    return f"{name}-{reason.split(':')[0]}-{'+'.join(changes)}"


def assert_balanced(ds: Dataset) -> None:
    """Every row read is either loaded or quarantined, in every table."""
    for entry in ds.report.tables:
        assert entry.loaded + entry.quarantined == entry.read, entry.name
        assert len(ds.tables[entry.name]) == entry.loaded
        assert len(entry.quarantine) == entry.quarantined


def break_and_load(
    text_world: TextTables,
    write_text: Callable[[TextTables], Path],
    name: str,
    row: int,
    changes: dict[str, Value],
) -> tuple[Dataset, dict[str, str]]:
    resolved = {col: v(text_world) if callable(v) else v for col, v in changes.items()}
    for column, value in resolved.items():
        text_world[name].loc[row, column] = value
    return load_dataset(write_text(text_world)), resolved


@pytest.mark.parametrize("case", BAD_ROWS, ids=[_id(c) for c in BAD_ROWS])
def test_bad_row_is_quarantined_with_its_reason(
    case: tuple[str, int, dict[str, Value], str],
    text_world: TextTables,
    write_text: Callable[[TextTables], Path],
) -> None:
    name, row, changes, reason = case
    ds, resolved = break_and_load(text_world, write_text, name, row, changes)

    entry = ds.report.table(name)
    assert entry.read == len(text_world[name])
    assert entry.quarantined == 1, entry.quarantine[["source_row", "reason"]]
    assert entry.loaded == entry.read - 1
    quarantined = entry.quarantine.iloc[0]
    assert quarantined["source_row"] == row + 1
    assert reason in quarantined["reason"]
    for column, value in resolved.items():
        shown = quarantined[column]
        assert (pd.isna(shown) and value.strip() == "") or str(shown) == value
    assert sum(entry.reasons.values()) >= 1
    assert_balanced(ds)


def test_leaf_is_the_conftest_leaf(leaf: int, world: dict[str, pd.DataFrame]) -> None:
    assert leaf == LEAF
    nip = world["employees"].loc[LEAF, "nip"]
    assert nip not in set(world["employees"]["supervisor_nip"].dropna())
    mentorships = world["mentorships"]
    assert nip not in set(mentorships["mentor_nip"]) | set(mentorships["mentee_nip"])


def test_every_contract_row_rule_is_implemented() -> None:
    assert {rule for t in TABLES for rule in t.row_rules} <= set(ROW_RULES)


def test_valid_world_loads_whole(world_csv: Path, world: dict[str, pd.DataFrame]) -> None:
    ds = load_dataset(world_csv)
    assert ds.report.quarantined == 0
    for name, frame in world.items():
        pd.testing.assert_frame_equal(ds.tables[name], frame)
    assert_balanced(ds)


def test_several_problems_are_all_named(
    text_world: TextTables, write_text: Callable[[TextTables], Path]
) -> None:
    ds, _ = break_and_load(
        text_world, write_text, "employees", LEAF, {"name": "", "gender": "X", "grade": "V/a"}
    )
    reason = ds.report.table("employees").quarantine.loc[0, "reason"]
    assert reason.split("; ") == [
        "name: missing",
        "gender: not one of M, F: 'X'",
        "grade: not one of I/a … IV/e: 'V/a'",
    ]
    assert ds.report.table("employees").reasons == {
        "name: missing": 1,
        "gender: not one of M, F": 1,
        "grade: not one of I/a … IV/e": 1,
    }


def test_quarantined_employee_takes_their_rows_along(
    text_world: TextTables, write_text: Callable[[TextTables], Path]
) -> None:
    nip = str(text_world["employees"].loc[LEAF, "nip"])
    ds, _ = break_and_load(text_world, write_text, "employees", LEAF, {"gender": "X"})

    expected = f"nip: unknown employee '{nip}' (quarantined in employees)"
    for name in ("assessments", "performance", "enrollments"):
        entry = ds.report.table(name)
        owned = int((text_world[name]["nip"] == nip).sum())
        assert owned > 0
        assert entry.quarantined == owned
        assert (entry.quarantine["reason"] == expected).all()
        assert entry.reasons == {"nip: unknown employee": owned}
        assert nip not in set(ds.tables[name]["nip"])
    assert_balanced(ds)


def test_staff_of_a_quarantined_supervisor_are_kept_with_a_warning(
    text_world: TextTables, write_text: Callable[[TextTables], Path]
) -> None:
    # 3 reports to 2, who reports to 1; breaking 1 quarantines 1 only: the others are valid.
    employees = text_world["employees"]
    employees.loc[3, "supervisor_nip"] = employees.loc[2, "nip"]
    broken = employees.loc[1, "nip"]
    ds, _ = break_and_load(text_world, write_text, "employees", 1, {"gender": "X"})

    entry = ds.report.table("employees")
    assert sorted(entry.quarantine["source_row"]) == [2]
    assert set(ds.employees["nip"]) == set(employees["nip"]) - {broken}
    reporting = int((employees["supervisor_nip"] == broken).sum())
    assert reporting > 0
    assert any(
        f"{reporting} loaded employees report to a supervisor whose own row was quarantined" in w
        for w in ds.report.warnings
    )
    assert_balanced(ds)


def test_quarantined_competency_takes_its_rows_along(
    text_world: TextTables, write_text: Callable[[TextTables], Path]
) -> None:
    ds, _ = break_and_load(text_world, write_text, "competencies", 3, {"kind": "x"})
    for name in ("competency_standards", "assessments", "training_competencies"):
        entry = ds.report.table(name)
        assert entry.quarantined == int((text_world[name]["competency"] == "T-ADM-01").sum())
        assert entry.quarantine["reason"].str.contains("unknown competency 'T-ADM-01'").all()
    assert_balanced(ds)


def test_text_is_not_trimmed_or_guessed(
    text_world: TextTables, write_text: Callable[[TextTables], Path]
) -> None:
    text_world["employees"].loc[0, "name"] = "NA"
    text_world["employees"].loc[1, "name"] = "null"
    text_world["assessments"].loc[0, "competency"] = "M1 "
    ds = load_dataset(write_text(text_world))
    assert list(ds.employees["name"][:2]) == ["NA", "null"]
    assert (
        "competency: unknown competency 'M1 '"
        in ds.report.table("assessments").quarantine.loc[0, "reason"]
    )


def test_booleans_and_numbers_accept_the_usual_spellings(
    text_world: TextTables, write_text: Callable[[TextTables], Path]
) -> None:
    text_world["employees"].loc[0, "remote_area"] = "TRUE"
    text_world["employees"].loc[1, "remote_area"] = " False "
    text_world["assessments"].loc[0, "level"] = "+4.5e0"
    text_world["trainings"].loc[0, "hours_jp"] = "+280"
    ds = load_dataset(write_text(text_world))
    assert ds.report.quarantined == 0
    assert list(ds.employees["remote_area"][:2]) == [True, False]
    assert ds.assessments["level"][0] == 4.5
    assert ds.trainings["hours_jp"][0] == 280


def test_wrong_field_count_is_a_bad_row_not_an_error(world_csv: Path, tmp_path: Path) -> None:
    lines = (world_csv / "employees.csv").read_text(encoding="utf-8").splitlines()
    # A name with a line break inside quotes still counts as one row.
    header, rows = lines[0], lines[1:]
    rows[0] = (
        rows[0]
        .replace('"Budi Santoso"', '"Budi\nSantoso"')
        .replace("Budi Santoso", '"Budi\nSantoso"')
    )
    broken = [header, rows[0], rows[1], "a,b,c", rows[2], rows[3], *rows[4:], "x," * 20 + "x"]
    folder = tmp_path / "data"
    folder.mkdir()
    for path in world_csv.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "employees.csv").write_text("\n".join(broken) + "\n", encoding="utf-8")

    ds = load_dataset(folder)
    entry = ds.report.table("employees")
    assert (entry.read, entry.loaded, entry.quarantined) == (8, 6, 2)
    q = entry.quarantine
    assert list(q["source_row"]) == [3, 8]
    assert list(q["raw_line"]) == ["a,b,c", "x," * 20 + "x"]
    assert list(q["reason"]) == ["row has 3 fields, expected 15", "row has 21 fields, expected 15"]
    assert entry.reasons == {"row: wrong number of fields": 2}
    assert ds.employees["name"][0] == "Budi\nSantoso"
    assert_balanced(ds)


def test_source_rows_count_past_bad_lines(world_csv: Path, tmp_path: Path) -> None:
    lines = (world_csv / "trainings.csv").read_text(encoding="utf-8").splitlines()
    lines.insert(2, "oops")
    lines[3] = lines[3].replace(",24,", ",0,")  # TR-002 now on data row 3, hours_jp 0
    folder = tmp_path / "data"
    folder.mkdir()
    for path in world_csv.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "trainings.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    q = load_dataset(folder).report.table("trainings").quarantine
    assert list(q["source_row"]) == [2, 3]
    assert q.loc[1, "training_id"] == "TR-002"
    assert q.loc[1, "reason"] == "hours_jp: 0 not above 0"


def test_every_checked_column_has_a_bad_row_case() -> None:
    covered = {(name, col) for name, _, changes, _ in BAD_ROWS for col in changes}
    for t in TABLES:
        for c in t.columns:
            if c.minimum is not None or c.maximum is not None or c.categories or c.references:
                assert (t.name, c.name) in covered, (t.name, c.name)
