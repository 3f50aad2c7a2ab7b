"""The first line of every training script, `start_training_job(snakemake)`: the job moves into a warm worker if
one can take it (`worker`), so the imports below the call cost nothing there; torch is pinned to one thread; the
log and the usage record are arranged as for every job (`jobs.log_and_record`); the job fails at once if the CPU
code paths the config pins (`numerics`) are not in effect."""

from __future__ import annotations

import logging
from typing import Any

from .jobs import log_and_record
from .numerics import check_numerics, cpu_provenance


def start_training_job(snakemake) -> logging.Logger:
    """A training job: warm worker if possible, one torch thread, log, usage record, numerics checked."""
    from . import worker

    worker.delegate_to_warm_worker()  # returns only where the job is to run: in a warm worker, or cold here
    started = worker.JOB_PROCESS_START if worker.IN_WORKER else worker.process_start_time()
    import torch

    torch.set_num_threads(1)
    logger = log_and_record(snakemake, started, warm=worker.IN_WORKER)
    check_numerics()  # after torch's import: what it and MKL actually run is checked, not only the environment
    return logger


def provenance() -> dict[str, Any]:
    """Library versions and the CPU (`cpu`: model, flags, torch's capability, BLAS, pinned numerics) that produced
    an artefact (stored in metrics.json next to the settings)."""
    import platform
    from importlib.metadata import version

    libraries = ("rltickets", "torch", "stable-baselines3", "gymnasium", "numpy")
    return {"python": platform.python_version(), **{name: version(name) for name in libraries}, "cpu": cpu_provenance()}


def file_list(files: str | list[str]) -> list[str]:
    """A named input or output of a job as a list: Snakemake gives one file as a str and several as a list."""
    return [files] if isinstance(files, str) else list(files)
