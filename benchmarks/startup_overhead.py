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
4. with --from-results DIR and --last-level L: only the two level-L jobs of the CartPole-v1 RL and BC chains (every
   seed of the job's batch), rerun --repeats times in each mode, interleaved, in a scratch copy that holds their
   inputs copied from the finished run DIR. What a cold start adds to a real job of today's size, without
   rerunning the chains below it.

    .venv/bin/python benchmarks/startup_overhead.py [--repeats 5] [--skip-jobs] [--results results]
"""

from __future__ import annotations

import argparse
import resource
import shutil
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


def chain_targets(last_level: int | None) -> list[str]:
    """Level `last_level` (default: the config's last) of the CartPole-v1 RL and BC chains, seed 0's file: the job
    makes every seed of its batch (`imp.seeds_per_job`)."""
    if last_level is None:
        last_level = yaml.safe_load((REPO / "config.yaml").read_text())["imp"]["levels"]
    return [f"results/imp/{p}/CartPole-v1/seed0/level{last_level}/metrics.json" for p in ("rl", "bc")]


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


def run_jobs(scratch: Path, warm: str, last_level: int | None) -> tuple[float, pd.DataFrame]:
    root = copy_workflow(scratch)
    env = {"RLTICKETS_WARM_WORKER": warm}
    seconds, _ = timed_snakemake(root, *chain_targets(last_level), "--cores", "1", extra_env=env)
    return seconds, job_costs(root / "results" / "benchmarks")


def copy_level_inputs(run: Path, root: Path, level: int) -> None:
    """What the CartPole-v1 level-`level` jobs read, copied with their times from a finished run's results/."""
    wanted = [f"results/{stage}/CartPole-v1" for stage in ("experts", "init", "bc_data")]
    wanted += [str(p.relative_to(run)) for p in run.glob(f"results/imp/*/CartPole-v1/seed*/level{level - 1}")]
    for rel in wanted:
        if not (run / rel).exists():
            raise SystemExit(f"{run / rel} is missing: --from-results needs a run that reached level {level - 1}")
        shutil.copytree(run / rel, root / rel, copy_function=shutil.copy2, dirs_exist_ok=True)


def rerun_level_jobs(run: Path, scratch: Path, level: int, repeats: int) -> dict[str, pd.DataFrame]:
    """Per mode, the level-`level` jobs' costs over `repeats` forced reruns, the modes interleaved."""
    roots = {}
    for mode in MODES:
        roots[mode] = copy_workflow(scratch / mode.split()[0])
        copy_level_inputs(run, roots[mode], level)
    costs: dict[str, list[pd.DataFrame]] = {mode: [] for mode in MODES}
    for _ in range(repeats):
        for mode, warm in MODES.items():
            env = {"RLTICKETS_WARM_WORKER": warm}
            timed_snakemake(roots[mode], "--cores", "1", "--force", *chain_targets(level), extra_env=env)
            costs[mode].append(job_costs(roots[mode] / "results" / "benchmarks"))
    return {mode: pd.concat(frames, ignore_index=True) for mode, frames in costs.items()}


def print_cpu_startup(runs: dict[str, pd.DataFrame]) -> None:
    """CPU seconds per job, cold vs warm: a cold job's record counts its whole process, a warm job's only the
    forked child, so the difference is what a cold start costs. On a busy machine CPU time is the fair measure
    (wall time there mostly measures waiting for a core)."""
    cold, warm = (runs[mode].assign(kind=runs[mode]["job"].map(job_kind)) for mode in MODES)
    print("CPU seconds per job (median over the reruns), cold vs warm:")
    for kind in sorted(cold["kind"].unique()):
        c = cold.loc[cold["kind"] == kind, "cpu_s"].median()
        w = warm.loc[warm["kind"] == kind, "cpu_s"].median()
        print(f"  {kind:26s} cold {c:8.2f} s  warm {w:8.2f} s  start-up {c - w:6.2f} s = {100 * (c - w) / c:5.1f}%")
    c, w = cold["cpu_s"].sum(), warm["cpu_s"].sum()
    print(f"  {'all':26s} cold {c:8.2f} s  warm {w:8.2f} s  cold start-up share {100 * (c - w) / c:5.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-jobs", action="store_true", help="only the import timings (and --results)")
    parser.add_argument("--last-level", type=int, help="run the chains only to this level (default: all levels)")
    parser.add_argument("--results", type=Path, help="a finished run's results/ folder: shares over all its jobs")
    parser.add_argument("--from-results", type=Path, help="a finished run's folder: rerun its level --last-level jobs")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/rltickets_bench_startup"))
    args = parser.parse_args()
    print(f"machine: {load()}; other busy processes: {busy_processes() or 'none'}")
    for name, code in IMPORTS.items():
        wall, cpu = time_import(code, args.repeats)
        print(f"start-up  {name:58s} wall {wall:6.2f} s  cpu {cpu:6.2f} s  (median of {args.repeats})")
    if args.from_results is not None:
        if args.last_level is None or args.last_level < 1:
            raise SystemExit("--from-results needs --last-level L with L >= 1 (the jobs of level L are rerun)")
        runs = rerun_level_jobs(args.from_results, args.scratch, args.last_level, args.repeats)
        for mode, jobs in runs.items():
            title = f"level-{args.last_level} jobs of CartPole-v1 rerun {args.repeats}x, --cores 1, {mode}:"
            print_shares(title, shares(jobs))
        print_cpu_startup(runs)
    elif not args.skip_jobs:
        for mode, warm in MODES.items():
            seconds, jobs = run_jobs(args.scratch / mode.split()[0], warm, args.last_level)
            table = shares(jobs)
            around = seconds - table.loc["all jobs", "wall_s"]
            print_shares(
                f"default config, CartPole-v1 chains to level {args.last_level or 'the last'}, --cores 1, {mode}: "
                f"run {seconds:.1f} s, of which "
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
