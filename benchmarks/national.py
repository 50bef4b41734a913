"""Benchmark: national scale on Dask (issue 16).

For each size (default 100k and 1M employees; the demo worlds of benchmarks/out/, simulated
once), ``recsys score`` writes every active employee's answers into a fresh SQLite store on a
Dask cluster of 2 local worker processes (one thread each) that this script starts, so that
each worker's peak resident memory can be read afterwards (``ru_maxrss`` of the worker
process, a fresh cluster per run). Reported per size: wall time of the command, peak memory
per worker, peak memory of the command's own process (it reads the data set and splits it
by agency), people stored, and the size of the largest partition (an agency); then the
slope per 100k employees and the projection to the national 4.3 million.

The models: at this size training is done on a sample. The scored worlds all come from the
same simulator seed, so they share the catalog; the models are the ones trained on the
100k world (benchmarks/api.py's bundle), i.e. trained on 100k employees. What that costs is
measured on the 1M world's own truth: the share of the oracle's top-5 true gain of the
100k-trained model for a random sample of the 1M world's staff, beside the same model on the
100k world it was trained on.

    .venv/bin/python benchmarks/national.py [--sizes 100000 1000000] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import BIN, ROOT, _bundle
from harness import OUT, demo_world, machine, write_section

#: The national ASN count the projection is made for.
NATIONAL = 4_300_000
#: People of the large world whose share of the oracle is measured.
QUALITY_SAMPLE = 20_000


def _worker_peak() -> int:
    """A worker's peak resident memory in bytes (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_score(world: Path, bundle: Path, work: Path, workers: int) -> dict[str, float]:
    """One ``recsys score`` on a fresh local cluster; time and memory."""
    from dask.distributed import Client, LocalCluster

    work.mkdir(parents=True, exist_ok=True)
    db = work / "store.db"
    for stale in work.glob("store.db*"):
        stale.unlink()
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True) as cluster,
        Client(cluster) as client,
    ):
        command = [str(BIN / "recsys"), "score", "--data", str(world), "--bundle", str(bundle)]
        command += ["--store", f"sqlite:///{db}", "--restart", "--lang", "en"]
        command += ["--cluster", cluster.scheduler_address]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        started = time.perf_counter()
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"failed: {' '.join(command)}")
        peaks = client.run(_worker_peak)
    return {
        "seconds": seconds,
        "worker_peak_gib": max(peaks.values()) / 1024**3,
        "command_peak_gib": usage.ru_maxrss / 1024**2,
    }


def stored_people(work: Path) -> int:
    from recsys.scoring.store import RecommendationStore

    store = RecommendationStore(f"sqlite:///{work / 'store.db'}")
    try:
        current = store.current()
        return 0 if current is None else store.count_people(current.id)
    finally:
        store.dispose()


def largest_agency(world: Path) -> int:
    import pandas as pd

    columns = ["agency", "active"]
    parquet = world / "employees.parquet"
    employees = (
        pd.read_parquet(parquet, columns=columns)
        if parquet.exists()
        else pd.read_csv(world / "employees.csv", usecols=columns)
    )
    return int(employees.loc[employees["active"], "agency"].value_counts().max())


def quality(world: Path, bundle: Path) -> float:
    """The bundle's training model on ``world``'s truth, for a sample of its staff."""
    from recsys.data.loading import load_dataset
    from recsys.evaluation.trainings import evaluate_on_truth
    from recsys.tracking.bundle import load_bundle

    ds = load_dataset(world)
    model = load_bundle(bundle).trainings
    metrics = evaluate_on_truth(model, ds, world / "_truth", k=5, max_people=QUALITY_SAMPLE)
    return float(metrics["share_of_oracle_top5"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    trained_on = demo_world(100_000)
    bundle = _bundle(trained_on, OUT / f"api-{trained_on.name}")
    rows = []
    for size in args.sizes:
        world = demo_world(size)
        work = OUT / f"national-{size}"
        runs = [run_score(world, bundle, work, args.workers) for _ in range(args.runs)]
        row = {
            "employees": size,
            **{key: statistics.median(r[key] for r in runs) for key in runs[0]},
            "people": stored_people(work),
            "largest_agency": largest_agency(world),
            "runs": len(runs),
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    shares = {size: quality(demo_world(size), bundle) for size in (100_000, max(args.sizes))}
    report(args, rows, shares)


def report(
    args: argparse.Namespace, rows: list[dict[str, float]], shares: dict[int, float]
) -> None:
    lines = [
        "## National scale: `recsys score` on Dask (issue 16)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}. `recsys score` into a fresh "
        f"SQLite store on a local Dask cluster of {args.workers} worker processes (one thread "
        "each) started by the benchmark; partitions are agencies, or the units kerja of an "
        "agency above the mentoring policy's `unit_search_above` (30,000 active staff: its "
        "mentors are searched and matched unit by unit), largest first. Worker peak: the largest "
        "`ru_maxrss` of the workers; command peak: the `recsys score` process (reads the data "
        "set, splits it, sends the parts). Models trained on the 100k world (same simulator "
        "seed, same catalog).",
        "",
        "| employees | largest agency | people stored | seconds | ms per person and worker "
        "| worker peak (GiB) | command peak (GiB) | runs |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['employees']:,} | {r['largest_agency']:,} | {r['people']:,} "
            f"| {r['seconds']:.0f} | {1000 * r['seconds'] * args.workers / r['people']:.1f} "
            f"| {r['worker_peak_gib']:.2f} | {r['command_peak_gib']:.2f} "
            f"| {r['runs']} |"
        )
    if len(rows) >= 2:
        small, large = rows[0], rows[-1]
        slope = (large["seconds"] - small["seconds"]) / (large["employees"] - small["employees"])
        projected = large["seconds"] + slope * (NATIONAL - large["employees"])
        lines += [
            "",
            f"Slope: {slope * 100_000:.0f} s per 100k employees; projection to "
            f"{NATIONAL:,}: **{projected / 60:.0f} min** with {args.workers} workers, on a "
            "straight line: it holds only if the cost per person (column above) does not grow "
            "with the partitions' size. The work is per partition, so more workers divide it; "
            "the largest partition bounds a worker's memory.",
        ]
    lines += [
        "",
        "Trained on a sample: the 100k-trained model's top-5 share of the oracle "
        + ", ".join(f"{share:.3f} on the {size:,} world" for size, share in shares.items())
        + f" ({QUALITY_SAMPLE:,} people drawn at random where larger).",
        "",
        "Targets: 1M employees in ≤ 12 min with 2 local workers and ≤ 4 GB per worker.",
        "",
        "Reproduce: `.venv/bin/python benchmarks/national.py`.",
    ]
    print("\n".join(lines))
    write_section("national", lines)


if __name__ == "__main__":
    main()
