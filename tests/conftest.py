import dataclasses
import os
import subprocess
from pathlib import Path

import pytest
import torch

from rltickets.infra.config import load_config
from rltickets.infra.scratch import BIN, REPO, copy_workflow, snakemake_env
from rltickets.infra.settings import PpoBudget, TaskSettings

__all__ = [
    "BIN",
    "REPO",
    "copy_workflow",
    "snakemake",
    "scheduled_outputs",
    "scheduled_priorities",
    "load_config",
    "ci_task_settings",
]
os.environ.setdefault("OMP_NUM_THREADS", "1")
torch.set_num_threads(1)


# load_config(*overlays): config.yaml with the given presets (configs/ci.yaml, ...) merged over it, as
# `snakemake --configfile <preset>` does; a fresh dict on every call.


def ci_task_settings(task: str) -> TaskSettings:
    """The ci preset's settings of one task, as a job gets them."""
    return TaskSettings.from_dict(load_config("configs/ci.yaml")["task_settings"][task])


@pytest.fixture
def default_config() -> dict:
    return load_config()


@pytest.fixture
def tiny_settings() -> TaskSettings:
    """CartPole settings with budgets small enough for unit tests (seconds), same code paths as the pipeline."""
    settings = ci_task_settings("CartPole-v1")
    return dataclasses.replace(settings, rl=PpoBudget(total_timesteps=512, eval_every_steps=256, eval_episodes=2))


# ---- Running the workflow as a user would (shared by every workflow test; rltickets.infra.scratch) ----
def snakemake(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(BIN / "snakemake"), *args], cwd=cwd, env=snakemake_env(), capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def scheduled_outputs(proc: subprocess.CompletedProcess) -> list[str]:
    """The `output:` lines of the jobs a dry-run would run."""
    return [line.split(":", 1)[1] for line in proc.stdout.splitlines() if line.strip().startswith("output:")]


def scheduled_priorities(proc: subprocess.CompletedProcess) -> dict[str, set[int]]:
    """Per rule, the scheduling priorities of the jobs a dry-run would run (0 where it prints none)."""
    priorities: dict[str, set[int]] = {}
    rule, priority = None, 0
    for line in [*proc.stdout.splitlines(), "rule end:"]:
        if line.startswith(("rule ", "localrule ")):
            if rule is not None:
                priorities.setdefault(rule, set()).add(priority)
            rule, priority = line.split()[1].rstrip(":"), 0
        elif line.strip().startswith("priority:"):
            priority = int(line.split(":", 1)[1])
    return priorities


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
