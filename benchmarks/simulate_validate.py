"""Benchmark: demo-world generation and validated loading at 100k employees.

Each measurement runs in a fresh child process, so its peak memory (max RSS) is its own.
Writes the medians to benchmarks/RESULTS.md (section between the markers below).

    .venv/bin/python benchmarks/simulate_validate.py [--employees 100000] [--runs 3]
        [--scale 1000000]   # also one generation run at that size (memory must stay flat)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import machine, measure, write_section

SIMULATE = (
    "from recsys.simulation import simulate; "
    "simulate({out!r}, employees={n}, seed=1, overwrite=True)"
)
VALIDATE = (
    "from recsys.data import load_dataset; "
    "ds = load_dataset({out!r}); assert ds.report.quarantined == 0"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", type=int, default=0, help="one extra generation run")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="recsys-bench-"))
    rows: list[dict[str, object]] = []
    try:
        out = str(work / "world")
        sims, vals = [], []
        for i in range(args.runs):
            sims.append(measure(SIMULATE.format(out=out, n=args.employees)))
            vals.append(measure(VALIDATE.format(out=out)))
            print(f"run {i + 1}: simulate {sims[-1]}, validate {vals[-1]}", flush=True)
        size_mb = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file()) / 1e6
        for step, runs, target in (
            ("simulate", sims, "< 60 s"),
            ("validate (load + check every row)", vals, "—"),
        ):
            rows.append(
                {
                    "step": step,
                    "employees": args.employees,
                    "seconds": statistics.median(s for s, _ in runs),
                    "peak_gib": statistics.median(m for _, m in runs),
                    "runs": len(runs),
                    "target": target,
                }
            )
        if args.scale:
            big = str(work / "big")
            seconds, peak = measure(SIMULATE.format(out=big, n=args.scale))
            print(f"scale run: {seconds:.1f}s, {peak:.2f} GiB", flush=True)
            rows.append(
                {
                    "step": "simulate (chunked, scale check)",
                    "employees": args.scale,
                    "seconds": seconds,
                    "peak_gib": peak,
                    "runs": 1,
                    "target": "memory flat in size",
                }
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines = [
        "## Demo world: simulate + validate",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}.",
        f"Median of {args.runs} runs, each in a fresh process; peak = max RSS of that process. "
        f"World on disk at {args.employees:,} employees (CSV + ground truth): {size_mb:,.0f} MB.",
        "",
        "| step | employees | seconds | peak memory (GiB) | runs | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['step']} | {r['employees']:,} | {r['seconds']:.1f} | {r['peak_gib']:.2f} "
            f"| {r['runs']} | {r['target']} |"
        )
    lines += ["", "Reproduce: `make bench` (or the command in the module docstring)."]
    write_section("simulate_validate", lines)
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
