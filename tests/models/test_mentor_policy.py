"""Mentoring policies: the policy file and its errors, per-agency rules deciding who may
mentor whom, the evidence rule, and each mentor's remaining capacity."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data.loading import Dataset, load_dataset
from recsys.data.snapshot import latest_date
from recsys.features.population import agency_part, people_part, whole_context
from recsys.models.mentors.eligibility import (
    Roster,
    eligible_pairs,
    matching_groups,
    seniority,
    unit_scoped,
)
from recsys.models.mentors.policy import (
    MentorPolicies,
    MentorPolicy,
    PolicyError,
    mentor_capacity,
    ongoing_mentorships,
    policies_from_settings,
    remaining_capacity,
)
from recsys.models.mentors.recommender import MentorRecommender
from recsys.models.requests import UnknownEmployeeError
from recsys.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "mentoring-policy.md"


@pytest.fixture(scope="module")
def ds(small_world: Path) -> Dataset:
    return load_dataset(small_world)


def _juniors(ds: Dataset, agency: str | None = None) -> pd.Series:
    emp = ds.employees
    keep = emp["active"] & emp["position_type"].astype(str).isin(["pelaksana", "fungsional"])
    if agency is not None:
        keep &= emp["agency"].astype(str) == agency
    return emp.loc[keep, "nip"].astype(str).reset_index(drop=True)


def _two_agencies(ds: Dataset) -> tuple[str, str]:
    counts = ds.employees["agency"].astype(str).value_counts()
    return str(counts.index[0]), str(counts.index[1])


def _is_supervisor(ds: Dataset, pairs: pd.DataFrame) -> np.ndarray:
    sup = ds.employees.set_index(ds.employees["nip"].astype(str))["supervisor_nip"]
    return (
        sup.reindex(pairs["nip"].astype(str)).astype(object).fillna("").to_numpy()
        == pairs["mentor_nip"].astype(str).to_numpy()
    )


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------------- the policy file


def test_a_policy_file_sets_the_default_and_overrides_per_agency(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "policy.yaml",
        "default:\n  senior_steps: 2\n  ratings: [sangat_baik, baik]\n"
        "agencies:\n  Pemerintah Kota Jambi:\n    allow_supervisor: false\n    capacity: 2\n"
        "  Pemerintah Kabupaten Kerinci:\n",
    )
    policies = MentorPolicies.from_file(path, base=MentorPolicy(capacity=4))
    assert policies.default == MentorPolicy(senior_steps=2, capacity=4)
    jambi = policies.policy_for("Pemerintah Kota Jambi")
    # an agency inherits every rule it does not set from the file's default
    assert jambi == MentorPolicy(senior_steps=2, capacity=2, allow_supervisor=False)
    assert policies.policy_for("Pemerintah Kabupaten Kerinci") == policies.default
    assert policies.policy_for("Pemerintah Kota Semarang") == policies.default
    assert policies.default.ratings == ("baik", "sangat_baik")  # in RATINGS order
    toml = _write(
        tmp_path,
        "policy.toml",
        '[default]\nsenior_steps = 2\nratings = ["baik", "sangat_baik"]\n'
        '[agencies."Pemerintah Kota Jambi"]\nallow_supervisor = false\ncapacity = 2\n'
        '[agencies."Pemerintah Kabupaten Kerinci"]\n',
    )
    assert MentorPolicies.from_file(toml, base=MentorPolicy(capacity=4)) == policies


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("defaults:\n  capacity: 2\n", "unknown section 'defaults'"),
        ("default:\n  capasity: 2\n", "default: unknown rule 'capasity'"),
        ("default:\n  capacity: 0\n", r"default\.capacity must be a whole number ≥ 1, got 0"),
        ("default:\n  senior_steps: 1.5\n", r"default\.senior_steps must be a whole number"),
        ("default:\n  allow_supervisor: maybe\n", r"allow_supervisor must be true or false"),
        ("default:\n  ratings: baik\n", r"ratings must be a list of ratings"),
        ("default:\n  ratings: [baik, good]\n", r"ratings must be a non-empty list"),
        ("default:\n  ratings: []\n", r"ratings must be a non-empty list"),
        ("default:\n  evidence_min_rating: 6\n", r"evidence_min_rating must be a number from 1"),
        (
            "agencies:\n  Pemerintah Kota Jambi:\n    capacity: -1\n",
            r"agencies\['Pemerintah Kota Jambi'\]\.capacity must be a whole number ≥ 1",
        ),
        (
            "agencies:\n  Pemerintah Kota Jambi:\n    same_agencies: true\n",
            r"agencies\['Pemerintah Kota Jambi'\]: unknown rule 'same_agencies'",
        ),
        ("agencies:\n  - Pemerintah Kota Jambi\n", "agencies must map agency names"),
        (
            "agencies:\n  Pemerintah Kota Jambi:\n    capacity: 2\n"
            "  Pemerintah Kota Jambi:\n    capacity: 4\n",
            "'Pemerintah Kota Jambi' is given twice",
        ),
        ("default: [1, 2]\n", "default must map rules"),
        ("default:\n  capacity: [2\n", "not valid YAML"),
    ],
)
def test_a_bad_policy_file_is_a_clear_error_naming_what_is_wrong(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _write(tmp_path, "policy.yaml", text)
    with pytest.raises(PolicyError, match=message) as caught:
        MentorPolicies.from_file(path)
    assert str(path) in str(caught.value)


def test_policy_files_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"cannot be read"):
        MentorPolicies.from_file(tmp_path / "missing.yaml")
    with pytest.raises(PolicyError, match=r"\.yaml, \.yml, \.toml"):
        MentorPolicies.from_file(_write(tmp_path, "policy.json", "{}"))
    with pytest.raises(PolicyError, match="not valid TOML"):
        MentorPolicies.from_file(_write(tmp_path, "policy.toml", "[default\n"))


def test_an_agency_missing_from_the_data_is_named(ds: Dataset) -> None:
    known, _ = _two_agencies(ds)
    policies = MentorPolicies(
        agencies={known: MentorPolicy(), "Pemerintah Kota Atlantis": MentorPolicy()}
    )
    with pytest.raises(PolicyError, match="agency 'Pemerintah Kota Atlantis' is not in the data"):
        eligible_pairs(ds, _juniors(ds).head(3), policies=policies)


def test_the_settings_are_the_default_under_the_policy_file(tmp_path: Path) -> None:
    plain = policies_from_settings(Settings(mentor_allow_supervisor=False, mentor_capacity=5))
    assert plain.default == MentorPolicy(allow_supervisor=False, capacity=5)
    assert plain.agencies == {}
    assert policies_from_settings(Settings()).default == MentorPolicy()
    path = _write(
        tmp_path,
        "policy.yml",
        "default:\n  capacity: 2\nagencies:\n  A:\n    allow_supervisor: true\n",
    )
    filed = policies_from_settings(
        Settings(mentor_allow_supervisor=False, mentor_capacity=5, mentor_policy=path)
    )
    assert filed.default == MentorPolicy(allow_supervisor=False, capacity=2)
    assert filed.policy_for("A") == MentorPolicy(allow_supervisor=True, capacity=2)


def test_the_documented_examples_say_what_the_page_says(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    example, old_rule = re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)
    (toml,) = re.findall(r"```toml\n(.*?)```", text, re.DOTALL)
    policies = MentorPolicies.from_file(_write(tmp_path, "example.yaml", example))
    assert policies.default == MentorPolicy()  # the example spells out the defaults
    assert policies.policy_for("Pemerintah Kota Jambi") == MentorPolicy(
        allow_supervisor=False, capacity=2
    )
    assert policies.policy_for("Pemerintah Provinsi Jambi") == MentorPolicy(
        senior_steps=2, evidence_min_rated=2
    )
    toml_policies = MentorPolicies.from_file(_write(tmp_path, "example.toml", toml))
    assert toml_policies.agencies == {k: v for k, v in policies.agencies.items() if "Kota" in k}
    old = MentorPolicies.from_file(_write(tmp_path, "old.yaml", old_rule)).default
    assert old == MentorPolicy(senior_steps=2, allow_supervisor=False, evidence=False)


# ------------------------------------------------------------------------- who is eligible


def test_the_default_follows_perlan_lan_10_2018(ds: Dataset) -> None:
    """The direct supervisor or a colleague at least one step more senior, of the agency."""
    mentees = _juniors(ds).head(300)
    pairs = eligible_pairs(ds, mentees)
    assert _is_supervisor(ds, pairs).any()
    emp = ds.employees.set_index(ds.employees["nip"].astype(str))
    emp = emp.assign(seniority=seniority(emp))
    mentee = emp.reindex(pairs["nip"].astype(str))
    mentor = emp.reindex(pairs["mentor_nip"].astype(str))
    step = mentor["seniority"].to_numpy() - mentee["seniority"].to_numpy()
    assert step.min() == 1  # one step is enough
    assert (mentee["agency"].to_numpy() == mentor["agency"].to_numpy()).all()
    assert mentor["active"].all() and (mentee.index != mentor.index).all()
    strict = eligible_pairs(ds, mentees, allow_supervisor=False)  # the old keyword still works
    assert not _is_supervisor(ds, strict).any()
    assert len(pairs) == len(strict) + _is_supervisor(ds, pairs).sum()


def test_an_agency_override_changes_who_is_eligible_there_only(ds: Dataset) -> None:
    a, b = _two_agencies(ds)
    mentees = pd.concat([_juniors(ds, a).head(150), _juniors(ds, b).head(150)])
    agency = ds.employees.set_index(ds.employees["nip"].astype(str))["agency"].astype(str)
    base = eligible_pairs(ds, mentees)
    strict_a = MentorPolicies(agencies={a: MentorPolicy(allow_supervisor=False, senior_steps=3)})
    pairs = eligible_pairs(ds, mentees, policies=strict_a)
    in_a = agency.reindex(pairs["nip"].astype(str)).to_numpy() == a
    base_in_a = agency.reindex(base["nip"].astype(str)).to_numpy() == a
    # agency b keeps the default: the same pairs, supervisors included
    pd.testing.assert_frame_equal(
        pairs[~in_a].reset_index(drop=True), base[~base_in_a].reset_index(drop=True)
    )
    assert _is_supervisor(ds, pairs[~in_a]).any()
    # agency a: no supervisor, and at least three steps more senior
    assert in_a.sum() < base_in_a.sum()
    assert not _is_supervisor(ds, pairs[in_a]).any()
    emp = ds.employees.set_index(ds.employees["nip"].astype(str))
    rank = pd.Series(seniority(emp), index=emp.index)
    a_pairs = pairs[in_a]
    gap = (
        rank.reindex(a_pairs["mentor_nip"].astype(str)).to_numpy()
        - rank.reindex(a_pairs["nip"].astype(str)).to_numpy()
    )
    assert gap.min() >= 3
    # a policy looking beyond the agency brings in colleagues of other agencies
    wide = MentorPolicies(agencies={a: MentorPolicy(same_agency=False)})
    across = eligible_pairs(ds, _juniors(ds, a).head(20), policies=wide)
    assert (agency.reindex(across["mentor_nip"].astype(str)) != a).any()


def _evidence_world(ds: Dataset) -> tuple[Dataset, str, str]:
    """``ds`` where a senior colleague ``mentor`` of a junior ``mentee`` (not their
    supervisor) was last rated ``kurang`` but mentored once before, rated 4.5."""
    emp = ds.employees
    mentee = _juniors(ds).iloc[0]
    row = emp.loc[emp["nip"].astype(str) == mentee].iloc[0]
    ranks = pd.Series(seniority(emp), index=emp["nip"].astype(str))
    senior = (
        emp["active"].to_numpy()
        & (emp["agency"].astype(str) == str(row["agency"])).to_numpy()
        & (ranks.to_numpy() >= ranks[mentee] + 1)
        & (emp["nip"].astype(str) != str(row["supervisor_nip"])).to_numpy()
    )
    mentor = str(emp.loc[senior, "nip"].astype(str).iloc[0])
    performance = ds.performance.copy()
    performance.loc[performance["nip"].astype(str) == mentor, "rating"] = "kurang"
    past = ds.mentorships
    past = past[past["mentor_nip"].astype(str) != mentor].reset_index(drop=True)
    when = latest_date(ds)
    added = past.iloc[:1].copy()
    added["mentorship_id"] = "M-EVIDENCE"
    added["mentor_nip"] = mentor
    added["start_date"] = when - pd.Timedelta(days=400)
    added["end_date"] = when - pd.Timedelta(days=200)
    added["mentee_rating"] = 4.5
    mentorships = pd.concat([past, added], ignore_index=True)
    tables = {**ds.tables, "performance": performance, "mentorships": mentorships}
    return dataclasses.replace(ds, tables=tables), mentee, mentor


def test_the_evidence_rule_admits_a_well_rated_past_mentor(ds: Dataset) -> None:
    world, mentee, mentor = _evidence_world(ds)

    def mentors_of(policy: MentorPolicy) -> set[str]:
        pairs = eligible_pairs(world, [mentee], policies=MentorPolicies(default=policy))
        return set(pairs["mentor_nip"].astype(str))

    assert mentor in mentors_of(MentorPolicy())
    assert mentor not in mentors_of(MentorPolicy(evidence=False))
    assert mentor not in mentors_of(MentorPolicy(evidence_min_rating=4.8))
    assert mentor not in mentors_of(MentorPolicy(evidence_min_rated=2))
    # without the record, the last appraisal leaves them out
    assert mentor in mentors_of(MentorPolicy(ratings=("kurang",), evidence=False))
    roster = Roster.build(world, None, latest_date(world))
    row = roster.row(pd.Series([mentor]))[0]
    assert roster.by_record(MentorPolicy())[row]
    assert not roster.by_record(MentorPolicy(evidence=False))[row]
    # evidence lifts the rating rule only: seniority still holds
    assert mentor not in mentors_of(MentorPolicy(senior_steps=10_000))


def test_evidence_does_not_lift_the_supervisor_rule(ds: Dataset) -> None:
    world, mentee, mentor = _evidence_world(ds)
    employees = world.employees.copy()
    employees.loc[employees["nip"].astype(str) == mentee, "supervisor_nip"] = mentor
    world = dataclasses.replace(world, tables={**world.tables, "employees": employees})
    allowed = eligible_pairs(world, [mentee])
    no_supervisor = MentorPolicies(default=MentorPolicy(allow_supervisor=False))
    barred = eligible_pairs(world, [mentee], policies=no_supervisor)
    assert mentor in set(allowed["mentor_nip"].astype(str))
    assert mentor not in set(barred["mentor_nip"].astype(str))


def test_the_recommender_uses_the_mentee_agency_policy(ds: Dataset) -> None:
    a, b = _two_agencies(ds)
    model = MentorRecommender(n_bootstrap=0, random_state=1).fit(ds)
    mentees = pd.concat([_juniors(ds, a).head(200), _juniors(ds, b).head(200)])
    agency = ds.employees.set_index(ds.employees["nip"].astype(str))["agency"].astype(str)
    only_a = MentorPolicies(
        default=MentorPolicy(allow_supervisor=False), agencies={a: MentorPolicy()}
    )
    found = model.set_params(policies=only_a).candidates(ds, mentees)
    sup = _is_supervisor(ds, found)
    in_a = agency.reindex(found["nip"].astype(str)).to_numpy() == a
    assert sup[in_a].any() and not sup[~in_a].any()
    # allow_supervisor, when set, replaces every agency's supervisor rule
    barred = model.set_params(allow_supervisor=False).candidates(ds, mentees)
    assert not _is_supervisor(ds, barred).any()
    assert model.eligibility_policies().policy_for(a).allow_supervisor is False


def test_a_large_agency_searches_mentors_in_the_mentee_unit(ds: Dataset) -> None:
    """Above ``unit_search_above`` active staff, an agency's mentees get the colleagues of
    their own unit kerja: exactly the agency-wide candidates of the same unit; the other
    agency keeps searching agency-wide."""
    a, b = _two_agencies(ds)
    emp = ds.employees
    staff_a = int((emp["active"] & emp["agency"].astype(str).eq(a)).sum())
    at = MentorPolicies(agencies={a: MentorPolicy(unit_search_above=staff_a)})
    above = MentorPolicies(agencies={a: MentorPolicy(unit_search_above=staff_a - 1)})
    assert unit_scoped(ds, at, [a, b]).tolist() == [False, False]
    assert unit_scoped(ds, above, [a, b]).tolist() == [True, False]

    model = MentorRecommender(n_bootstrap=0, random_state=1).fit(ds)
    mentees = pd.concat([_juniors(ds, a).head(300), _juniors(ds, b).head(300)])
    wide = model.candidates(ds, mentees)
    scoped = model.set_params(policies=above).candidates(ds, mentees)
    unit = emp.set_index(emp["nip"].astype(str))["unit"].astype(str)
    agency = emp.set_index(emp["nip"].astype(str))["agency"].astype(str)

    def same_unit(pairs: pd.DataFrame) -> np.ndarray:
        return (
            unit.reindex(pairs["nip"].astype(str)).to_numpy()
            == unit.reindex(pairs["mentor_nip"].astype(str)).to_numpy()
        )

    in_a = agency.reindex(scoped["nip"].astype(str)).to_numpy() == a
    assert same_unit(scoped)[in_a].all()
    assert not same_unit(scoped)[~in_a].all()  # b still looks across its units
    wide_a = agency.reindex(wide["nip"].astype(str)).to_numpy() == a
    expected = wide[~wide_a | same_unit(wide)]
    key = ["nip", "mentor_nip"]
    got = scoped[key].astype(str).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        got, expected[key].astype(str).sort_values(key).reset_index(drop=True)
    )
    assert not wide_a.all() and (~same_unit(wide)[wide_a]).any()  # the scope did cut
    # asked for a's staff only, the pool is their units' staff: the same pairs and forecasts
    only_a = model.set_params(policies=above).candidates(ds, _juniors(ds, a).head(300))
    pd.testing.assert_frame_equal(
        only_a.sort_values(key).reset_index(drop=True),
        scoped[in_a].sort_values(key).reset_index(drop=True),
    )

    groups = matching_groups(ds, above, mentees)
    first_a = mentees.iloc[0]
    assert groups[0] == f"{a}|{unit[first_a]}" and set(groups[300:]) == {b}


# ------------------------------------------------------------------------- capacity


def test_remaining_capacity_counts_ongoing_mentorships(ds: Dataset) -> None:
    a, b = _two_agencies(ds)
    emp = ds.employees[ds.employees["active"]]
    x = str(emp.loc[emp["agency"].astype(str) == a, "nip"].iloc[0])
    y = str(emp.loc[emp["agency"].astype(str) == b, "nip"].iloc[0])
    z = str(emp.loc[emp["agency"].astype(str) == b, "nip"].iloc[1])
    when = pd.Timestamp("2025-06-01")
    day = pd.Timedelta(days=1)
    rows = [  # (mentor, start, end)
        (x, when - 90 * day, pd.NaT),  # ongoing, no end date
        (x, when - 90 * day, when + 30 * day),  # ongoing, ends later
        (x, when - 300 * day, when - 10 * day),  # over
        (x, when + 10 * day, pd.NaT),  # not started yet
        (x, when, when),  # started that day, ends that day: over
        (y, when - 10 * day, pd.NaT),
        (y, when - 20 * day, pd.NaT),
        (y, when - 30 * day, pd.NaT),
    ]
    template = ds.mentorships.iloc[[0] * len(rows)].reset_index(drop=True)
    mentorships = template.assign(
        mentorship_id=[f"M{i}" for i in range(len(rows))],
        mentor_nip=pd.Series([r[0] for r in rows], dtype=template["mentor_nip"].dtype),
        start_date=pd.Series([r[1] for r in rows], dtype=template["start_date"].dtype),
        end_date=pd.Series([r[2] for r in rows], dtype=template["end_date"].dtype),
    )
    world = dataclasses.replace(ds, tables={**ds.tables, "mentorships": mentorships})
    policies = MentorPolicies(agencies={b: MentorPolicy(capacity=2)})
    ongoing = ongoing_mentorships(world, [x, y, z], when)
    assert ongoing.to_dict() == {x: 2, y: 3, z: 0}
    assert mentor_capacity(world, [x, y, z], policies).to_dict() == {x: 3, y: 2, z: 2}
    left = remaining_capacity(world, [z, x, y, x], when, policies)
    assert left.index.name == "mentor_nip"
    assert left.to_dict() == {z: 2, x: 1, y: 0}  # over capacity is no room, not negative
    assert list(left.index) == [z, x, y]
    with pytest.raises(UnknownEmployeeError, match="199901012020011999"):
        remaining_capacity(world, [x, "199901012020011999"], when, policies)


def test_a_saved_mentor_model_follows_the_settings_policies_where_it_is_loaded(
    ds: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eligibility is set where a model is loaded, from the settings, never stored with it:
    a model saved with a policy (supervisor excluded, one step) follows the policy file of
    the place that loads it."""
    import mlflow
    from recsys.settings import get_settings
    from recsys.tracking.pyfunc import MentorRecommenderModel, load_recommender

    saved_with = MentorPolicies(default=MentorPolicy(allow_supervisor=False))
    model = MentorRecommender(n_bootstrap=2, policies=saved_with).fit(ds)
    mlflow.pyfunc.save_model(tmp_path / "mentors", python_model=MentorRecommenderModel(model))
    policy = _write(tmp_path, "policy.yaml", "default:\n  senior_steps: 3\n")
    monkeypatch.setenv("RECSYS_MENTOR_POLICY", str(policy))
    get_settings.cache_clear()
    try:
        loaded = load_recommender(str(tmp_path / "mentors"))
    finally:
        get_settings.cache_clear()
    assert loaded.allow_supervisor is None
    assert loaded.eligibility_policies().default == MentorPolicy(senior_steps=3)
    found = loaded.candidates(ds, _juniors(ds).head(100))
    assert _is_supervisor(ds, found).any()  # the file's default allows the supervisor
    emp = ds.employees.set_index(ds.employees["nip"].astype(str))
    rank = pd.Series(seniority(emp), index=emp.index)
    gap = (
        rank.reindex(found["mentor_nip"].astype(str)).to_numpy()
        - rank.reindex(found["nip"].astype(str)).to_numpy()
    )
    assert len(found) and gap.min() >= 3


def test_a_part_of_the_data_knows_every_agency_and_its_size(ds: Dataset) -> None:
    """A scoring partition holds one agency's (or one unit's) staff: policies naming other
    agencies still apply, and an agency's size is the whole agency's."""
    a, b = _two_agencies(ds)
    context = whole_context(ds)
    staff_a = int((ds.employees["active"] & ds.employees["agency"].astype(str).eq(a)).sum())
    policies = MentorPolicies(
        agencies={a: MentorPolicy(unit_search_above=staff_a - 1), b: MentorPolicy(capacity=2)}
    )
    part = agency_part(ds, a, context)
    roster = Roster.build(part, None, latest_date(ds), policies=policies)
    assert set(roster.nip.astype(str)) <= set(part.employees["nip"].astype(str))
    units = part.employees["unit"].astype(str)
    one_unit = people_part(ds, part.employees.loc[units == units.iloc[0], "nip"], context)
    assert unit_scoped(one_unit, policies, [a, b]).tolist() == [True, False]
    bare = dataclasses.replace(one_unit, context={})  # without the context: counted in it
    assert unit_scoped(bare, policies, [a]).tolist() == [False]
    unknown = MentorPolicies(agencies={"Atlantis": MentorPolicy()})
    with pytest.raises(PolicyError, match="Atlantis"):
        Roster.build(part, None, latest_date(ds), policies=unknown)
