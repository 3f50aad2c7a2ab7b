"""The first line of every table and figure script, `start_analysis_job(snakemake)`: the job's stdout, stderr and
logging go to its `log:` file. Training scripts start with `training_jobs.start_training_job`, which adds one torch
thread and the numerics check to this. What a job cost is Snakemake's business: its `benchmark:` file.

Table and figure jobs never import torch, stable-baselines3 or gymnasium (envs/analysis.yaml has none of them;
tests/test_envs.py checks every script's imports), so this module must not either.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def start_analysis_job(snakemake) -> logging.Logger:
    """A table or figure job: stdout, stderr and logging into its `log:` file."""
    return start_job_log(snakemake)


def start_job_log(snakemake) -> logging.Logger:
    log_path = Path(snakemake.log[0])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    stream = open(log_path, "w", buffering=1)  # noqa: SIM115 - lives as long as the job
    sys.stdout = sys.stderr = stream
    logging.basicConfig(stream=stream, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True)
    logger = logging.getLogger(snakemake.rule)
    logger.info("rule %s, wildcards %s", snakemake.rule, dict(snakemake.wildcards))
    return logger
