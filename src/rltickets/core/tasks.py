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
    # "discrete" (BC: cross-entropy on the expert's action) or "continuous" (BC: MSE on the Gaussian mean).
    action_space: str = "discrete"
    # Image observations (channel, row, col), e.g. the gridworld: channel names and (rows, cols), so that input-mask
    # tables can say which channel and cell an input unit is. Empty for flat state vectors.
    image_channels: tuple[str, ...] = ()
    image_size: tuple[int, int] | None = None

    @property
    def continuous(self) -> bool:
        return self.action_space == "continuous"


# The visual gridworld of this project (rltickets.envs.patrol_grid; registered on `import rltickets.envs`).
PATROL_GRID_CHANNELS = ("agent", "goal", "walls", "enemy", "noise")
PATROL_GRID_SIZE = 7


def patrol_route(size: int) -> list[tuple[int, int]]:
    """The enemy's fixed route: down the middle column from the top interior cell to the bottom one and back."""
    column = size // 2
    down = [(row, column) for row in range(1, size - 1)]
    return down + down[-2:0:-1]


def image_input_names(channels: tuple[str, ...], rows: int, cols: int) -> tuple[str, ...]:
    """Names of a flattened (channel, row, col) image observation, in SB3's flattening order."""
    return tuple(f"{channel} ({row},{col})" for channel in channels for row in range(rows) for col in range(cols))


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
    "PatrolGrid-v0": TaskSpec(
        env_id="PatrolGrid-v0",
        algorithm="ppo",
        n_envs=8,
        # No zoo entry exists for this env: generic small-env PPO values [R]. gamma 0.99, not 0.95: with 0.95 the
        # discounted cost of waiting out the 50 steps (about -0.6) beats the risk of crossing the enemy's column,
        # and some seeds never leave the start column; with 0.99 they learn to cross (~0.8 return in 6e4 steps).
        ppo=dict(
            n_steps=128,
            batch_size=256,
            gae_lambda=0.95,
            gamma=0.99,
            n_epochs=4,
            ent_coef=0.01,
            learning_rate=0.001,
        ),
        input_names=image_input_names(PATROL_GRID_CHANNELS, PATROL_GRID_SIZE, PATROL_GRID_SIZE),
        image_channels=PATROL_GRID_CHANNELS,
        image_size=(PATROL_GRID_SIZE, PATROL_GRID_SIZE),
        notes="this project's gridworld (rltickets.envs); PPO values are ours, not the zoo's",
    ),
    # ---- Continuous control: gymnasium's MuJoCo tasks (the paper used PyBullet, whose gym envs are
    # unmaintained; docs/protocol.md §1.1) and Pendulum-v1 as the cheap stand-in for small configs. ----
    "Pendulum-v1": TaskSpec(
        env_id="Pendulum-v1",
        algorithm="ppo",
        action_space="continuous",
        n_envs=4,
        # zoo: also use_sde with sde_sample_freq 4; we keep the plain Gaussian policy so that its mean network is
        # the masked actor in every continuous task.
        ppo=dict(n_steps=1024, gae_lambda=0.95, gamma=0.9, n_epochs=10, ent_coef=0.0, learning_rate=1e-3),
        input_names=("cos theta", "sin theta", "angular velocity"),
        notes="zoo's use_sde dropped (plain Gaussian policy)",
    ),
    "InvertedPendulum-v5": TaskSpec(
        env_id="InvertedPendulum-v5",
        algorithm="ppo",
        action_space="continuous",
        n_envs=8,
        # The zoo's InvertedPendulum entry (n_envs 1, n_steps 32, VecNormalize) takes ~1e6 steps; SB3's PPO
        # defaults with 8 envs x 256 steps solve it (return 1000) in ~6e4 steps on raw observations.
        ppo=dict(n_steps=256, batch_size=256, gae_lambda=0.95, gamma=0.99, n_epochs=10, learning_rate=3e-4),
        input_names=("cart position", "pole angle", "cart velocity", "pole angular velocity"),
        notes="SB3 PPO defaults with 8 envs x 256 steps, not the zoo entry; raw observations",
    ),
    "Hopper-v5": TaskSpec(
        env_id="Hopper-v5",
        algorithm="ppo",
        action_space="continuous",
        ppo=dict(
            batch_size=32,
            n_steps=512,
            gamma=0.999,
            learning_rate=9.80828e-05,
            ent_coef=0.00229519,
            clip_range=0.2,
            n_epochs=5,
            gae_lambda=0.99,
            max_grad_norm=0.7,
            vf_coef=0.835671,
        ),
        input_names=(
            "torso z",
            "torso angle",
            "thigh angle",
            "leg angle",
            "foot angle",
            "torso x velocity",
            "torso z velocity",
            "torso angular velocity",
            "thigh angular velocity",
            "leg angular velocity",
            "foot angular velocity",
        ),
        notes="zoo Hopper-v4 values; VecNormalize dropped (raw observations)",
    ),
    "HalfCheetah-v5": TaskSpec(
        env_id="HalfCheetah-v5",
        algorithm="ppo",
        action_space="continuous",
        ppo=dict(
            batch_size=64,
            n_steps=512,
            gamma=0.98,
            learning_rate=2.0633e-05,
            ent_coef=0.000401762,
            clip_range=0.1,
            n_epochs=20,
            gae_lambda=0.92,
            max_grad_norm=0.8,
            vf_coef=0.58096,
        ),
        input_names=(),
        notes="zoo HalfCheetah-v4 values; VecNormalize dropped (raw observations)",
    ),
    "Walker2d-v5": TaskSpec(
        env_id="Walker2d-v5",
        algorithm="ppo",
        action_space="continuous",
        ppo=dict(
            batch_size=32,
            n_steps=512,
            gamma=0.99,
            learning_rate=5.05041e-05,
            ent_coef=0.000585045,
            clip_range=0.1,
            n_epochs=20,
            gae_lambda=0.95,
            max_grad_norm=1.0,
            vf_coef=0.871923,
        ),
        input_names=(),
        notes="zoo Walker2d-v4 values; VecNormalize dropped (raw observations)",
    ),
    "Ant-v5": TaskSpec(
        env_id="Ant-v5",
        algorithm="ppo",
        action_space="continuous",
        # The zoo's Ant-v4 entry uses SB3's PPO defaults (and VecNormalize).
        ppo={},
        input_names=(),
        notes="zoo Ant-v4 (SB3 defaults); VecNormalize dropped (raw observations)",
    ),
}


# A variant chain (the claim-1 sensitivity study, rltickets.sensitivity) is named `<task>@<arm>`, e.g.
# `CartPole-v1@width32`: the base task's environment and registry entry, with the arm's settings.
VARIANT_SEPARATOR = "@"


def variant_task_id(task_id: str, arm: str) -> str:
    """The chain id of `arm`'s variant of `task_id`, e.g. `CartPole-v1@width32`."""
    return f"{task_id}{VARIANT_SEPARATOR}{arm}"


def base_task_id(task_id: str) -> str:
    """The registered task a chain id stands for: the id itself, or a variant's base task."""
    return task_id.split(VARIANT_SEPARATOR, 1)[0]


def env_id(task_id: str) -> str:
    """The gymnasium id to build for a task or variant chain id."""
    return get_task(task_id).env_id


def input_names(task_id: str, n_inputs: int) -> list[str]:
    """Names of a task's observation dimensions; `obs[i]` where the registry names none."""
    names = get_task(task_id).input_names if base_task_id(task_id) in TASKS else ()
    return list(names) if len(names) == n_inputs else [f"obs[{i}]" for i in range(n_inputs)]


def continuous_task_ids() -> list[str]:
    return sorted(task_id for task_id, spec in TASKS.items() if spec.continuous)


def known_task_ids() -> list[str]:
    return sorted(TASKS)


def get_task(task_id: str) -> TaskSpec:
    """The registry entry of a task, or of a variant chain's base task."""
    try:
        return TASKS[base_task_id(task_id)]
    except KeyError:
        raise KeyError(f"unknown task id {task_id!r}; known tasks: {', '.join(known_task_ids())}") from None
