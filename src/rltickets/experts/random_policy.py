"""The uniform-random policy: R_random of normalised performance (R - R_random) / (R_dense - R_random)."""

from __future__ import annotations

import numpy as np

from ..core.ppo import evaluate, make_eval_env


class UniformRandomPolicy:
    """A policy that ignores observations: the R_random of normalised performance (docs/protocol.md §1.3)."""

    def __init__(self, action_space, seed: int):
        self.action_space = action_space
        self.action_space.seed(seed)

    def predict(self, observation, state=None, episode_start=None, deterministic=False):
        return np.stack([self.action_space.sample() for _ in range(len(observation))]), state


def random_policy_return(task_id: str, seed: int, n_episodes: int) -> tuple[float, float]:
    eval_env = make_eval_env(task_id, seed, n_episodes)
    return evaluate(UniformRandomPolicy(eval_env.action_space, seed), eval_env, n_episodes)
