"""Expert rollouts -> a behavioural-cloning dataset, and its checks."""

from __future__ import annotations

import numpy as np
from stable_baselines3.common.env_util import make_vec_env

from ..core.tasks import get_task
from ..infra.artifacts import artifact_error, load_npz

# Dataset rollouts use env seeds apart from training and evaluation seeds.
DATASET_SEED_OFFSET = 2_000_003


def collect_expert_dataset(expert, task_id: str, seed: int, n_transitions: int) -> dict[str, np.ndarray]:
    """Roll out the expert's deterministic policy and record (observation, expert action) pairs.

    Continuous actions are the deterministic action as the env receives it (the Gaussian mean, clipped to
    the action bounds), so the student learns what the expert does."""
    env = make_vec_env(task_id, n_envs=8, seed=seed + DATASET_SEED_OFFSET)
    observations, actions, episode_returns = [], [], []
    obs = env.reset()
    collected = 0
    while collected < n_transitions:
        action, _ = expert.predict(obs, deterministic=True)
        observations.append(obs.copy())
        actions.append(action.copy())
        collected += len(obs)
        obs, _, _, infos = env.step(action)
        episode_returns += [info["episode"]["r"] for info in infos if "episode" in info]
    return {
        "observations": np.concatenate(observations)[:n_transitions].astype(np.float32),
        "actions": np.concatenate(actions)[:n_transitions].astype(action_dtype(task_id)),
        "episode_returns": np.asarray(episode_returns, dtype=np.float64),
    }


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
