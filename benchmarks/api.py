"""The API under load: wrk on loopback, GET trainings for random NIPs of a 100k-employee world,
beside /healthz of the same server and beside ``mlflow models serve`` of the same registered
model answering the same question (the forecasts of one person's candidate trainings).

    .venv/bin/python benchmarks/api.py [--employees 100000] [--duration 20] [--runs 3]

Models are trained once into benchmarks/out/api/ (MLflow store + exported bundle) and reused.
Figures go to RESULTS.md (section "api").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import OUT, demo_world, machine, write_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
KEY = "bench-analyst-key"
CONNECTIONS = 300
SAMPLE = 5_000  # random active NIPs the load cycles through
MLFLOW_BODIES = 500

GET_SCRIPT = """
local pause = %(pause)d
if pause > 0 then delay = function() return pause end end
local nips = {}
for line in io.lines("%(nips)s") do nips[#nips + 1] = line end
math.randomseed(%(seed)d + math.floor(os.clock() * 1e6))
request = function()
  local nip = nips[math.random(#nips)]
  return wrk.format("GET", "/v1/employees/" .. nip .. "/trainings?k=5",
                    {["X-API-Key"] = "%(key)s"})
end
"""
POST_SCRIPT = """
local bodies = {}
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
math.randomseed(%(seed)d + math.floor(os.clock() * 1e6))
request = function()
  return wrk.format("POST", "/invocations", {["Content-Type"] = "application/json"},
                    bodies[math.random(#bodies)])
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument(
        "--pause", type=int, default=100, help="ms each connection waits between requests"
    )
    parser.add_argument("--world", type=Path, help="an existing world instead of a demo world")
    parser.add_argument("--bundle", type=Path, help="an existing bundle instead of training")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: scripts/bootstrap.sh installs it (system-packages.txt)")
    world = args.world or demo_world(args.employees)
    store = OUT / f"api-{world.name}"
    bundle = args.bundle or _bundle(world, store)
    nips_file, bodies_file = _inputs(world, bundle, store)
    env = {
        **os.environ,
        "RECSYS_API_BUNDLE": str(bundle),
        "RECSYS_API_DATA": str(world),
        "RECSYS_API_KEYS": json.dumps({"bench": {"sha256": _sha256(KEY), "role": "analyst"}}),
        "RECSYS_API_RATE_LIMIT_PER_MINUTE": str(10**9),
        "RECSYS_API_AUDIT_LOG": str(store / "audit.jsonl"),
        "RECSYS_API_TOKEN_SECRET": secrets.token_urlsafe(48),
        "PYTHONPATH": str(ROOT),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    port = 18_000
    api = api_command(port)
    started = time.perf_counter()
    with _server(api, env, f"http://127.0.0.1:{port}/readyz", timeout=1800) as process:
        startup = time.perf_counter() - started
        rss = psutil.Process(process.pid).memory_info().rss / 1024**3
        print(f"API ready in {startup:.0f} s, {rss:.2f} GiB", flush=True)
        get = HERE / "out" / "wrk-get.lua"
        get.write_text(GET_SCRIPT % {"nips": nips_file, "seed": 1, "key": KEY, "pause": 0})
        paced = HERE / "out" / "wrk-get-paced.lua"
        paced.write_text(
            GET_SCRIPT % {"nips": nips_file, "seed": 1, "key": KEY, "pause": args.pause}
        )
        health, trainings, pacing = [], [], []
        for _ in range(args.runs):
            health.append(_wrk(f"http://127.0.0.1:{port}/healthz", None, args))
            trainings.append(_wrk(f"http://127.0.0.1:{port}/", get, args))
            pacing.append(_wrk(f"http://127.0.0.1:{port}/", paced, args))
            print(f"healthz {health[-1]}\ntrainings {trainings[-1]}\npaced {pacing[-1]}")
    mlflow_port = 18_001
    serve = [str(BIN / "mlflow"), "models", "serve", "-m", str(bundle / "trainings")]
    serve += ["--env-manager", "local", "-p", str(mlflow_port)]
    post = HERE / "out" / "wrk-post.lua"
    post.write_text(POST_SCRIPT % {"bodies": bodies_file, "seed": 1})
    mlflow_runs = []
    with _server(serve, env, f"http://127.0.0.1:{mlflow_port}/ping", timeout=300):
        for _ in range(args.runs):
            mlflow_runs.append(_wrk(f"http://127.0.0.1:{mlflow_port}/", post, args))
            print("mlflow", mlflow_runs[-1], flush=True)
    _report(args, startup, rss, health, trainings, pacing, mlflow_runs)


def api_command(port: int) -> list[str]:
    """The API under one uvicorn worker on ``port``, quiet (no access log)."""
    command = [str(BIN / "uvicorn"), "serving.main:create_app", "--factory", "--port", str(port)]
    return [*command, "--log-level", "warning", "--no-access-log"]


def _sha256(secret: str) -> str:
    import hashlib

    return hashlib.sha256(secret.encode()).hexdigest()


def _bundle(world: Path, store: Path) -> Path:
    """Train both models on ``world`` into a benchmark MLflow store and export them."""
    bundle = store / "models"
    if (bundle / "bundle.json").exists():
        return bundle
    from recsys.tracking.store import embedded_uri

    # an embedded store of its own: SQLite and artifacts under ``store``
    env = {**os.environ, "MLFLOW_TRACKING_URI": embedded_uri(store)}
    recsys = str(BIN / "recsys")
    print("training on the benchmark world (once)…", flush=True)
    for step in (["train", "--data", str(world)], ["export", "--out", str(bundle)]):
        subprocess.run([recsys, *step, "--lang", "en"], env=env, check=True, cwd=store)
    return bundle


def _inputs(world: Path, bundle: Path, store: Path) -> tuple[Path, Path]:
    """Random active NIPs, and for some of them the pyfunc input ``mlflow models serve``
    needs to answer the same question: one row per (person, active training)."""
    store.mkdir(parents=True, exist_ok=True)
    nips_file, bodies_file = store / "nips.txt", store / "invocations.jsonl"
    if nips_file.exists() and bodies_file.exists():
        return nips_file, bodies_file
    import pandas as pd

    from recsys.data.loading import load_dataset
    from recsys.tracking.bundle import load_bundle

    ds = load_dataset(str(world))
    active = ds.employees.loc[ds.employees["active"], "nip"].astype(str).tolist()
    rng = random.Random(1)
    sample = rng.sample(active, min(SAMPLE, len(active)))
    nips_file.write_text("\n".join(sample) + "\n")
    model = load_bundle(bundle).trainings
    ids = ds.trainings.loc[ds.trainings["active"], "training_id"].astype(str).tolist()
    people = sample[:MLFLOW_BODIES]
    pairs_nip = [n for n in people for _ in ids]
    pairs_id = ids * len(people)
    features = model.pyfunc_input(ds, pd.Series(pairs_nip), pd.Series(pairs_id))
    features.insert(0, "nip", pairs_nip)
    lines = []
    for _, rows in features.groupby("nip", sort=False):
        frame = rows.drop(columns="nip")
        lines.append(json.dumps({"dataframe_split": frame.to_dict(orient="split", index=False)}))
    bodies_file.write_text("\n".join(lines) + "\n")
    return nips_file, bodies_file


class _server:
    """A server process, started and waited for until ``ready`` answers 200."""

    def __init__(self, command: list[str], env: dict[str, str], ready: str, timeout: int):
        self.command, self.env, self.ready, self.timeout = command, env, ready, timeout

    def __enter__(self) -> subprocess.Popen[bytes]:
        self.process = subprocess.Popen(self.command, env=self.env, cwd=ROOT)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited: {' '.join(self.command)}")
            try:
                if httpx.get(self.ready, timeout=5).status_code == 200:
                    return self.process
            except httpx.HTTPError:
                pass
            time.sleep(1)
        self.process.kill()
        raise SystemExit(f"server not ready after {self.timeout} s: {' '.join(self.command)}")

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _wrk(url: str, script: Path | None, args: argparse.Namespace) -> dict[str, float]:
    """One wrk run: requests/s, p50/p99 latency (ms), errors."""
    command = ["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    command += ["--timeout", "30s"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout

    def latency(p: str) -> float:
        found = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        if not found:
            raise SystemExit(f"no {p}% latency in wrk output:\n{out}")
        return float(found.group(1)) * _UNIT[found.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "p50": latency("50"),
        "p99": latency("99"),
        "non2xx": float(non2xx.group(1)) if non2xx else 0.0,
        "socket_errors": float(sum(int(g) for g in errors.groups())) if errors else 0.0,
    }


def _median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _report(
    args: argparse.Namespace,
    startup: float,
    rss: float,
    health: list[dict[str, float]],
    trainings: list[dict[str, float]],
    pacing: list[dict[str, float]],
    mlflow_runs: list[dict[str, float]],
) -> None:
    rows = [("GET /healthz", health), ("GET /v1/employees/{nip}/trainings?k=5", trainings)]
    rows.append((f"the same, each connection pausing {args.pause} ms between requests", pacing))
    rows.append(("mlflow models serve: POST /invocations (same question)", mlflow_runs))
    ratio_health = _median(trainings, "rps") / _median(health, "rps")
    ratio_mlflow = _median(trainings, "rps") / _median(mlflow_runs, "rps")
    lines = [
        "## API under load (wrk, loopback)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {machine()}. Demo world of "
        f"{args.employees:,} employees (seed 1), both models served from an exported bundle by "
        f"one uvicorn process (`uvicorn serving.main:create_app --factory`, uvloop + httptools). "
        f"wrk with 2 threads and {args.connections} connections on the same 2 cores, "
        f"{args.duration} s per run, median of {args.runs} runs; GET trainings picks one of "
        f"{SAMPLE:,} random active NIPs per request, with an API key (analyst), the rate limit "
        "raised and the audit log on.",
        "",
        "| endpoint | requests/s | p50 (ms) | p99 (ms) | errors |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {name} | {_median(runs, 'rps'):,.0f} | {_median(runs, 'p50'):.1f} | "
            f"{_median(runs, 'p99'):.1f} | "
            f"{int(_median(runs, 'non2xx') + _median(runs, 'socket_errors'))} |"
            for name, runs in rows
        ),
        "",
        f"- Trainings throughput = {ratio_health:.0%} of /healthz's in the same run "
        "(target ≥ 50%).",
        "- Why trainings outpaces /healthz: valid employee reads are answered by a small ASGI "
        "handler in front of FastAPI (serving/middleware/fast_reads.py: key check, rate limit, "
        "audit record, precomputed bytes), while /healthz goes through FastAPI's middleware and "
        "routing. Any other request, and every error, takes the FastAPI route.",
        f"- Trainings throughput = {ratio_mlflow:.0f}× `mlflow models serve` of the same "
        "registered model (`--env-manager local`, one worker) answering the same question: the "
        "forecasts of one person's candidate trainings, with the features already built by "
        "the client (target ≥ 5×).",
        f"- p99 at {args.connections} connections: {_median(pacing, 'p99'):.1f} ms with "
        f"each connection pausing {args.pause} ms between an answer and its next request "
        f"({_median(pacing, 'rps'):,.0f} requests/s), target ≤ 25 ms. Saturated (no "
        f"pause: {args.connections} requests always queued on one process) it is "
        f"{_median(trainings, 'p99'):.1f} ms: the queue, not the work.",
        f"- Start-up (load data and models, compute every active employee's answers in both "
        f"languages): {startup:.0f} s; resident memory when ready {rss:.2f} GiB.",
    ]
    print("\n".join(lines) if args.no_write else write_section("api", lines))


if __name__ == "__main__":
    main()
