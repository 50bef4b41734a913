"""Shared pieces of the benchmarks: timing a child process, naming the machine, and
writing a section of RESULTS.md between markers (the rest of the file is kept)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def measure(code: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (GiB) of ``python -c code`` in a fresh child process."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code])
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark step failed: {code}")
    return seconds, usage.ru_maxrss / 1024**2  # ru_maxrss is KiB on Linux


def machine() -> str:
    """CPU model, cores, memory and software versions, for the record."""
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_gib:.0f} GiB RAM, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def write_section(name: str, lines: list[str]) -> str:
    """Replace (or append) the ``name`` section of RESULTS.md; returns the section."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    section = "\n".join([begin, *lines, end])
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    if begin in text:
        head, rest = text.split(begin, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(text)
    return section


OUT = Path(__file__).resolve().parent / "out"


def demo_world(employees: int, seed: int = 1) -> Path:
    """The benchmark's demo world of ``employees`` under benchmarks/out/, generated once (and
    again when it predates the current ground-truth files)."""
    world = OUT / f"world-{employees}"
    if not (world / "_truth" / "competency_weights.parquet").exists():
        OUT.mkdir(exist_ok=True)
        subprocess.run(
            [
                *(sys.executable, "-m", "recsys", "simulate", "--out", str(world)),
                *("--employees", str(employees), "--seed", str(seed), "--force"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return world
