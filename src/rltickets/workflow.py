"""Helpers shared by the thin scripts in workflow_scripts/: logging, threads, loading what rules wire in."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def start_job(snakemake) -> logging.Logger:
    """Send this job's stdout, stderr and logging to its `log:` file and pin torch to one thread."""
    import torch

    torch.set_num_threads(1)
    log_path = Path(snakemake.log[0])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    stream = open(log_path, "w", buffering=1)  # noqa: SIM115 - lives as long as the job
    sys.stdout = sys.stderr = stream
    logging.basicConfig(stream=stream, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True)
    logger = logging.getLogger(snakemake.rule)
    logger.info("rule %s, wildcards %s", snakemake.rule, dict(snakemake.wildcards))
    return logger


def provenance() -> dict[str, str]:
    """Library versions that produced an artefact (stored in metrics.json next to the settings)."""
    import platform
    from importlib.metadata import version

    libraries = ("rltickets", "torch", "stable-baselines3", "gymnasium", "numpy")
    return {"python": platform.python_version(), **{name: version(name) for name in libraries}}
