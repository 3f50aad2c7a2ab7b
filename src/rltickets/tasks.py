"""Task registry: gymnasium id -> algorithm, rl-baselines3-zoo hyper-parameters, network, input names.

This module must stay import-light (no torch): the Snakefile imports it to validate the config.

Budgets (steps, epochs, eval episodes) are not here: they live in the config, per task, so that changing
one task's budget reruns only that task's jobs. What lives here is what a task *is*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TaskSpec:
    env_id: str
    algorithm: str  # "ppo" for the lottery-ticket study
    # rl-baselines3-zoo hyperparams/ppo.yml for this env ("lin_X" means linear decay from X to 0).
    ppo: dict[str, Any]
    # Names of the observation dimensions, for the inspection command and input-mask tables.
    input_names: tuple[str, ...]
    notes: str = ""
    n_envs: int = 1


TASKS: dict[str, TaskSpec] = {
    "CartPole-v1": TaskSpec(
        env_id="CartPole-v1",
        algorithm="ppo",
        n_envs=8,
        ppo=dict(
            n_steps=32,
            batch_size=256,
            gae_lambda=0.8,
            gamma=0.98,
            n_epochs=20,
            ent_coef=0.0,
            learning_rate="lin_0.001",
            clip_range="lin_0.2",
        ),
        input_names=("cart position", "cart velocity", "pole angle", "pole angular velocity"),
    ),
    "Acrobot-v1": TaskSpec(
        env_id="Acrobot-v1",
        algorithm="ppo",
        n_envs=16,
        ppo=dict(n_steps=256, gae_lambda=0.94, gamma=0.99, n_epochs=4, ent_coef=0.0),
        input_names=(
            "cos theta1",
            "sin theta1",
            "cos theta2",
            "sin theta2",
            "theta1 angular velocity",
            "theta2 angular velocity",
        ),
        # The zoo also wraps Acrobot in VecNormalize. We train on raw observations so that the BC student,
        # the expert and the input-layer mask all see the same inputs; PPO still reaches about -85 in 2e5 steps.
        notes="zoo's `normalize: true` is dropped (raw observations)",
    ),
}


def known_task_ids() -> list[str]:
    return sorted(TASKS)


def get_task(task_id: str) -> TaskSpec:
    try:
        return TASKS[task_id]
    except KeyError:
        raise KeyError(f"unknown task id {task_id!r}; known tasks: {', '.join(known_task_ids())}") from None
