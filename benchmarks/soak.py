"""Soak test: the stateless API over the store for 60 s at the target rate, with a new
generation switched to in the middle.

One uvicorn worker over the 100k store of benchmarks/scoring.py (run that first). wrk
keeps 300 connections, each pausing 100 ms between requests (about 2,500 requests/s
offered), for ``--duration`` seconds; half-way through a new generation is written (a copy
of the current one's rows under a new generation, as a finished ``recsys score`` leaves it)
and the pointer is flipped to it, which the worker follows. Reported: requests, errors
(non-2xx and socket errors: target 0), the worker's resident memory every second (target:
flat), and the generation served before and after.

    .venv/bin/python benchmarks/soak.py [--duration 60]

Figures go to RESULTS.md (section "soak").
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import GET_SCRIPT, KEY, ROOT, _server, _wrk, api_command
from harness import OUT, demo_world, machine, write_section
from scoring import store_api_environment

from recsys.scoring.store import RecommendationStore, partitions, people


def new_generation(url: str, after: float) -> None:
    """After ``after`` seconds, copy the current generation's rows into a new generation
    and make it current (what the end of a ``recsys score`` run does)."""
    time.sleep(after)
    store = RecommendationStore(url)
    current = store.current()
    assert current is not None
    generation, _ = store.begin_generation(
        fingerprint=f"soak-{time.time()}",
        model_versions=current.model_versions,
        source=current.source,
        ranker=current.ranker,
        k=current.k,
        has_mentors=current.has_mentors,
        n_partitions=current.partitions,
        resume=False,
    )
    with store.engine.begin() as conn:
        for table in (people, partitions):
            columns = [c.name for c in table.columns]
            source = sa.select(
                *(
                    sa.literal(generation).label(c) if c == "generation_id" else table.c[c]
                    for c in columns
                )
            ).where(table.c.generation_id == current.id)
            conn.execute(table.insert().from_select(columns, source))
    store.complete(generation, 0.0)
    store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=300)
    parser.add_argument("--pause", type=int, default=100)
    args = parser.parse_args()
    world = demo_world(args.employees)
    work = OUT / f"api-{world.name}"
    bundle, nips_file, url = work / "models", work / "nips.txt", f"sqlite:///{work / 'store.db'}"
    if not (bundle / "bundle.json").exists() or not nips_file.exists():
        raise SystemExit("run benchmarks/scoring.py first (it trains the models and scores)")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RECSYS_LANG": "en"}
    api_env = store_api_environment(env, url, bundle, world, work / "soak-audit.jsonl")
    port = 18_020
    api = api_command(port)
    paced = OUT / "wrk-soak.lua"
    paced.write_text(GET_SCRIPT % {"nips": nips_file, "seed": 2, "key": KEY, "pause": args.pause})
    base = f"http://127.0.0.1:{port}"
    headers = {"X-API-Key": KEY}
    with _server(api, api_env, f"{base}/readyz", timeout=600) as process:
        before = httpx.get(f"{base}/v1/models", headers=headers).json()["source"]
        worker = psutil.Process(process.pid)
        memory: list[float] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                memory.append(worker.memory_info().rss / 1024**2)
                time.sleep(1)

        sampler = threading.Thread(target=sample)
        sampler.start()
        flipper = threading.Thread(target=new_generation, args=(url, args.duration / 2))
        flipper.start()
        load = _wrk(f"{base}/", paced, args)
        stop.set()
        sampler.join()
        flipper.join()
        after = httpx.get(f"{base}/v1/models", headers=headers).json()["source"]
    errors = load["non2xx"] + load["socket_errors"]
    quarter = max(len(memory) // 4, 1)
    lines = [
        "## Soak: the stateless API with a new generation switched in (issue 16)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}; {args.employees:,} employees. "
        f"One uvicorn worker over the SQLite store, {args.connections} connections each "
        f"pausing {args.pause} ms, {args.duration} s; half-way a new generation was written "
        "and the pointer switched to it.",
        "",
        "| figure | value | target |",
        "|---|---:|---|",
        f"| requests served | {load['rps'] * args.duration:,.0f} ({load['rps']:,.0f}/s) | |",
        f"| errors (non-2xx, socket) | {errors:.0f} | 0 |",
        f"| p50 / p99 latency | {load['p50']:.1f} / {load['p99']:.1f} ms | |",
        f"| worker memory: first quarter / last quarter / max | "
        f"{sum(memory[:quarter]) / quarter:.0f} / {sum(memory[-quarter:]) / quarter:.0f} / "
        f"{max(memory):.0f} MB | flat |",
        f"| generation served before / after | {before} / {after} | switched |",
        "",
        "Reproduce: `.venv/bin/python benchmarks/soak.py` (after benchmarks/scoring.py).",
    ]
    print("\n".join(lines))
    write_section("soak", lines)


if __name__ == "__main__":
    main()
