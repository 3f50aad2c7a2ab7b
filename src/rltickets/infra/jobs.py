"""The first line of every table and figure script, `start_analysis_job(snakemake)`: the job's stdout, stderr and
logging go to its `log:` file, and its usage record (CPU time, peak memory, start-up) is written beside its
benchmark file at the end. Training scripts start with `training_jobs.start_training_job`, which adds a warm worker
and one torch thread to this.

Table and figure jobs never import torch, stable-baselines3 or gymnasium (envs/analysis.yaml has none of them;
tests/test_envs.py checks every script's imports), so this module must not either.
"""

from __future__ import annotations

import atexit
import logging
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

from .layout import BENCHMARKS, LOGS

_job_end_hooks: list[Callable[[], None]] = []


def start_analysis_job(snakemake) -> logging.Logger:
    """A table or figure job: log and usage record, in its own process (it is cheap, and imports no torch)."""
    return log_and_record(snakemake, process_start_time(), warm=False)


def log_and_record(snakemake, started: float, warm: bool) -> logging.Logger:
    log_path = Path(snakemake.log[0])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    stream = open(log_path, "w", buffering=1)  # noqa: SIM115 - lives as long as the job
    sys.stdout = sys.stderr = stream
    logging.basicConfig(stream=stream, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True)
    logger = logging.getLogger(snakemake.rule)
    logger.info("rule %s, wildcards %s", snakemake.rule, dict(snakemake.wildcards))
    if (usage := usage_path(snakemake.log[0])) is not None:
        work_start = time.time()
        _add_job_end_hook(lambda: write_usage(usage, snakemake.rule, started, work_start, warm), warm)
    return logger


def process_start_time(pid: int | str = "self") -> float:
    """When a process started, in seconds since the epoch (Linux /proc; 10 ms resolution)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    started_after_boot = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22 of proc(5): starttime, in ticks
    # The age on the clock starttime is counted on (/proc/stat's btime is whole seconds: too coarse here).
    return time.time() - (time.clock_gettime(time.CLOCK_BOOTTIME) - started_after_boot)


def usage_path(log_path: str) -> Path | None:
    """Where a job records its own CPU time, peak memory and start-up: beside its benchmark file
    (results/logs/<rule>/<x>.log -> results/benchmarks/<rule>/<x>.usage.json); None for a log elsewhere."""
    log, logs = Path(log_path).as_posix(), LOGS + "/"
    if not (log.startswith(logs) and log.endswith(".log")):
        return None
    return Path(f"{BENCHMARKS}/{log[len(logs) : -len('.log')]}.usage.json")


def job_usage(started: float, work_start: float, warm: bool) -> dict[str, float | bool]:
    """This process's (and its waited-for children's) CPU seconds and peak memory, and where its wall time went:
    `startup_s` from the job's process start to the work (interpreter, imports, or handing over to a warm worker),
    `work_s` from there to now."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    now = time.time()
    return {
        "cpu_s": round(own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime, 3),
        "max_rss_mb": round(max(own.ru_maxrss, children.ru_maxrss) / 1024, 1),  # Linux: kilobytes
        "startup_s": round(work_start - started, 3),
        "work_s": round(now - work_start, 3),
        "warm": warm,
    }


def write_usage(path: Path, rule: str, started: float, work_start: float, warm: bool) -> None:
    from .artifacts import save_json

    save_json(path, {"rule": rule, **job_usage(started, work_start, warm)})


def _add_job_end_hook(hook: Callable[[], None], in_worker: bool) -> None:
    _job_end_hooks.append(hook)
    if not in_worker:  # a cold process ends normally; a warm worker's child calls run_job_end_hooks()
        atexit.register(run_job_end_hooks)


def run_job_end_hooks() -> None:
    """Run (once) what the job's start arranged for its end; failures here never fail the job."""
    while _job_end_hooks:
        hook = _job_end_hooks.pop()
        try:
            hook()
        except Exception as err:  # noqa: BLE001 - a usage record is bookkeeping, not a result
            print(f"rltickets: could not write the job's usage record: {err}", file=sys.stderr)
