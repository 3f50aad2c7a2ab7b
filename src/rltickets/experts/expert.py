"""A dense PPO expert of one task and seed, trained for the task's `expert` budget from the seed's own init."""

from __future__ import annotations

from typing import Any

from stable_baselines3 import PPO

from ..core.ppo import train_ppo
from ..infra.settings import TaskSettings


def train_expert(task_id: str, settings: TaskSettings, seed: int) -> tuple[PPO, dict[str, Any]]:
    return train_ppo(task_id, settings, seed, settings.need("expert"))
