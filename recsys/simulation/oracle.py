"""The true mentoring gain of any (mentee, mentor) pair of a demo world.

``_truth/mentor_gain.parquet`` holds only a sample of mentees and their best candidates; the
evaluation of a mentor recommender (or of a cohort assignment, where a mentor takes several
mentees at once) needs the gain of whatever pairs it proposes. :class:`MentorOracle` rebuilds
the world's state at the end of its history from the world's files alone and applies the same
per-pair computation as the ground truth (:func:`recsys.simulation.truth.mentoring_gain`).

Only evaluation may use it: it reads the hidden truth.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from recsys.data.contract import TABLES_BY_NAME
from recsys.data.sources import read_raw_tables
from recsys.data.validation import KnownValues, validate_table
from recsys.simulation.mechanism import Mechanism
from recsys.simulation.truth import mentoring_gain
from recsys.simulation.world import TRUTH_DIR

log = logging.getLogger(__name__)

#: Pairs computed at once: bounds the working memory (about 150 MB) whatever the request.
BLOCK_PAIRS = 100_000
#: Contract tables the oracle reads, in the contract's order (standards refer to
#: competencies, so they are validated after them).
_CONTRACT_TABLES = ("competencies", "employees", "competency_standards")
_REGENERATE = "regenerate the demo world with `recsys simulate`"


class TruthMissingError(FileNotFoundError):
    """A ground-truth file the oracle needs is absent (world made by an older version)."""


@dataclass(frozen=True)
class MentorOracle:
    """A demo world's true mentoring effect, per employee row and position.

    Build it with :meth:`load`. Employees are rows of the arrays (``nips`` maps NIPs to
    rows); positions index ``required``, ``weights`` and ``mentor_slot``.
    """

    nips: pd.Index  # employee row -> NIP
    position: np.ndarray  # employee row -> position index
    unit: np.ndarray  # employee row -> unit code
    region: np.ndarray  # employee row -> region code
    remote: np.ndarray  # employee row -> works in a remote area
    learn_rate: np.ndarray  # employee row, float32 as stored
    mentor_skill: np.ndarray  # employee row, float32 as stored
    levels: np.ndarray  # employees × slots of their own standard, float32 as stored
    required: np.ndarray  # positions × slots
    weights: np.ndarray  # positions × slots
    mentor_slot: np.ndarray  # mentee position × mentor position × mentee slot -> mentor slot or -1
    mech: Mechanism

    @classmethod
    def load(cls, world_dir: Path) -> MentorOracle:
        """Read a demo world folder (CSV or Parquet tables, ``_truth/`` Parquet).

        Raises :class:`TruthMissingError` if a ground-truth file is missing, and
        ``ValueError`` if the files disagree with each other.
        """
        world_dir = Path(world_dir)
        truth = world_dir / TRUTH_DIR
        needed = ("competency_weights.parquet", "competency_levels.parquet", "employees.parquet")
        for name in (*needed, "params.json"):
            if not (truth / name).exists():
                raise TruthMissingError(
                    f"{truth / name} not found: this demo world was made by an older version "
                    f"or is not a demo world; {_REGENERATE}"
                )
        params = json.loads((truth / "params.json").read_text())
        mech = Mechanism.from_dict(params["mechanism"])
        employees, standards = _contract_tables(world_dir)

        weights = pd.read_parquet(truth / "competency_weights.parquet")
        slot = weights.groupby("position", sort=False).cumcount().to_numpy()
        n_slots = int(slot.max()) + 1
        positions = pd.Index(weights["position"].unique())
        pos_of_row = positions.get_indexer(pd.Index(weights["position"]))
        if (weights.groupby("position", sort=False).size() != n_slots).any():
            raise ValueError("every position's standard must have the same number of competencies")
        competencies = pd.Index(weights["competency"].unique())
        codes = np.empty((len(positions), n_slots), dtype=np.int64)
        codes[pos_of_row, slot] = competencies.get_indexer(pd.Index(weights["competency"]))
        weight = np.empty((len(positions), n_slots))
        weight[pos_of_row, slot] = weights["weight"].to_numpy(dtype=np.float64)
        required = _required_levels(standards, positions, competencies, codes)

        position = positions.get_indexer(pd.Index(employees["position"]))
        if (position < 0).any():
            lacking = sorted(set(employees["position"][position < 0]))
            raise ValueError(f"positions without weights in the ground truth: {lacking[:5]}")
        nips = pd.Index(employees["nip"].to_numpy(dtype=object))
        traits = pd.read_parquet(
            truth / "employees.parquet", columns=["nip", "learn_rate", "mentor_skill"]
        )
        rows = pd.Index(traits["nip"]).get_indexer(nips)
        if (rows < 0).any():
            raise ValueError(f"{int((rows < 0).sum())} employees have no latent traits in {truth}")
        levels = _levels(truth / "competency_levels.parquet", nips, position, codes, competencies)
        match = codes[:, None, :, None] == codes[None, :, None, :]  # mentee P × mentor P × S × S
        mentor_slot = np.where(match.any(-1), match.argmax(-1), -1).astype(np.int8)
        log.info(
            "mentor oracle: %d employees, %d positions from %s",
            len(nips),
            len(positions),
            world_dir,
        )
        return cls(
            nips=nips,
            position=position,
            unit=pd.factorize(employees["unit"])[0],
            region=pd.factorize(employees["region"])[0],
            remote=employees["remote_area"].to_numpy(dtype=bool),
            learn_rate=traits["learn_rate"].to_numpy()[rows],
            mentor_skill=traits["mentor_skill"].to_numpy()[rows],
            levels=levels,
            required=required,
            weights=weight,
            mentor_slot=mentor_slot,
            mech=mech,
        )

    def gain(
        self,
        mentee_nips: Sequence[str] | npt.ArrayLike,
        mentor_nips: Sequence[str] | npt.ArrayLike,
        load: npt.ArrayLike | None = None,
    ) -> np.ndarray:
        """True gain (SKP points at the next appraisal, ≥ 0) of each aligned pair.

        ``load`` is the number of mentees the mentor takes at once (≥ 1; a scalar or one per
        pair; None means 1). Raises ``KeyError`` naming NIPs that are not in the world.
        """
        mentee = self._rows(mentee_nips)
        mentor = self._rows(mentor_nips)
        if len(mentee) != len(mentor):
            raise ValueError(f"{len(mentee)} mentee NIPs but {len(mentor)} mentor NIPs")
        loads = np.broadcast_to(
            np.asarray(1.0 if load is None else load, dtype=np.float64), mentee.shape
        )
        if not (np.isfinite(loads) & (loads >= 1)).all():
            raise ValueError("load must be a number of mentees, at least 1")
        out = np.empty(len(mentee))
        for start in range(0, len(mentee), BLOCK_PAIRS):
            block = slice(start, start + BLOCK_PAIRS)
            out[block] = self._block(mentee[block], mentor[block], loads[block])
        return out

    def _rows(self, nips: Sequence[str] | npt.ArrayLike) -> np.ndarray:
        values = np.asarray(nips, dtype=object).reshape(-1)
        rows = self.nips.get_indexer(pd.Index(values))
        if (rows < 0).any():
            unknown = pd.unique(values[rows < 0])
            shown = ", ".join(map(str, unknown[:5])) + (", …" if len(unknown) > 5 else "")
            raise KeyError(f"{len(unknown)} NIPs are not employees of this world: {shown}")
        return rows

    def _block(self, mentee: np.ndarray, mentor: np.ndarray, load: np.ndarray) -> np.ndarray:
        pm, pr = self.position[mentee], self.position[mentor]
        slot = self.mentor_slot[pm, pr]
        mentor_lv = np.take_along_axis(self.levels[mentor], np.maximum(slot, 0), axis=1)
        return mentoring_gain(
            self.levels[mentee].astype(np.float64),
            np.where(slot >= 0, mentor_lv.astype(np.float64), np.nan),
            self.required[pm],
            self.weights[pm],
            mentor_skill=self.mentor_skill[mentor].astype(np.float64),
            learn_rate=self.learn_rate[mentee].astype(np.float64),
            same_unit=self.unit[mentee] == self.unit[mentor],
            same_region=self.region[mentee] == self.region[mentor],
            mentee_remote=self.remote[mentee],
            load=load,
            mech=self.mech,
        )


def _contract_tables(world_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The world's employees and competency standards, checked against the contract."""
    raw = read_raw_tables(world_dir, _CONTRACT_TABLES)
    known: dict[tuple[str, str], KnownValues] = {}
    frames = {}
    for name in _CONTRACT_TABLES:
        if name not in raw:
            raise FileNotFoundError(f"{world_dir} has no {name} table; {_REGENERATE}")
        result = validate_table(TABLES_BY_NAME[name], raw[name], known)
        known.update(result.known)
        frames[name] = result.frame
    return frames["employees"], frames["competency_standards"]


def _required_levels(
    standards: pd.DataFrame, positions: pd.Index, competencies: pd.Index, codes: np.ndarray
) -> np.ndarray:
    """Required level per position and slot, from the contract's competency_standards."""
    lookup = np.full((len(positions), len(competencies)), np.nan)
    p = positions.get_indexer(pd.Index(standards["position"]))
    c = competencies.get_indexer(pd.Index(standards["competency"]))
    ok = (p >= 0) & (c >= 0)
    lookup[p[ok], c[ok]] = standards["required_level"].to_numpy(dtype=np.float64)[ok]
    required = np.take_along_axis(lookup, codes, axis=1)
    if np.isnan(required).any():
        raise ValueError("competency_standards lacks competencies of the ground truth's weights")
    return required


def _levels(
    path: Path, nips: pd.Index, position: np.ndarray, codes: np.ndarray, competencies: pd.Index
) -> np.ndarray:
    """True level per employee and slot of their position's standard (float32, as stored)."""
    table = pq.read_table(path, columns=["nip", "competency", "true_level"])
    # arrow hashing keeps tens of millions of rows out of Python strings
    emp = _index_in(table["nip"], nips)
    comp = _index_in(table["competency"], competencies)
    known = (emp >= 0) & (comp >= 0)
    emp, comp = emp[known], comp[known]
    value = table["true_level"].to_numpy()[known]
    slot_of = np.full((len(codes), len(competencies)), -1, dtype=np.int64)
    slot_of[np.arange(len(codes))[:, None], codes] = np.arange(codes.shape[1])
    slot = slot_of[position[emp], comp]
    on_standard = slot >= 0
    levels = np.full((len(nips), codes.shape[1]), np.nan, dtype=np.float32)
    levels[emp[on_standard], slot[on_standard]] = value[on_standard]
    if np.isnan(levels).any():
        missing = int(np.isnan(levels).any(axis=1).sum())
        raise ValueError(f"{missing} employees lack true levels on their standard in {path}")
    return levels


def _index_in(column: pa.ChunkedArray, values: pd.Index) -> np.ndarray:
    """Position of each cell of ``column`` in ``values`` (-1: not there)."""
    # arrow hashing keeps tens of millions of rows out of Python strings
    found = pc.index_in(column, value_set=pa.array(values.to_numpy(), type=column.type))
    return np.asarray(pc.fill_null(found, -1).to_numpy(), dtype=np.int64)
