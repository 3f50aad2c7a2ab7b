"""Expert rollouts -> a behavioural-cloning dataset, and its checks."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from stable_baselines3.common.env_util import make_vec_env

from ..core.tasks import env_id, get_task
from ..infra.artifacts import artifact_error, load_npz

# Dataset rollouts use env seeds apart from training and evaluation seeds.
DATASET_SEED_OFFSET = 2_000_003


# The action-noise draws use a generator of their own, seeded apart from the env seeds.
ACTION_NOISE_SEED_OFFSET = 4_000_037


def collect_expert_dataset(
    expert, task_id: str, seed: int, n_transitions: int, action_noise: float = 0.0
) -> dict[str, np.ndarray]:
    """Roll out the expert and record (observation, expert action) pairs.

    The label is always the expert's deterministic action; for continuous actions the one the env receives (the
    Gaussian mean, clipped to the action bounds), so the student learns what the expert does. With
    `action_noise` = 0 the env is stepped with that action (the expert's own state distribution); with
    `action_noise` > 0 it is stepped with `perturbed_actions` (DART-style data: the states around the expert's
    path that its students drift into, labelled with what the expert would do there)."""
    env = make_vec_env(env_id(task_id), n_envs=8, seed=seed + DATASET_SEED_OFFSET)
    noise = np.random.default_rng(seed + ACTION_NOISE_SEED_OFFSET)
    observations, actions, episode_returns = [], [], []
    obs = env.reset()
    collected = 0
    while collected < n_transitions:
        action, _ = expert.predict(obs, deterministic=True)
        observations.append(obs.copy())
        actions.append(action.copy())
        collected += len(obs)
        if action_noise > 0:
            action = perturbed_actions(action, env.action_space, action_noise, noise)
        obs, _, _, infos = env.step(action)
        episode_returns += [info["episode"]["r"] for info in infos if "episode" in info]
    return {
        "observations": np.concatenate(observations)[:n_transitions].astype(np.float32),
        "actions": np.concatenate(actions)[:n_transitions].astype(action_dtype(task_id)),
        "episode_returns": np.asarray(episode_returns, dtype=np.float64),
    }


def perturbed_actions(actions: np.ndarray, action_space, action_noise: float, rng: np.random.Generator) -> np.ndarray:
    """The expert's actions as the env is stepped with them under `action_noise` = p. Discrete: each action is
    replaced with probability p by a uniformly random one (which may equal it). Continuous: Gaussian noise of std
    p × (high − low) per dimension, clipped to the bounds."""
    if isinstance(action_space, spaces.Discrete):
        replace = rng.random(actions.shape) < action_noise
        random = action_space.start + rng.integers(action_space.n, size=actions.shape)
        return np.where(replace, random, actions).astype(actions.dtype)
    if isinstance(action_space, spaces.Box):
        low, high = action_space.low, action_space.high
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise ValueError("action noise on a continuous action space needs finite bounds")
        noisy = actions + rng.normal(size=actions.shape) * action_noise * (high - low)
        return np.clip(noisy, low, high).astype(actions.dtype)
    raise TypeError(f"action noise for a {type(action_space).__name__} action space is not implemented")


def action_dtype(task_id: str):
    return np.float32 if get_task(task_id).continuous else np.int64


def check_dataset(data: dict[str, np.ndarray]) -> str | None:
    """Return what is wrong with a BC dataset, or None."""
    n_obs, n_act = len(data["observations"]), len(data["actions"])
    if n_obs != n_act:
        return f"{n_obs} observations but {n_act} actions"
    if n_obs == 0:
        return "no transitions"
    return None


def load_bc_dataset(path) -> dict[str, np.ndarray]:
    """A dataset written by `collect_bc_dataset`, checked: a damaged one raises an error naming the file, what is
    wrong and the rule that makes it."""
    dataset = load_npz(path, required=("observations", "actions"))
    if problem := check_dataset(dataset):
        raise artifact_error(path, problem)
    return dataset
