"""The first line of every training script, `start_training_job(snakemake)`: torch is pinned to one thread; the
log is arranged as for every job (`jobs.start_job_log`); the job fails at once if the CPU code paths the config
pins (`numerics`) are not in effect."""

from __future__ import annotations

import logging
from typing import Any

from .jobs import start_job_log
from .numerics import check_numerics, cpu_provenance


def start_training_job(snakemake) -> logging.Logger:
    """A training job: one torch thread, log, numerics checked."""
    import torch

    torch.set_num_threads(1)
    logger = start_job_log(snakemake)
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
