"""Helpers shared by the benchmark scripts: a scratch copy of the workflow, timed snakemake calls, machine load."""

from __future__ import annotations

import os
import resource
import subprocess
import time
from pathlib import Path

from rltickets.infra import scratch
from rltickets.infra.scratch import BIN, REPO

__all__ = ["BIN", "REPO", "busy_processes", "copy_workflow", "load", "timed_snakemake"]


def copy_workflow(dest: Path) -> Path:
    """A fresh scratch copy of the workflow (no results/), so benchmarks never touch the repo's results."""
    return scratch.copy_workflow(dest, fresh=True)


def timed_snakemake(
    cwd: Path, *args: str, extra_env: dict[str, str] | None = None
) -> tuple[float, subprocess.CompletedProcess]:
    """Wall seconds of one snakemake call; fails loudly when snakemake fails (a failed run is not a timing).

    `proc.cpu_seconds` holds the CPU time of snakemake and all its children (jobs included), which a busy machine
    inflates much less than wall time.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = scratch.snakemake_env(extra_env)
    proc = subprocess.run([str(BIN / "snakemake"), *args], cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc.cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"snakemake {' '.join(args)} failed in {cwd}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return elapsed, proc


def load() -> str:
    """The 1/5/15-minute load averages and the core count: the noise context of every timing."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


def busy_processes(threshold: float = 20.0) -> list[str]:
    """Other processes using more than `threshold` % CPU right now (ps), to say whether the machine was idle."""
    out = subprocess.run(["ps", "-eo", "pid,pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True).stdout
    rows = [line.split(None, 2) for line in out.splitlines()[1:]]
    me = str(os.getpid())
    return [f"{comm}({pid}) {cpu}%" for pid, cpu, comm in rows if float(cpu) > threshold and pid != me]
