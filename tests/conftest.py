import copy
import os
import subprocess
from pathlib import Path

import pytest
import torch
import yaml

from rltickets.scratch import BIN, REPO, copy_workflow, snakemake_env

__all__ = ["BIN", "REPO", "copy_workflow", "snakemake", "scheduled_outputs", "load_config"]
os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(1)


def load_config(name: str = "config.yaml") -> dict:
    return yaml.safe_load((REPO / name).read_text())


@pytest.fixture
def default_config() -> dict:
    return copy.deepcopy(load_config())


@pytest.fixture
def tiny_settings() -> dict:
    """CartPole settings with budgets small enough for unit tests (seconds), same code paths as the pipeline."""
    settings = copy.deepcopy(load_config("configs/ci.yaml")["task_settings"]["CartPole-v1"])
    settings["rl"] = {"total_timesteps": 512, "eval_every_steps": 256, "eval_episodes": 2}
    return settings


# ---- Running the workflow as a user would (shared by every workflow test; rltickets.scratch) ----
def snakemake(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(BIN / "snakemake"), *args], cwd=cwd, env=snakemake_env(), capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def scheduled_outputs(proc: subprocess.CompletedProcess) -> list[str]:
    """The `output:` lines of the jobs a dry-run would run."""
    return [line.split(":", 1)[1] for line in proc.stdout.splitlines() if line.strip().startswith("output:")]


@pytest.fixture(scope="session")
def ci_run(tmp_path_factory) -> Path:
    """One real run of the whole ci preset, shared by every test file that needs a finished run (read-only:
    a test that changes files copies the folder first).

    For development, RLTICKETS_CI_RUN=<dir> keeps the run in <dir> across pytest sessions: the workflow files are
    copied over it and Snakemake only brings it up to date. CI never sets it."""
    reuse = os.environ.get("RLTICKETS_CI_RUN")
    root = copy_workflow(Path(reuse) if reuse else tmp_path_factory.mktemp("ci_run"))
    snakemake(root, "--cores", "2", "--configfile", "configs/ci.yaml")
    return root
