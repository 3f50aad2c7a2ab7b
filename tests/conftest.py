import copy
import os
from pathlib import Path

import pytest
import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
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
