"""Benchmark (c): dry-run time of the paper DAG (goal <= 20 s) and no-op rerun time (goal <= 30 s).

Measured side by side in one scratch copy of the workflow (nothing is trained):

1. `snakemake -n --configfile configs/paper.yaml` with no results yet: DAG construction for every job.
2. Every output of that dry-run is created as an empty file and `snakemake --touch` orders their timestamps, so
   the whole study looks finished. Then `snakemake -n` (what a user runs to see what is left) and
   `snakemake --cores 1` (a real rerun that must find nothing to do) are timed.

    .venv/bin/python benchmarks/dag_time.py [--configfile configs/paper.yaml] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from _common import busy_processes, copy_workflow, load, timed_snakemake


def scheduled_outputs(stdout: str) -> list[str]:
    """Output files of the jobs a dry-run lists (`output: a, b` lines)."""
    files = []
    for line in stdout.splitlines():
        if line.strip().startswith("output:"):
            files += [name.strip() for name in line.split(":", 1)[1].split(",")]
    return files


def job_count(stdout: str) -> int:
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "total" and parts[1].isdigit():
            return int(parts[1])
    raise SystemExit("no job count in the dry-run output")


def median_time(root: Path, repeats: int, *args: str) -> tuple[float, str]:
    """Median wall seconds of `repeats` calls; prints their median CPU seconds too (robust to a busy machine)."""
    times, cpus, out = [], [], ""
    for _ in range(repeats):
        seconds, proc = timed_snakemake(root, *args)
        times.append(seconds)
        cpus.append(proc.cpu_seconds)
        out = proc.stdout + proc.stderr
    print(f"  snakemake {' '.join(args)}: wall {statistics.median(times):.1f} s, cpu {statistics.median(cpus):.1f} s")
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", default="configs/paper.yaml")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/rltickets_bench_dag"))
    args = parser.parse_args()
    print(f"machine: {load()}; other busy processes: {busy_processes() or 'none'}")
    root = copy_workflow(args.scratch)
    config = ("--configfile", args.configfile)
    dry, out = median_time(root, args.repeats, "-n", *config)
    jobs = job_count(out)
    print(f"dry-run, nothing built yet: {dry:6.1f} s for {jobs} jobs (median of {args.repeats}); goal <= 20 s")

    outputs = scheduled_outputs(out)
    for name in outputs:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    touch_seconds, _ = timed_snakemake(root, "--touch", "--cores", "1", *config)
    print(f"(created {len(outputs)} empty outputs; snakemake --touch took {touch_seconds:.1f} s)")
    noop_dry, out = median_time(root, args.repeats, "-n", *config)
    if "Nothing to be done" not in out:
        raise SystemExit(f"after --touch the dry-run still schedules jobs:\n{out[-2000:]}")
    noop_run, out = median_time(root, args.repeats, "--cores", "1", *config)
    if "Nothing to be done" not in out:
        raise SystemExit(f"the no-op rerun ran jobs:\n{out[-2000:]}")
    print(f"no-op dry-run, all {jobs} jobs done: {noop_dry:6.1f} s (median of {args.repeats})")
    print(f"no-op rerun (--cores 1), all done:  {noop_run:6.1f} s (median of {args.repeats}); goal <= 30 s")
    print(f"machine after: {load()}")


if __name__ == "__main__":
    main()
