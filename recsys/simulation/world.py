"""Make a demo world: every table of the data contract, plus its ground truth.

The world is made a chunk of employees at a time and streamed to disk, so its size is
bounded by disk, not memory (4.3 million employees is the national ASN count). It is written
to a temporary folder beside the target and moved into place only when complete.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from recsys.data.contract import TABLES, TABLES_BY_NAME
from recsys.simulation import catalog as cat_mod
from recsys.simulation.history import (
    FIRST_PERFORMANCE_YEAR,
    Catalog,
    History,
    n_half_years,
    simulate_history,
    supervisor_picks,
)
from recsys.simulation.mechanism import (
    MECHANISM,
    Mechanism,
    mechanism_names,
    modality_fit_table,
    resolve_mechanism,
)
from recsys.simulation.people import NipAllocator, Population, make_population
from recsys.simulation.truth import (
    competency_weights,
    latent_frames,
    mentor_truth,
    training_truth,
)

log = logging.getLogger(__name__)

HISTORY_END = pd.Timestamp("2025-12-31")
DEFAULT_CHUNK_SIZE = 100_000
MIN_EMPLOYEES = 100
MAX_EMPLOYEES = 5_000_000
FORMATS = ("csv", "parquet")
TRUTH_DIR = "_truth"

ProgressFn = Callable[[str, int, int], None]


class SimulationError(ValueError):
    """A request the simulator cannot carry out (bad size, format or target).

    ``code`` names what is wrong (``employees``, ``format``, ``seed``, ``not_folder``,
    ``not_empty``; None for other errors) and ``values`` the figures the message quotes, so
    that a face can say it in its user's language."""

    def __init__(self, message: str, *, code: str | None = None, **values: object) -> None:
        super().__init__(message)
        self.code = code
        self.values = values


@dataclass
class WorldSummary:
    """What was written: rows per table, where, and how long it took."""

    out: Path
    rows: dict[str, int] = field(default_factory=dict)
    truth_rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    #: Name of the mechanism the world was made by ("demo", "random-<seed>", ...).
    mechanism: str = "demo"


class _TableWriter:
    """Appends frames to one table file (CSV with a single header, or Parquet)."""

    def __init__(self, path: Path, fmt: str) -> None:
        self.path = path
        self.fmt = fmt
        self.schema: pa.Schema | None = None
        self._writer: pacsv.CSVWriter | pq.ParquetWriter | None = None
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = table.cast(_date_schema(table.schema))
        if self.schema is None:
            self.schema = table.schema
            if self.fmt == "csv":
                self._writer = pacsv.CSVWriter(self.path, self.schema)
            else:
                self._writer = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        else:
            table = table.cast(self.schema)
        assert self._writer is not None
        self._writer.write_table(table)
        self.rows += len(frame)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def _date_schema(schema: pa.Schema) -> pa.Schema:
    """Timestamps become plain dates (the contract's YYYY-MM-DD); nulls become strings."""
    fields = []
    for f in schema:
        if pa.types.is_timestamp(f.type):
            fields.append(pa.field(f.name, pa.date32()))
        elif pa.types.is_null(f.type):
            fields.append(pa.field(f.name, pa.string()))
        else:
            fields.append(f)
    return pa.schema(fields)


def simulate(
    out: str | Path,
    *,
    employees: int = 20_000,
    seed: int = 42,
    fmt: str = "csv",
    overwrite: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_progress: ProgressFn | None = None,
    mech: Mechanism | None = None,
    mechanism: str | Mechanism | None = None,
) -> WorldSummary:
    """Write a demo world of ``employees`` people to the folder ``out``.

    Deterministic for a given (employees, seed, chunk_size, mechanism). Tables go to
    ``out/<table>.<fmt>``; the ground truth, always Parquet, to ``out/_truth/``.

    ``mechanism`` is how the world works: a :class:`Mechanism`, a name of
    :data:`recsys.simulation.mechanism.MECHANISMS` or ``"random"`` (drawn from ``seed``);
    ``mech`` is the older keyword for a :class:`Mechanism`. Neither: the demo world.
    """
    mech = _chosen_mechanism(mech, mechanism, seed)
    out = check_request(out, employees=employees, seed=seed, fmt=fmt, overwrite=overwrite)
    started = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / TRUTH_DIR).mkdir(parents=True)
    try:
        summary = _write_world(staging, employees, seed, fmt, chunk_size, on_progress, mech)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    summary.out = out
    summary.seconds = time.perf_counter() - started
    summary.mechanism = mech.name
    log.info("demo world of %d employees written to %s in %.1fs", employees, out, summary.seconds)
    return summary


def check_request(out: Path | str, *, employees: int, seed: int, fmt: str, overwrite: bool) -> Path:
    """``out`` as a path if a world of ``employees`` with ``seed`` in ``fmt`` can be written
    there, else a :class:`SimulationError` naming what is wrong (nothing is written)."""
    if not MIN_EMPLOYEES <= employees <= MAX_EMPLOYEES:
        raise SimulationError(
            f"--employees must be between {MIN_EMPLOYEES:,} and {MAX_EMPLOYEES:,}, "
            f"got {employees:,}",
            code="employees",
            low=MIN_EMPLOYEES,
            high=MAX_EMPLOYEES,
            got=employees,
        )
    if fmt not in FORMATS:
        raise SimulationError(
            f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}",
            code="format",
            valid=", ".join(FORMATS),
            got=fmt,
        )
    if seed < 0:
        raise SimulationError(f"--seed must be 0 or more, got {seed}", code="seed", got=seed)
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise SimulationError(f"{path} exists and is not a folder", code="not_folder", out=path)
    if path.exists() and any(path.iterdir()) and not overwrite:
        raise SimulationError(
            f"{path} is not empty; choose another folder or allow overwriting (--force)",
            code="not_empty",
            out=path,
        )
    return path


def _chosen_mechanism(
    mech: Mechanism | None, mechanism: str | Mechanism | None, seed: int
) -> Mechanism:
    if mech is not None and mechanism is not None:
        raise SimulationError("give the mechanism once: mechanism= (or the older mech=)")
    chosen = mechanism if mechanism is not None else mech
    if chosen is None:
        return MECHANISM
    try:
        return resolve_mechanism(chosen, seed)
    except KeyError:
        raise SimulationError(
            f"--mechanism must be one of {', '.join(mechanism_names())}, got {chosen!r}"
        ) from None


def _write_world(
    root: Path,
    n_employees: int,
    seed: int,
    fmt: str,
    chunk_size: int,
    on_progress: ProgressFn | None,
    mech: Mechanism,
) -> WorldSummary:
    rng_static = np.random.default_rng([seed, 0])
    units = cat_mod.build_units()
    positions = cat_mod.build_positions()
    competencies = cat_mod.competency_table()
    slot_codes, required, weights = cat_mod.position_slots(positions)
    trainings, links = cat_mod.build_trainings(rng_static, n_employees, mech)
    catalog = Catalog.build(
        trainings,
        links,
        positions,
        slot_codes,
        required,
        weights,
        competencies["code"].tolist(),
        modality_fit_table(mech.fit_attribute),
    )
    if mech.selection == "supervisor":
        # one set of picks per unit and year, whatever chunk its staff fall in
        catalog.unit_picks = supervisor_picks(
            np.random.default_rng([seed, 3]), catalog, len(units), HISTORY_END
        )
    summary = WorldSummary(out=root)
    writers = {t.name: _TableWriter(root / f"{t.name}.{fmt}", fmt) for t in TABLES}
    truth_writers = {
        name: _TableWriter(root / TRUTH_DIR / f"{name}.parquet", "parquet")
        for name in (
            "training_gain",
            "mentor_gain",
            "employees",
            "competency_levels",
            "enrollment_gain",
        )
    }
    n_chunks = -(-n_employees // chunk_size)
    steps_per_chunk = n_half_years(HISTORY_END) + 1
    total_steps = n_chunks * steps_per_chunk + 1
    done = 0

    def tick(stage: str) -> None:
        nonlocal done
        done += 1
        if on_progress:
            on_progress(stage, done, total_steps)

    nips = NipAllocator()
    n_years = HISTORY_END.year - FIRST_PERFORMANCE_YEAR + 1
    unit_sum = np.zeros((len(units), n_years))
    unit_staff = np.zeros((len(units), n_years))
    unit_trained = np.zeros((len(units), n_years))
    try:
        for k in range(n_chunks):
            n = min(chunk_size, n_employees - k * chunk_size)
            rng = np.random.default_rng([seed, 1, k])
            pop = make_population(rng, n, units, positions, HISTORY_END, nips, mech)
            hist = simulate_history(
                rng,
                pop,
                catalog,
                len(units),
                HISTORY_END,
                id_prefix=f"{k:03d}",
                mech=mech,
                tick=lambda: tick("history"),
            )
            _write_chunk(writers, truth_writers, rng, pop, hist, catalog, mech)
            tick("ground truth")
            unit_sum += hist.unit_term_sum
            unit_staff += hist.unit_staff
            unit_trained += hist.unit_trained
        rng_units = np.random.default_rng([seed, 2])
        service = _service_metrics(rng_units, units, unit_sum, unit_staff, unit_trained, mech)
        static = {
            "competencies": competencies,
            "competency_standards": cat_mod.standards_table(positions),
            "trainings": trainings[TABLES_BY_NAME["trainings"].column_names],
            "training_competencies": links,
            "service_metrics": service[TABLES_BY_NAME["service_metrics"].column_names],
        }
        for name, frame in static.items():
            writers[name].write(frame)
        truth_trainings = trainings[["training_id", "quality", "popularity", "is_new", "active"]]
        pq.write_table(
            pa.Table.from_pandas(truth_trainings, preserve_index=False),
            root / TRUTH_DIR / "trainings.parquet",
        )
        pq.write_table(
            pa.Table.from_pandas(service, preserve_index=False),
            root / TRUTH_DIR / "service.parquet",
        )
        pq.write_table(
            pa.Table.from_pandas(
                competency_weights(positions, slot_codes, weights), preserve_index=False
            ),
            root / TRUTH_DIR / "competency_weights.parquet",
        )
        params = {
            "seed": seed,
            "employees": n_employees,
            "chunk_size": chunk_size,
            "history_end": HISTORY_END.date().isoformat(),
            "outcome": "SKP score points at the first appraisal at least 6 months after the "
            "activity ends, relative to not taking it",
            "mechanism": mech.to_dict(),
        }
        (root / TRUTH_DIR / "params.json").write_text(json.dumps(params, indent=2))
        (root / TRUTH_DIR / "README.txt").write_text(_TRUTH_README)
        tick("catalog")
    finally:
        for w in (*writers.values(), *truth_writers.values()):
            w.close()
    summary.rows = {name: w.rows for name, w in writers.items()}
    summary.truth_rows = {name: w.rows for name, w in truth_writers.items()}
    return summary


def _write_chunk(
    writers: dict[str, _TableWriter],
    truth_writers: dict[str, _TableWriter],
    rng: np.random.Generator,
    pop: Population,
    hist: History,
    catalog: Catalog,
    mech: Mechanism,
) -> None:
    nip = pop.employees["nip"].to_numpy()
    writers["employees"].write(pop.employees)
    for name, frame in (("assessments", hist.assessments), ("performance", hist.performance)):
        # history keeps row positions ("emp"); the contract speaks NIP
        rows = frame.drop(columns="emp")
        rows.insert(0, "nip", nip[frame["emp"].to_numpy()])
        writers[name].write(rows)
    writers["enrollments"].write(hist.enrollments)
    writers["mentorships"].write(hist.mentorships)
    truth_writers["training_gain"].write(training_truth(pop, hist, catalog, mech))
    truth_writers["enrollment_gain"].write(hist.enrollment_gain)
    truth_writers["mentor_gain"].write(mentor_truth(rng, pop, hist, catalog, mech))
    people, levels = latent_frames(pop, hist, catalog)
    truth_writers["employees"].write(people)
    truth_writers["competency_levels"].write(levels)


#: Typical days to complete a service, by domain.
_SERVICE_DAYS = {
    "DUKCAPIL": 3.0,
    "DPMPTSP": 7.0,
    "DPUPR": 14.0,
    "PUSKESMAS": 1.0,
    "KECAMATAN": 2.0,
    "BAPENDA": 2.0,
    "DINSOS": 10.0,
}


def service_response(
    d_term: np.ndarray | float,
    d_trained_share: np.ndarray | float,
    mech: Mechanism = MECHANISM,
) -> tuple[np.ndarray, np.ndarray]:
    """True change in a unit's service when its staff's mean competency term (weighted level
    against the standard, a surplus capped; levels) changes by ``d_term`` and the share of its
    staff who completed a training in the year by ``d_trained_share``: (satisfaction index
    points, log average service days), before noise and the 0–100 clip.

    The one formula the service metrics are made by; a plan's true effect on a unit is this
    of its staff's mean ``expected_gain / points_per_level`` (``training_gain``) and the
    mean chance that each of them completes a planned training.
    """
    d_term = np.asarray(d_term, dtype=float)
    d_trained_share = np.asarray(d_trained_share, dtype=float)
    satisfaction = (
        mech.satisfaction_per_level * d_term + mech.satisfaction_per_trained_share * d_trained_share
    )
    log_days = (
        mech.service_days_per_level * d_term + mech.service_days_per_trained_share * d_trained_share
    )
    return satisfaction, log_days


def _service_metrics(
    rng: np.random.Generator,
    units: pd.DataFrame,
    term_sum: np.ndarray,
    staff: np.ndarray,
    trained: np.ndarray,
    mech: Mechanism,
) -> pd.DataFrame:
    """IKM/SKM and service days per unit and year, driven by staff competence and training.

    Returned with the true drivers (mean_competency_term, trained_share) beside the
    contract columns.
    """
    n_units, n_years = staff.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_term = term_sum / staff
        trained_share = trained / staff
    base_sat = rng.uniform(72.0, 84.0, (n_units, 1))
    typical_days = units["domain"].map(_SERVICE_DAYS).fillna(5.0).to_numpy(dtype=float)
    base_days = typical_days.reshape(-1, 1) * rng.uniform(0.7, 1.3, (n_units, 1))
    # centred on a typical staff shortfall, so base_sat is a typical unit's satisfaction
    centred = mean_term + 0.35
    response, log_response = service_response(centred, trained_share, mech)
    satisfaction = np.clip(
        base_sat + response + rng.normal(0.0, 1.2, (n_units, n_years)),
        0.0,
        100.0,
    ).round(2)
    days = (base_days * np.exp(log_response + rng.normal(0.0, 0.06, (n_units, n_years)))).round(2)
    years = np.arange(FIRST_PERFORMANCE_YEAR, FIRST_PERFORMANCE_YEAR + n_years)
    frame = pd.DataFrame(
        {
            "unit": np.repeat(units["unit"].to_numpy(), n_years),
            "period_end": pd.to_datetime([f"{y}-12-31" for y in years] * n_units),
            "satisfaction_index": satisfaction.reshape(-1),
            "avg_service_days": days.reshape(-1),
            "staff": staff.reshape(-1).astype(np.int64),
            "mean_competency_term": mean_term.reshape(-1),
            "trained_share": trained_share.reshape(-1),
        }
    )
    return frame[frame["staff"] > 0].reset_index(drop=True)


_TRUTH_README = """Ground truth of this demo world (as of the end of its history).
Only evaluation reads these files; no model or feature may use them.

training_gain.parquet      nip, training_id, true_gain (SKP points if completed),
                           p_complete, expected_gain — every active employee x active training
mentor_gain.parquet        mentee_nip, mentor_nip, true_gain, rank, n_candidates — a sample of
                           mentees x their best candidate mentors (same agency, more senior);
                           any other pair: recsys.simulation.oracle.MentorOracle
employees.parquet          latent traits: ability, learn_rate, mentor_skill, person_effect
competency_levels.parquet  true competency level per employee and standard competency
enrollment_gain.parquet    enrollment_id, true_gain — SKP points each completed enrollment of
                           the history added when it took effect (NaN: dropped or running);
                           a training's true average effect on its participants is their mean
competency_weights.parquet position, competency, weight — each standard competency's weight
                           in performance (a position's weights sum to 1)
trainings.parquet          latent training quality and popularity
service.parquet            unit service metrics with their true drivers: staff (at mid-year),
                           mean_competency_term (their mean weighted level − standard, a
                           surplus capped at surplus_cap; levels) and trained_share (staff who
                           completed a training ending that year / staff). Satisfaction and log
                           service days move with them by world.service_response (the
                           mechanism's satisfaction_per_* and service_days_per_* in params.json);
                           a plan's true effect on a unit: service_response of its staff's mean
                           expected_gain / points_per_level and mean chance to complete
params.json                seed, size and the mechanism's parameters
"""
