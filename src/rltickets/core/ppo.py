"""PPO agents on stable-baselines3: construction from the task registry, training with periodic evaluation.

Read top to bottom: `make_ppo` builds the agent a task and config describe, `evaluate` runs deterministic
episodes, `train_ppo` trains (optionally masked) and records the evaluation history.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.logger import Logger
from stable_baselines3.common.utils import LinearSchedule, set_random_seed

from ..infra.settings import Network, PpoBudget, TaskSettings
from . import envs  # noqa: F401 - registers this project's gymnasium envs (PatrolGrid-v0) before make_vec_env
from .masking import mask_sb3_model
from .observations import ObservationStandardization
from .tasks import env_id, get_task

ACTIVATIONS = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}
# Evaluation episodes use env seeds far from the training seeds.
EVAL_SEED_OFFSET = 1_000_003


def eval_seed(stream_seed: int, index: int) -> int:
    """The seed of the envs of a network's `index`-th fresh evaluation (its env i gets + i): the first evaluation
    uses `stream_seed + EVAL_SEED_OFFSET`, later ones a seed derived from (stream seed, index) only."""
    base = stream_seed + EVAL_SEED_OFFSET
    if index == 0:
        return base
    return int(np.random.SeedSequence([base, index]).generate_state(1)[0] >> 1)  # 31 bits, far from small seeds


def seed_everything(seed: int) -> None:
    """One torch thread per job (parallelism comes from Snakemake) and all RNGs seeded."""
    torch.set_num_threads(1)
    set_random_seed(seed)


def zoo_value(value: Any) -> Any:
    """rl-baselines3-zoo writes linear schedules as "lin_<start>"; SB3 wants a function of progress."""
    if isinstance(value, str) and value.startswith("lin_"):
        return LinearSchedule(float(value[4:]), 0.0, 1.0)
    return value


def ppo_hyperparameters(task_id: str, settings: TaskSettings) -> dict[str, Any]:
    """Zoo hyper-parameters of the task, with the config's `ppo` overrides on top."""
    merged = {**get_task(task_id).ppo, **settings.ppo_overrides}
    return {key: zoo_value(value) for key, value in merged.items()}


def policy_kwargs(net: Network) -> dict[str, Any]:
    # ortho_init=False keeps PyTorch's fan-in scaled default init. SB3's orthogonal init gives the action layer
    # gain 0.01, 100x smaller than the hidden layers, so global magnitude pruning would delete the whole output
    # layer at the first level; the choice is a config key ([R], docs/protocol.md §1.2).
    return dict(
        activation_fn=ACTIVATIONS[net.activation],
        net_arch=dict(pi=list(net.actor), vf=list(net.critic)),
        ortho_init=net.ortho_init,
    )


def make_eval_env(task_id: str, seed: int, n_episodes: int, wrapper: dict[str, Any] | None = None, index: int = 0):
    """min(n_episodes, 10) evaluation envs of the network with stream seed `seed`, seeded for its `index`-th fresh
    evaluation (`eval_seed`; a persistent eval env is index 0). `wrapper`: make_vec_env's wrapper_class /
    wrapper_kwargs, e.g. an observation wrapper."""
    return make_vec_env(env_id(task_id), n_envs=min(n_episodes, 10), seed=eval_seed(seed, index), **(wrapper or {}))


def without_log_folder(model):
    """SB3 at verbose=0 still creates an empty /tmp/SB3-<date> folder per `learn()`; a logger with no outputs
    avoids thousands of them in a pipeline run."""
    model.set_logger(Logger(folder=None, output_formats=[]))
    return model


def make_ppo(task_id: str, settings: TaskSettings, seed: int, wrapper: dict[str, Any] | None = None) -> PPO:
    seed_everything(seed)
    env = make_vec_env(env_id(task_id), n_envs=get_task(task_id).n_envs, seed=seed, **(wrapper or {}))
    model = PPO(
        "MlpPolicy",
        env,
        seed=seed,
        device="cpu",
        verbose=0,
        policy_kwargs=policy_kwargs(settings.network),
        **ppo_hyperparameters(task_id, settings),
    )
    return without_log_folder(model)


def initial_parameters(task_id: str, settings: TaskSettings, seed: int) -> dict[str, torch.Tensor]:
    """θ0: the freshly initialised policy (actor and critic) of this task and seed."""
    return {k: v.detach().clone() for k, v in make_ppo(task_id, settings, seed).policy.state_dict().items()}


def evaluate(policy, eval_env, n_episodes: int) -> tuple[float, float]:
    mean, std = evaluate_policy(policy, eval_env, n_eval_episodes=n_episodes, deterministic=True)
    return float(mean), float(std)


def summarise_history(history: list[dict[str, float]]) -> dict[str, float]:
    """Best performance = max over the periodic evaluations; final = the last one."""
    means = [h["mean_return"] for h in history]
    return {"best_return": float(np.max(means)), "final_return": float(means[-1])}


class PeriodicEvaluation(BaseCallback):
    """Every `every_steps` environment steps, run deterministic episodes and record the mean return."""

    def __init__(self, eval_env, n_episodes: int, every_steps: int):
        super().__init__()
        self.eval_env, self.n_episodes, self.every_steps = eval_env, n_episodes, every_steps
        self.history: list[dict[str, float]] = []
        self._next = every_steps

    def evaluate_now(self) -> None:
        mean, std = evaluate(self.model, self.eval_env, self.n_episodes)
        self.history.append({"step": int(self.num_timesteps), "mean_return": mean, "std_return": std})

    def _on_step(self) -> bool:
        if self.num_timesteps >= self._next:
            self._next += self.every_steps
            self.evaluate_now()
        return True

    def _on_training_end(self) -> None:
        if not self.history or self.history[-1]["step"] < self.num_timesteps:
            self.evaluate_now()  # the final performance is always measured at the end


def train_ppo(
    task_id: str,
    settings: TaskSettings,
    seed: int,
    budget: PpoBudget,
    theta0: dict[str, torch.Tensor] | None = None,
    masks: dict[str, torch.Tensor] | None = None,
    observation_standardization: ObservationStandardization | None = None,
) -> tuple[PPO, dict[str, Any]]:
    """Train PPO from θ0 (if given) under `masks` (if given) for `budget`, evaluating every `eval_every_steps`.
    With `observation_standardization` the training and evaluation envs hand the agent standardised observations."""
    start = time.perf_counter()
    wrapper = None if observation_standardization is None else observation_standardization.sb3_wrapper()
    model = make_ppo(task_id, settings, seed, wrapper)
    if masks is not None:
        mask_sb3_model(model, masks)
    if theta0 is not None:
        model.policy.load_state_dict(theta0)  # the mask's load hook re-zeroes pruned weights
    eval_env = make_eval_env(task_id, seed, budget.eval_episodes, wrapper)
    callback = PeriodicEvaluation(eval_env, budget.eval_episodes, budget.eval_every_steps)
    model.learn(total_timesteps=budget.total_timesteps, callback=callback)
    metrics = {
        **summarise_history(callback.history),
        "history": callback.history,
        "train_steps": int(model.num_timesteps),
        "wall_time_s": time.perf_counter() - start,
    }
    return model, metrics
