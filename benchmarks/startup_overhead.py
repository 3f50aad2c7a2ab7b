"""Benchmark (b): what starting a job's process costs, as a share of the jobs' CPU time.

Goal: <= 5% on the default config. Every job is its own Python process (Snakemake's `script:`), so it pays the
interpreter and its imports before it works. Measured:

1. start-up in fresh interpreters (median of --repeats, wall and CPU): bare Python; Snakemake's `script:` preamble
   (unpickling the `snakemake` object imports snakemake.io/logging); everything a level job imports (torch, SB3,
   gymnasium, the package).
2. with --results DIR, a finished run's results/ folder (of a commit without warm workers, whose benchmark files
   saw only a thin client process): per kind of job, the jobs' CPU seconds from Snakemake's
   `benchmark:` files (which count the whole process, start-up included) and the start-up share: the level job's
   import CPU seconds of 1. over the job's CPU seconds (jobs that import less pay less: an upper bound).

    .venv/bin/python benchmarks/startup_overhead.py [--repeats 5] [--results results]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from _common import busy_processes, load

from rltickets.summary.run_statistics import job_costs

IMPORTS = {
    "bare interpreter": "pass",
    "snakemake script preamble": "import pickle; import snakemake.io, snakemake.logging, snakemake.iocontainers",
    "a level job's imports (torch, SB3, gymnasium, rltickets)": (
        "import snakemake.io, snakemake.logging, snakemake.iocontainers;"
        "from rltickets.infra import artifacts, tensors; from rltickets.bc.dataset import load_bc_dataset;"
        "from rltickets.imp.level import LevelJob, run_level_job; from rltickets.infra.settings import ImpSettings;"
        "from rltickets.infra.training_jobs import provenance, start_training_job"
    ),
}
LEVEL_JOB_IMPORTS = "a level job's imports (torch, SB3, gymnasium, rltickets)"


def time_import(code: str, repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of `python -c code` in a fresh interpreter."""
    walls, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
    return statistics.median(walls), statistics.median(cpus)


def job_kind(job: str) -> str:
    """`imp_level/bc/CartPole-v1/level3` -> `imp_level bc`; other rules by name."""
    parts = job.split("/")
    paradigm = next((p for p in parts[1:3] if p in ("rl", "bc")), None)
    return f"{parts[0]} {paradigm}" if "level" in parts[0] and paradigm else parts[0]


def startup_shares(jobs: pd.DataFrame, startup_cpu_s: float) -> pd.DataFrame:
    """Per kind of job: count, median wall and CPU seconds, and `startup_cpu_s` per job as a share of its CPU."""
    jobs = jobs.assign(kind=jobs["job"].map(job_kind))
    table = jobs.groupby("kind").agg(
        jobs=("cpu_s", "size"),
        wall_median_s=("wall_s", "median"),
        cpu_median_s=("cpu_s", "median"),
        cpu_s=("cpu_s", "sum"),
    )
    table.loc["all jobs"] = [table["jobs"].sum(), float("nan"), float("nan"), table["cpu_s"].sum()]
    table["startup_share"] = table["jobs"] * startup_cpu_s / table["cpu_s"]
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--results", type=Path, help="a finished run's results/ folder: shares over all its jobs")
    args = parser.parse_args()
    print(f"machine: {load()}; other busy processes: {busy_processes() or 'none'}")
    cpu = {}
    for name, code in IMPORTS.items():
        wall, cpu[name] = time_import(code, args.repeats)
        print(f"start-up  {name:58s} wall {wall:6.2f} s  cpu {cpu[name]:6.2f} s  (median of {args.repeats})")
    if args.results is not None:
        table = startup_shares(job_costs(args.results / "benchmarks"), cpu[LEVEL_JOB_IMPORTS])
        print(f"every job with a benchmark file under {args.results}, start-up = {cpu[LEVEL_JOB_IMPORTS]:.2f} CPU s:")
        print(f"  {'job':30s} {'jobs':>5s} {'median wall':>12s} {'median CPU':>11s} {'start-up share':>15s}")
        for kind, row in table.iterrows():
            medians = f"{row.wall_median_s:10.2f} s {row.cpu_median_s:9.2f} s" if kind != "all jobs" else " " * 23
            print(f"  {kind:30s} {int(row.jobs):5d} {medians} {100 * row.startup_share:14.1f}%")
    print(f"machine after: {load()}")


if __name__ == "__main__":
    main()
