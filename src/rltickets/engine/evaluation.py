"""Deterministic evaluation episodes of N stacked networks at once, as SB3's `evaluate_policy` runs them.

Mirrors `rltickets.core.ppo.evaluate` / `make_eval_env`: network n is evaluated on min(episodes, 10) envs seeded far
from its training envs (stream seed + `EVAL_SEED_OFFSET`, + i for env i); env i runs (episodes + i) // n_envs
episodes; returns are summed per episode and rounded to 6 decimals as SB3's Monitor does; mean and (population) std
over the episodes.

One difference, for batch independence: SB3 reuses its eval envs, so evaluation k starts where the streams of
evaluation k - 1 stopped, and that depends on how long its vec env kept stepping (until its slowest episode ended).
In a batch all networks' envs step until the slowest network is done, so that point would depend on the other
networks. Here evaluation k uses fresh envs: the first with SB3's seeds, later ones with seeds derived from
(stream seed, k) only (`core.ppo.eval_seed`). Batched PPO and batched BC evaluate this way; so does the SB3 BC path
(`core.cloning.train_bc`), so that both BC backends evaluate on the same episodes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..core.ppo import eval_seed
from ..core.tasks import env_id
from .policy import StackedPolicy
from .vec_envs import BatchedEnv, make_batched_env

__all__ = ["env_actions", "eval_seed", "evaluate_batched", "evaluate_networks", "make_eval_env"]


def make_eval_env(
    task_id: str,
    stream_seeds: Sequence[int],
    n_episodes: int,
    index: int = 0,
    observation_affine: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> BatchedEnv:
    """`observation_affine`: the training envs' observation transform (`vec_envs.make_batched_env`), if any."""
    seeds = [eval_seed(seed, index) for seed in stream_seeds]
    return make_batched_env(env_id(task_id), seeds, min(n_episodes, 10), observation_affine)


def env_actions(env: BatchedEnv, actions: torch.Tensor) -> torch.Tensor:
    """What the env is stepped with: continuous actions clipped to the action box (SB3 clips the sampled
    Gaussian action for the env only; the rollout keeps the unclipped one)."""
    if env.is_discrete:
        return actions
    low, high = env.action_low.to(actions.dtype), env.action_high.to(actions.dtype)
    return torch.maximum(torch.minimum(actions, high), low)


def evaluate_networks(
    policy: StackedPolicy,
    task_id: str,
    stream_seeds: Sequence[int],
    n_episodes: int,
    index: int,
    observation_affine: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The `index`-th evaluation of every network: (mean, std) of its deterministic episode returns."""
    env = make_eval_env(task_id, stream_seeds, n_episodes, index, observation_affine)
    try:
        return evaluate_batched(policy, env, n_episodes)
    finally:
        env.close()


@torch.no_grad()
def evaluate_batched(policy: StackedPolicy, env: BatchedEnv, n_episodes: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) of the deterministic policy's episode returns on `env` (reset first), one entry per network."""
    n_networks, n_envs = env.num_networks, env.envs_per_network
    targets = torch.tensor([(n_episodes + i) // n_envs for i in range(n_envs)]).expand(n_networks, n_envs)
    counts = torch.zeros(n_networks, n_envs, dtype=torch.long)
    running = torch.zeros(n_networks, n_envs, dtype=torch.float64)
    returns: list[list[float]] = [[] for _ in range(n_networks)]
    obs = env.reset()
    while bool((counts < targets).any()):
        result = env.step(env_actions(env, policy.deterministic(policy.actor(obs))))
        running += result.rewards.double()
        ended = result.terminated | result.truncated
        recorded = ended & (counts < targets)
        for n, i in recorded.nonzero().tolist():
            returns[n].append(round(float(running[n, i]), 6))
        counts += recorded.long()
        running[ended] = 0.0
        obs = result.observations
    means = np.array([np.mean(r) for r in returns])
    stds = np.array([np.std(r) for r in returns])
    return means, stds
