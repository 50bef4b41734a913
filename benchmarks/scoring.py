"""Benchmark: batch scoring into the recommendation store, and the stateless API over it.

At 100k employees (the demo world of benchmarks/out/, models trained once as benchmarks/api.py
does): ``recsys score`` into a fresh SQLite store (target ≤ 60 s on 2 cores), the API's
start-up over the store (target ≤ 5 s) and its memory, then wrk on loopback against the
same server: GET trainings beside /healthz (target ≥ 50%), and 300 paced connections
(target p99 ≤ 25 ms), with the fast read path on and off (the plain FastAPI routes).

    .venv/bin/python benchmarks/scoring.py [--employees 100000] [--runs 3] [--duration 20]

Figures go to RESULTS.md (section "scoring").
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import BIN, GET_SCRIPT, KEY, ROOT, _bundle, _inputs, _server, _sha256, _wrk, api_command
from harness import OUT, demo_world, machine, write_section


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (GiB) of a command in a fresh process."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024**2


def store_api_environment(
    env: dict[str, str], url: str, bundle: Path, world: Path, audit: Path
) -> dict[str, str]:
    """The API's settings over the store at ``url``: the benchmark key, no rate limit."""
    return {
        **env,
        "RECSYS_API_STORE": url,
        "RECSYS_API_BUNDLE": str(bundle),
        "RECSYS_API_DATA": str(world),
        "RECSYS_API_KEYS": json.dumps({"bench": {"sha256": _sha256(KEY), "role": "analyst"}}),
        "RECSYS_API_RATE_LIMIT_PER_MINUTE": str(10**9),
        "RECSYS_API_AUDIT_LOG": str(audit),
        "RECSYS_API_TOKEN_SECRET": secrets.token_urlsafe(48),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each API measurement")
    parser.add_argument("--score-runs", type=int, default=3, help="runs of each scoring")
    parser.add_argument(
        "--api-only", action="store_true", help="measure the API only (scoring figures kept)"
    )
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--pause", type=int, default=100, help="ms between a connection's requests")
    args = parser.parse_args()
    world = demo_world(args.employees)
    work = OUT / f"api-{world.name}"
    bundle = _bundle(world, work)
    nips_file, _ = _inputs(world, bundle, work)
    db = work / "store.db"
    url = f"sqlite:///{db}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RECSYS_LANG": "en"}
    score = [str(BIN / "recsys"), "score", "--data", str(world), "--bundle", str(bundle)]
    score += ["--store", url, "--restart"]
    scoring: dict[str, list[tuple[float, float]]] = {"one process": [], "Dask, 2 local workers": []}
    kept = work / "scoring-runs.json"
    if args.api_only and kept.exists():
        scoring = json.loads(kept.read_text())
        args.score_runs = len(next(iter(scoring.values())))
    for _ in range(0 if args.api_only else args.score_runs):
        scoring["one process"].append(timed(score, env))
        print("score", scoring["one process"][-1], flush=True)
        dask = timed([*score, "--cluster", "local", "--workers", "2"], env)
        scoring["Dask, 2 local workers"].append(dask)
        print("score on dask", dask, flush=True)
        kept.write_text(json.dumps(scoring))
    api_env = store_api_environment(env, url, bundle, world, work / "audit.jsonl")
    port = 18_010
    api = api_command(port)
    get = OUT / "wrk-store-get.lua"
    get.write_text(GET_SCRIPT % {"nips": nips_file, "seed": 1, "key": KEY, "pause": 0})
    paced = OUT / "wrk-store-paced.lua"
    paced.write_text(GET_SCRIPT % {"nips": nips_file, "seed": 1, "key": KEY, "pause": args.pause})
    results: dict[str, dict[str, object]] = {}
    for mode, fast in (("plain routes", "false"), ("fast read path", "true")):
        startups, rss_ready, rss_after, health, trainings, pacing = [], [], [], [], [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            with _server(
                api,
                {**api_env, "RECSYS_API_FAST_READS": fast},
                f"http://127.0.0.1:{port}/readyz",
                timeout=600,
            ) as process:
                startups.append(time.perf_counter() - started)
                proc = psutil.Process(process.pid)
                rss_ready.append(proc.memory_info().rss / 1024**2)
                health.append(_wrk(f"http://127.0.0.1:{port}/healthz", None, args))
                trainings.append(_wrk(f"http://127.0.0.1:{port}/", get, args))
                pacing.append(_wrk(f"http://127.0.0.1:{port}/", paced, args))
                rss_after.append(proc.memory_info().rss / 1024**2)
            print(mode, startups[-1], health[-1], trainings[-1], pacing[-1], flush=True)
        med = statistics.median
        results[mode] = {
            "startup": med(startups),
            "rss_ready": med(rss_ready),
            "rss_after": med(rss_after),
            "health_rps": med(r["rps"] for r in health),
            "get_rps": med(r["rps"] for r in trainings),
            "get_p99": med(r["p99"] for r in trainings),
            "paced_rps": med(r["rps"] for r in pacing),
            "paced_p99": med(r["p99"] for r in pacing),
            "errors": sum(r["non2xx"] + r["socket_errors"] for r in trainings + pacing),
        }
    report(args, scoring, results)


def report(
    args: argparse.Namespace,
    scoring: dict[str, list[tuple[float, float]]],
    results: dict[str, dict[str, object]],
) -> None:
    lines = [
        "## Batch scoring and the stateless API over the store (issue 16)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; demo world of "
        f"{args.employees:,} employees, both models. Median of {args.score_runs} runs of "
        f"scoring and {args.runs} of each API measurement, each in a fresh process. "
        "`recsys score` writes every employee's trainings and mentors (up to 10 each, "
        "Indonesian and English) and the widget's answer into a fresh SQLite store "
        "(`--restart`). The API (one uvicorn worker, `RECSYS_API_STORE`) is measured from "
        "process start to `/readyz` answering 200, then under wrk on loopback "
        f"({args.connections} connections, {args.duration} s per run; paced: each connection "
        f"waits {args.pause} ms between requests; GET trainings for random active NIPs, k=5).",
        "",
        "| step | figure | target |",
        "|---|---:|---|",
    ]
    for how, runs in scoring.items():
        seconds = statistics.median(s for s, _ in runs)
        peak = statistics.median(m for _, m in runs)
        lines.append(
            f"| `recsys score`, {args.employees:,} employees ({how}) | {seconds:.1f} s, "
            f"peak {peak:.2f} GiB (the command's process) | ≤ 60 s |"
        )
    for mode, r in results.items():
        ratio = float(r["get_rps"]) / max(float(r["health_rps"]), 1e-9)
        lines += [
            f"| API start-up over the store ({mode}) | {r['startup']:.1f} s | ≤ 5 s |",
            f"| API memory at ready / after the load ({mode}) | {r['rss_ready']:.0f} / "
            f"{r['rss_after']:.0f} MB | ≤ 300 MB |",
            f"| GET trainings vs /healthz ({mode}) | {r['get_rps']:,.0f} vs "
            f"{r['health_rps']:,.0f} req/s = {ratio:.0%} | ≥ 50% |",
            f"| p99 at {args.connections} paced connections ({mode}) | {r['paced_p99']:.1f} ms "
            f"({r['paced_rps']:,.0f} req/s) | ≤ 25 ms |",
            f"| errors ({mode}) | {r['errors']:.0f} | 0 |",
        ]
    lines += ["", "Reproduce: `.venv/bin/python benchmarks/scoring.py`."]
    print("\n".join(lines))
    write_section("scoring", lines)


if __name__ == "__main__":
    main()
