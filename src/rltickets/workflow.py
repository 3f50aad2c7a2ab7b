"""Helpers shared by the thin scripts in workflow_scripts/: job start (warm worker, log, threads), usage records.

Every workflow script starts with `start_job(snakemake)` before its other imports: that is where the job moves
into a warm worker (rltickets.worker) if one can take it, so the imports below it cost nothing there.
"""

from __future__ import annotations

import atexit
import logging
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import worker

LOG_ROOT, BENCHMARK_ROOT = "results/logs/", "results/benchmarks/"
_job_end_hooks: list[Callable[[], None]] = []


def start_job(snakemake) -> logging.Logger:
    """Move the job into a warm worker if one can take it; then send its stdout, stderr and logging to its
    `log:` file, pin torch to one thread and arrange for its usage record (see `usage_path`)."""
    worker.delegate_to_warm_worker()  # returns only where the job is to run: in a warm worker, or cold here
    started = worker.JOB_PROCESS_START if worker.IN_WORKER else worker.process_start_time()
    import torch

    torch.set_num_threads(1)
    log_path = Path(snakemake.log[0])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    stream = open(log_path, "w", buffering=1)  # noqa: SIM115 - lives as long as the job
    sys.stdout = sys.stderr = stream
    logging.basicConfig(stream=stream, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True)
    logger = logging.getLogger(snakemake.rule)
    logger.info("rule %s, wildcards %s", snakemake.rule, dict(snakemake.wildcards))
    if (usage := usage_path(snakemake.log[0])) is not None:
        work_start = time.time()
        _add_job_end_hook(lambda: write_usage(usage, snakemake.rule, started, work_start))
    return logger


def usage_path(log_path: str) -> Path | None:
    """Where a job records its own CPU time, peak memory and start-up: beside its benchmark file
    (results/logs/<rule>/<x>.log -> results/benchmarks/<rule>/<x>.usage.json); None for a log elsewhere."""
    log = Path(log_path).as_posix()
    if not (log.startswith(LOG_ROOT) and log.endswith(".log")):
        return None
    return Path(BENCHMARK_ROOT + log[len(LOG_ROOT) : -len(".log")] + ".usage.json")


def job_usage(started: float, work_start: float) -> dict[str, float | bool]:
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
        "warm": worker.IN_WORKER,
    }


def write_usage(path: Path, rule: str, started: float, work_start: float) -> None:
    # Imported here: artifacts imports numpy, and this module must stay light for the warm worker's client.
    from .artifacts import save_json

    save_json(path, {"rule": rule, **job_usage(started, work_start)})


def _add_job_end_hook(hook: Callable[[], None]) -> None:
    _job_end_hooks.append(hook)
    if not worker.IN_WORKER:  # a cold process ends normally; a warm worker's child calls run_job_end_hooks()
        atexit.register(run_job_end_hooks)


def run_job_end_hooks() -> None:
    """Run (once) what start_job arranged for the end of the job; failures here never fail the job."""
    while _job_end_hooks:
        hook = _job_end_hooks.pop()
        try:
            hook()
        except Exception as err:  # noqa: BLE001 - a usage record is bookkeeping, not a result
            print(f"rltickets: could not write the job's usage record: {err}", file=sys.stderr)


def provenance() -> dict[str, str]:
    """Library versions that produced an artefact (stored in metrics.json next to the settings)."""
    import platform
    from importlib.metadata import version

    libraries = ("rltickets", "torch", "stable-baselines3", "gymnasium", "numpy")
    return {"python": platform.python_version(), **{name: version(name) for name in libraries}}


def file_list(files: str | list[str]) -> list[str]:
    """A named input or output of a job as a list: Snakemake gives one file as a str and several as a list."""
    return [files] if isinstance(files, str) else list(files)
