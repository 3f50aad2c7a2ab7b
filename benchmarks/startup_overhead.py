"""Benchmark (b): Snakemake + interpreter start-up overhead per job, as a share of the job's wall time.

Goal: <= 5% on the default config. Measured side by side in one run:

1. start-up in fresh interpreters (median of --repeats): bare Python; Snakemake's `script:` preamble (unpickling
   the `snakemake` object imports snakemake.io/logging); everything a level job imports (torch, SB3, gymnasium,
   the package).
2. the same real jobs of the default config.yaml twice, each in a fresh scratch copy with --cores 1: every job in
   its own process (RLTICKETS_WARM_WORKER=0: what plain Snakemake does) and in warm workers (the default,
   rltickets.infra.worker). The jobs: CartPole-v1 seed 0, the RL and the BC ticket chain to the last level, with the
   expert, θ0 and BC dataset they need. Per job, the wall time of its `benchmark:` file and, from its usage
   record, the start-up (job process start -> work starts) and the work. Per rule (levels split by paradigm):
   start-up share = start-up / wall; overhead share = (wall - work) / wall (start-up plus process exit). And what
   Snakemake adds around the jobs: the run's wall time minus the jobs' wall times (DAG, scheduling, checks).
3. with --results DIR: the same shares over every job of a finished run (its results/benchmarks), e.g. the
   default config's: the number the goal is about.

    .venv/bin/python benchmarks/startup_overhead.py [--repeats 5] [--skip-jobs] [--results results]
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
import yaml
from _common import REPO, busy_processes, copy_workflow, load, timed_snakemake

from rltickets.summary.run_statistics import job_costs

IMPORTS = {
    "bare interpreter": "pass",
    "snakemake script preamble": "import pickle; import snakemake.io, snakemake.logging, snakemake.iocontainers",
    "a level job's imports (torch, SB3, gymnasium, rltickets)": (
        "import snakemake.io, snakemake.logging, snakemake.iocontainers;"
        "from rltickets.infra import artifacts, tensors; from rltickets.bc.dataset import load_bc_dataset;"
        "from rltickets.imp.level import LevelId, run_level; from rltickets.infra.settings import ImpSettings;"
        "from rltickets.infra.training_jobs import provenance, start_training_job"
    ),
}
MODES = {"cold (own process)": "0", "warm worker": "1"}


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


def chain_targets() -> list[str]:
    levels = yaml.safe_load((REPO / "config.yaml").read_text())["imp"]["levels"]
    return [f"results/imp/{p}/CartPole-v1/seed0/level{levels}/metrics.json" for p in ("rl", "bc")]


def job_kind(job: str) -> str:
    """`imp_level/bc/CartPole-v1/seed0/level3` -> `imp_level bc`; other rules by name."""
    parts = job.split("/")
    return f"{parts[0]} {parts[1]}" if parts[0].endswith("_level") and parts[1] in ("rl", "bc") else parts[0]


def shares(jobs: pd.DataFrame) -> pd.DataFrame:
    """Per kind of job: count, median wall, start-up and work, and the start-up and overhead shares of wall."""
    jobs = jobs.assign(kind=jobs["job"].map(job_kind))
    table = jobs.groupby("kind").agg(
        jobs=("wall_s", "size"),
        wall_median_s=("wall_s", "median"),
        startup_median_s=("startup_s", "median"),
        work_median_s=("work_s", "median"),
        wall_s=("wall_s", "sum"),
        startup_s=("startup_s", "sum"),
        work_s=("work_s", "sum"),
    )
    total = table.sum(numeric_only=True)
    total[["wall_median_s", "startup_median_s", "work_median_s"]] = float("nan")
    table.loc["all jobs"] = total
    table["startup_share"] = table["startup_s"] / table["wall_s"]
    table["overhead_share"] = 1 - table["work_s"] / table["wall_s"]
    return table


def print_shares(title: str, table: pd.DataFrame) -> None:
    print(title)
    print(
        f"  {'job':26s} {'jobs':>5s} {'median wall':>12s} {'start-up':>9s} {'work':>7s} "
        f"{'start-up share':>15s} {'overhead share':>15s}"
    )
    for kind, row in table.iterrows():
        medians = (
            f"{row.wall_median_s:10.2f} s {row.startup_median_s:7.2f} s {row.work_median_s:5.2f} s"
            if kind != "all jobs"
            else f"{'':12s} {'':9s} {'':7s}"
        )
        print(
            f"  {kind:26s} {int(row.jobs):5d} {medians} {100 * row.startup_share:14.1f}% "
            f"{100 * row.overhead_share:14.1f}%"
        )


def run_jobs(scratch: Path, warm: str) -> tuple[float, pd.DataFrame]:
    root = copy_workflow(scratch)
    env = {"RLTICKETS_WARM_WORKER": warm}
    seconds, _ = timed_snakemake(root, *chain_targets(), "--cores", "1", extra_env=env)
    return seconds, job_costs(root / "results" / "benchmarks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-jobs", action="store_true", help="only the import timings (and --results)")
    parser.add_argument("--results", type=Path, help="a finished run's results/ folder: shares over all its jobs")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/rltickets_bench_startup"))
    args = parser.parse_args()
    print(f"machine: {load()}; other busy processes: {busy_processes() or 'none'}")
    for name, code in IMPORTS.items():
        wall, cpu = time_import(code, args.repeats)
        print(f"start-up  {name:58s} wall {wall:6.2f} s  cpu {cpu:6.2f} s  (median of {args.repeats})")
    if not args.skip_jobs:
        for mode, warm in MODES.items():
            seconds, jobs = run_jobs(args.scratch / mode.split()[0], warm)
            table = shares(jobs)
            around = seconds - table.loc["all jobs", "wall_s"]
            print_shares(
                f"default config, CartPole-v1 seed 0 chains, --cores 1, {mode}: run {seconds:.1f} s, of which "
                f"{around:.1f} s ({100 * around / seconds:.1f}%) outside the jobs (Snakemake: DAG, scheduling, checks)",
                table,
            )
    if args.results is not None:
        jobs = job_costs(args.results / "benchmarks")
        print_shares(f"every job with a benchmark file under {args.results}:", shares(jobs.dropna(subset=["work_s"])))
        print(f"  ({int(jobs['work_s'].isna().sum())} jobs without a usage record left out)")
    print(f"machine after: {load()}")


if __name__ == "__main__":
    main()
