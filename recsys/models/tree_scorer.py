"""A LightGBM regression model's predictions, bit for bit, three times faster.

A batch of recommendations predicts millions of (person, training) pairs with the uplift
model (:class:`~recsys.models.uplift_ranker.PairUpliftModel`: 200 trees of 15 leaves).
LightGBM walks each tree node by node, and its branches are unpredictable: about 5 µs a
pair, the largest single cost of scoring an agency. Here (numba) the trees are read the
QuickScorer way (Lucchese et al., SIGIR 2015): each tree's leaves are numbered left to
right and kept as one bit each; for each feature, the numerical splits of every tree are
sorted by threshold, and a pair's value walks that list only while it is above the
threshold, clearing, in each such split's tree, the leaves of the split's left side. The
first leaf still set is the tree's exit leaf. Categorical splits, and values LightGBM
treats apart (missing, zero), are looked up in tables made once per model.

The answer is LightGBM's, bit for bit: every split decides as LightGBM's
``Tree::NumericalDecision`` and ``CategoricalDecision`` (missing types, default sides,
values within 1e-35 of zero read as zero, category bitsets), and the trees' outputs are
added in the model's order, in double precision.

Only what that covers is compiled: a single-output regression (``objective=regression``)
of plain trees with at most 64 leaves. :func:`compile_model` returns None for anything
else (linear trees, classification, random-forest averaging), and the caller keeps
LightGBM's own ``predict``. So does :func:`predict` for fewer than :data:`COMPILED_FROM`
rows (a what-if forecast of a few pairs): numba, imported only when the scorer is first
compiled, would add about 100 MB to an API worker for nothing.
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

#: LightGBM's ``kZeroThreshold`` (a float): values this close to zero are zero.
ZERO = float(np.float32(1e-35))
#: Most leaves a compiled tree may have (one bit each in a 64-bit word).
MAX_LEAVES = 64
#: Rows from which :func:`predict` uses the compiled scorer (below, LightGBM's own answer,
#: the same bits, costs less than importing numba).
COMPILED_FROM = 1_000

_DEBRUIJN_64 = 0x03F79D71B4CB0A89
_DEBRUIJN_TABLE = np.zeros(64, dtype=np.int64)
for _i in range(64):
    _DEBRUIJN_TABLE[((1 << _i) * _DEBRUIJN_64 % 2**64) >> 58] = _i


@dataclass(frozen=True)
class CompiledModel:
    """A model's trees as the compiled scorer reads them (plain arrays; see the module
    docstring). Leaf bits and masks are uint64; per feature, numerical splits sorted by
    threshold; per categorical feature, one row of masks per category (and one for any
    value outside the bitsets) over the trees that split on it."""

    n_features: int
    full: np.ndarray  # per tree: every leaf's bit
    values: np.ndarray  # trees × MAX_LEAVES: leaf outputs, leaves left to right
    split_start: np.ndarray  # per feature (+1): where its numerical splits start
    split_threshold: np.ndarray
    split_tree: np.ndarray
    split_mask: np.ndarray
    zero_start: np.ndarray  # per feature (+1): splits a zero value goes right at
    zero_tree: np.ndarray
    zero_mask: np.ndarray
    nan_start: np.ndarray  # per feature (+1): splits a missing value goes right at
    nan_tree: np.ndarray
    nan_mask: np.ndarray
    categorical: np.ndarray  # the categorical features
    n_categories: np.ndarray  # per categorical feature: categories in its bitsets
    table_start: np.ndarray  # per categorical feature (+1): its trees' columns
    table_tree: np.ndarray
    table: np.ndarray  # categories (+ "other") × columns: masks

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The model's prediction for each row of ``x`` (rows × the model's features)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(
                f"expected a matrix of {self.n_features} feature columns, got shape {x.shape}"
            )
        out = np.empty(len(x), dtype=np.float64)
        _kernel()(
            x,
            self.full,
            self.values,
            self.split_start,
            self.split_threshold,
            self.split_tree,
            self.split_mask,
            self.zero_start,
            self.zero_tree,
            self.zero_mask,
            self.nan_start,
            self.nan_tree,
            self.nan_mask,
            self.categorical,
            self.n_categories,
            self.table_start,
            self.table_tree,
            self.table,
            _DEBRUIJN_TABLE,
            out,
        )
        return out


_COMPILED: weakref.WeakKeyDictionary[Any, CompiledModel | None] = weakref.WeakKeyDictionary()


def compiled(booster: Any) -> CompiledModel | None:
    """:func:`compile_model` of a ``lightgbm.Booster``, made once per booster."""
    if booster not in _COMPILED:
        _COMPILED[booster] = compile_model(booster.model_to_string())
    return _COMPILED[booster]


def predict(booster: Any, x: np.ndarray, num_threads: int = 1) -> np.ndarray:
    """``booster.predict(x)`` (rows of a float matrix): compiled where the model allows and
    ``x`` has at least :data:`COMPILED_FROM` rows, else LightGBM's own on ``num_threads``."""
    model = compiled(booster) if len(x) >= COMPILED_FROM else None
    if model is None:
        return np.asarray(booster.predict(x, num_threads=num_threads), dtype=float)
    return model.predict(x)


def compile_model(text: str) -> CompiledModel | None:
    """The compiled form of a LightGBM model (its text, ``Booster.model_to_string()``), or
    None if it is not one this scorer reproduces exactly (see the module docstring)."""
    header, _, rest = text.partition("\nTree=")
    head = _fields(header)
    if (
        head.get("num_class") != "1"
        or head.get("num_tree_per_iteration") != "1"
        or head.get("objective", "").split() != ["regression"]
        or "average_output" in header.split("\n")
        or not rest
    ):
        return None
    trees = []
    for block in ("Tree=" + rest).split("\nend of trees")[0].split("\nTree="):
        tree = _fields(block)
        if tree.get("is_linear", "0") != "0" or int(tree["num_leaves"]) > MAX_LEAVES:
            return None
        trees.append(tree)
    return _Builder(int(head["max_feature_idx"]) + 1, len(trees)).build(trees)


def _fields(block: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in block.split("\n") if "=" in line)


def _numbers(tree: dict[str, str], key: str, kind: type) -> list[Any]:
    return [kind(v) for v in tree.get(key, "").split()]


class _Builder:
    """Collects every tree's splits, then packs them into a :class:`CompiledModel`."""

    def __init__(self, n_features: int, n_trees: int) -> None:
        self.n_features = n_features
        self.full = np.zeros(n_trees, dtype=np.uint64)
        self.values = np.zeros((n_trees, MAX_LEAVES), dtype=np.float64)
        empty: list[list[tuple[Any, ...]]] = [[] for _ in range(n_features)]
        self.splits = [list(e) for e in empty]  # (threshold, tree, mask)
        self.zero = [list(e) for e in empty]  # (tree, mask)
        self.nan = [list(e) for e in empty]
        self.categorical: dict[int, list[tuple[int, int, list[int]]]] = {}  # (tree, mask, bits)

    def build(self, trees: list[dict[str, str]]) -> CompiledModel:
        for t, tree in enumerate(trees):
            self._tree(t, tree)
        split_start, (threshold, split_tree, split_mask) = _packed(
            [sorted(s, key=lambda item: item[0]) for s in self.splits], (np.float64,)
        )
        zero_start, (zero_tree, zero_mask) = _packed(self.zero, ())
        nan_start, (nan_tree, nan_mask) = _packed(self.nan, ())
        features = sorted(self.categorical)
        counts = [max(32 * len(bits) for _, _, bits in self.categorical[f]) for f in features]
        trees_of = [sorted({t for t, _, _ in self.categorical[f]}) for f in features]
        table_start = np.cumsum([0, *map(len, trees_of)]).astype(np.int64)
        rows = max(counts, default=0) + 1
        table = np.zeros((rows, max(int(table_start[-1]), 1)), dtype=np.uint64)
        for i, f in enumerate(features):
            for k, t in enumerate(trees_of[i]):
                column = np.full(rows, self.full[t], dtype=np.uint64)
                for owner, mask, bits in self.categorical[f]:
                    if owner == t:
                        column &= _right_masks(mask, bits, counts[i], rows)
                table[:, table_start[i] + k] = column
        return CompiledModel(
            n_features=self.n_features,
            full=self.full,
            values=self.values,
            split_start=split_start,
            split_threshold=threshold,
            split_tree=split_tree,
            split_mask=split_mask,
            zero_start=zero_start,
            zero_tree=zero_tree,
            zero_mask=zero_mask,
            nan_start=nan_start,
            nan_tree=nan_tree,
            nan_mask=nan_mask,
            categorical=np.array(features, dtype=np.int64),
            n_categories=np.array(counts, dtype=np.int64),
            table_start=table_start,
            table_tree=np.array([t for ts in trees_of for t in ts], dtype=np.int64),
            table=table,
        )

    def _tree(self, t: int, tree: dict[str, str]) -> None:
        n_leaves = int(tree["num_leaves"])
        leaf_value = _numbers(tree, "leaf_value", float)
        self.full[t] = np.uint64((1 << n_leaves) - 1)
        if n_leaves == 1:
            self.values[t, 0] = leaf_value[0]
            return
        feature = _numbers(tree, "split_feature", int)
        threshold = _numbers(tree, "threshold", float)
        decision = _numbers(tree, "decision_type", int)
        left = _numbers(tree, "left_child", int)
        right = _numbers(tree, "right_child", int)
        bounds = _numbers(tree, "cat_boundaries", int)
        words = _numbers(tree, "cat_threshold", int)
        order: list[int] = []  # leaves, left to right
        full = (1 << n_leaves) - 1
        stack: list[tuple[int, bool]] = [(0, False)]
        bits_of: dict[int, int] = {}
        while stack:  # post-order: a node's leaves are known once both sides are done
            node, done = stack.pop()
            if node < 0:
                bits_of[node] = 1 << len(order)
                order.append(~node)
                continue
            if not done:
                stack += [(node, True), (right[node], False), (left[node], False)]
                continue
            bits_of[node] = bits_of[left[node]] | bits_of[right[node]]
            mask = full & ~bits_of[left[node]]  # going right leaves the left side out
            kind = decision[node]
            f = feature[node]
            if kind & 1:  # categorical
                cat = int(threshold[node])
                self.categorical.setdefault(f, []).append(
                    (t, mask, words[bounds[cat] : bounds[cat + 1]])
                )
                continue
            missing, default_left = (kind >> 2) & 3, bool(kind & 2)
            self.splits[f].append((threshold[node], t, mask))
            # a zero (Zero missing type: the default side) and a missing value (NaN type:
            # the default side; the others read it as zero) each go one fixed way
            zero_left = default_left if missing == 1 else threshold[node] >= 0.0
            nan_left = default_left if missing in (1, 2) else threshold[node] >= 0.0
            if not zero_left:
                self.zero[f].append((t, mask))
            if not nan_left:
                self.nan[f].append((t, mask))
        for k, leaf in enumerate(order):
            self.values[t, k] = leaf_value[leaf]


def _right_masks(mask: int, bits: list[int], n_categories: int, rows: int) -> np.ndarray:
    """Per category (and, last, any value outside the bitsets: missing, negative, or
    beyond them): ``mask`` where the category goes right, else every bit."""
    category = np.arange(rows)
    word = np.array([*bits, 0], dtype=np.int64)[np.minimum(category // 32, len(bits))]
    inside = (category < min(n_categories, 32 * len(bits))) & (((word >> (category % 32)) & 1) == 1)
    return np.where(inside, np.uint64(0xFFFFFFFFFFFFFFFF), np.uint64(mask)).astype(np.uint64)


def _packed(
    per_feature: list[list[tuple[Any, ...]]], leading: tuple[type, ...]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each feature's items concatenated: the start of each feature's (and the end), then
    one array per item field (the ``leading`` fields' types, then tree int64, mask uint64)."""
    start = np.cumsum([0, *map(len, per_feature)]).astype(np.int64)
    kinds: tuple[type, ...] = (*leading, np.int64, np.uint64)
    items = [item for items in per_feature for item in items]
    columns: list[np.ndarray] = [
        np.array([item[i] for item in items], dtype=kind) for i, kind in enumerate(kinds)
    ]
    return start, columns


def compile_scorer() -> None:
    """Compile the scorer now (or load it from numba's cache, beside this module): a
    process's first prediction otherwise pays for it."""
    tree = (
        "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nmax_feature_idx=0\n"
        "objective=regression\n\nTree=0\nnum_leaves=2\nsplit_feature=0\nthreshold=0.5\n"
        "decision_type=2\nleft_child=-1\nright_child=-2\nleaf_value=0 1\n\nend of trees\n"
    )
    model = compile_model(tree)
    assert model is not None
    model.predict(np.zeros((1, 1)))


@functools.cache
def _kernel() -> Any:
    """:func:`_score` compiled by numba (or loaded from its cache beside this module), once
    per process."""
    from numba import njit

    return njit(cache=True, nogil=True)(_score)


def _score(  # compiled by numba (_kernel): plain arrays only
    x,
    full,
    values,
    split_start,
    split_threshold,
    split_tree,
    split_mask,
    zero_start,
    zero_tree,
    zero_mask,
    nan_start,
    nan_tree,
    nan_mask,
    categorical,
    n_categories,
    table_start,
    table_tree,
    table,
    debruijn,
    out,
):  # pragma: no cover - compiled
    n, m = x.shape
    n_trees = len(full)
    leaves = np.empty(n_trees, dtype=np.uint64)
    is_categorical = np.zeros(m, dtype=np.bool_)
    for i in range(len(categorical)):
        is_categorical[categorical[i]] = True
    for r in range(n):
        for t in range(n_trees):
            leaves[t] = full[t]
        for f in range(m):
            if is_categorical[f]:
                continue
            v = x[r, f]
            if v >= -ZERO and v <= ZERO:
                for j in range(zero_start[f], zero_start[f + 1]):
                    leaves[zero_tree[j]] &= zero_mask[j]
            elif v != v:
                for j in range(nan_start[f], nan_start[f + 1]):
                    leaves[nan_tree[j]] &= nan_mask[j]
            else:
                j = split_start[f]
                end = split_start[f + 1]
                while j < end and split_threshold[j] < v:
                    leaves[split_tree[j]] &= split_mask[j]
                    j += 1
        for i in range(len(categorical)):
            v = x[r, categorical[i]]
            if v >= -ZERO and v <= ZERO:
                v = 0.0
            count = n_categories[i]
            # LightGBM: missing or negative (after truncation toward zero) goes right
            row = count if (v != v or v <= -1.0 or v >= count) else int(v)
            for j in range(table_start[i], table_start[i + 1]):
                leaves[table_tree[j]] &= table[row, j]
        total = 0.0
        for t in range(n_trees):
            word = leaves[t]
            lowest = word & (~word + np.uint64(1))
            total += values[t, debruijn[(lowest * np.uint64(0x03F79D71B4CB0A89)) >> np.uint64(58)]]
        out[r] = total
