"""Batched environments: N networks x E environments each, stepped as one batch.

``make_batched_env(env_id, stream_seeds, envs_per_network)`` returns a :class:`BatchedEnv`. Env i of network n is
seeded with ``stream_seeds[n] + i`` at its first reset and keeps its own random stream afterwards, exactly like
SB3's ``make_vec_env(env_id, n_envs=E, seed=stream_seeds[n])``: a network sees the same episodes alone or inside
any batch. Episodes that end are reset inside :meth:`BatchedEnv.step` (same-step autoreset as SB3's DummyVecEnv);
the terminal observation is handed back in ``StepResult.final_observations``.

Any registered gymnasium id gets :class:`GymnasiumBatchedEnv` (N x E gymnasium envs stepped in a loop).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces


class StepResult(NamedTuple):
    """One step of all N x E envs.

    ``observations`` holds, for envs that ended this step, the first observation of their new episode;
    ``final_observations`` holds their terminal observation (elsewhere it equals ``observations``).
    ``truncated`` is SB3's ``TimeLimit.truncated``: the time limit ended the episode and it did not terminate,
    so ``terminated & truncated`` is always False and ``terminated | truncated`` marks every episode end.
    """

    observations: torch.Tensor  # [N, E, obs_dim] float32
    rewards: torch.Tensor  # [N, E] float32
    terminated: torch.Tensor  # [N, E] bool
    truncated: torch.Tensor  # [N, E] bool
    final_observations: torch.Tensor  # [N, E, obs_dim] float32


class BatchedEnv:
    """Interface of every batched env. Observations are flattened (C order, as SB3's FlattenExtractor does)."""

    env_id: str
    num_networks: int
    envs_per_network: int
    observation_shape: tuple[int, ...]
    observation_dim: int
    action_dim: int | None = None  # continuous: size of the action vector
    n_actions: int | None = None  # discrete: number of actions
    action_low: torch.Tensor | None = None  # continuous: float64 [action_dim] (callers clip, as SB3 does)
    action_high: torch.Tensor | None = None

    def __init__(self, env_id: str, stream_seeds: Sequence[int], envs_per_network: int):
        if len(stream_seeds) == 0 or envs_per_network < 1:
            raise ValueError(f"need >= 1 network and >= 1 env each, got {len(stream_seeds)} x {envs_per_network}")
        self.env_id = env_id
        self.stream_seeds = [int(seed) for seed in stream_seeds]
        self.num_networks = len(self.stream_seeds)
        self.envs_per_network = int(envs_per_network)

    @property
    def is_discrete(self) -> bool:
        return self.n_actions is not None

    def env_seed(self, network: int, env: int) -> int:
        """The seed of env ``env`` of network ``network`` (``make_vec_env``'s ``seed + rank``)."""
        return self.stream_seeds[network] + env

    def reset(self) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def step(self, actions: torch.Tensor) -> StepResult:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        return None


def _register_project_envs() -> None:
    from ..core import envs  # noqa: F401 - registers PatrolGrid-v0


class GymnasiumBatchedEnv(BatchedEnv):
    """N x E ``gym.make(env_id)`` envs stepped one by one: the fallback for ids without a torch port."""

    def __init__(self, env_id: str, stream_seeds: Sequence[int], envs_per_network: int):
        super().__init__(env_id, stream_seeds, envs_per_network)
        _register_project_envs()
        self.envs = [[gym.make(env_id) for _ in range(self.envs_per_network)] for _ in range(self.num_networks)]
        probe = self.envs[0][0]
        self.observation_shape = tuple(probe.observation_space.shape)
        self.observation_dim = int(np.prod(self.observation_shape))
        action_space = probe.action_space
        if isinstance(action_space, spaces.Discrete):
            self.n_actions = int(action_space.n)
        elif isinstance(action_space, spaces.Box):
            self.action_dim = int(np.prod(action_space.shape))
            self.action_low = torch.as_tensor(action_space.low, dtype=torch.float64).reshape(-1)
            self.action_high = torch.as_tensor(action_space.high, dtype=torch.float64).reshape(-1)
            self._action_shape, self._action_dtype = action_space.shape, action_space.dtype
        else:
            raise TypeError(f"{env_id}: unsupported action space {action_space}")
        self._seeded = False

    def _reset_one(self, network: int, env: int) -> np.ndarray:
        # The first reset seeds the env; later resets continue its own stream (SB3's DummyVecEnv).
        seed = None if self._seeded else self.env_seed(network, env)
        obs, _ = self.envs[network][env].reset(seed=seed)
        return np.asarray(obs, dtype=np.float32).reshape(-1)

    def reset(self) -> torch.Tensor:
        obs = np.empty((self.num_networks, self.envs_per_network, self.observation_dim), dtype=np.float32)
        for n in range(self.num_networks):
            for i in range(self.envs_per_network):
                obs[n, i] = self._reset_one(n, i)
        self._seeded = True
        return torch.from_numpy(obs)

    def _env_action(self, actions: np.ndarray, network: int, env: int):
        if self.is_discrete:
            return int(actions[network, env])
        return actions[network, env].astype(self._action_dtype).reshape(self._action_shape)

    def step(self, actions: torch.Tensor) -> StepResult:
        if not self._seeded:
            raise RuntimeError("call reset() before step()")
        actions = torch.as_tensor(actions).detach().cpu().numpy()
        shape = (self.num_networks, self.envs_per_network)
        obs = np.empty((*shape, self.observation_dim), dtype=np.float32)
        final_obs = np.empty_like(obs)
        rewards = np.empty(shape, dtype=np.float32)
        terminated = np.zeros(shape, dtype=bool)
        truncated = np.zeros(shape, dtype=bool)
        for n in range(self.num_networks):
            for i in range(self.envs_per_network):
                ob, reward, term, trunc, _ = self.envs[n][i].step(self._env_action(actions, n, i))
                final_obs[n, i] = np.asarray(ob, dtype=np.float32).reshape(-1)
                rewards[n, i] = reward
                terminated[n, i] = term
                truncated[n, i] = trunc and not term
                obs[n, i] = self._reset_one(n, i) if term or trunc else final_obs[n, i]
        return StepResult(
            torch.from_numpy(obs),
            torch.from_numpy(rewards),
            torch.from_numpy(terminated),
            torch.from_numpy(truncated),
            torch.from_numpy(final_obs),
        )

    def close(self) -> None:
        for row in self.envs:
            for env in row:
                env.close()


# Torch ports (filled in below); ids without a port use the gymnasium fallback.
TORCH_PORTS: dict[str, type[BatchedEnv]] = {}


def env_kind(env_id: str) -> str:
    """ "torch" when ``env_id`` has a torch port, else "gymnasium" (the stepped-in-a-loop fallback)."""
    return "torch" if env_id in TORCH_PORTS else "gymnasium"


def make_batched_env(env_id: str, stream_seeds: Sequence[int], envs_per_network: int) -> BatchedEnv:
    """N = len(stream_seeds) networks x ``envs_per_network`` envs; env i of network n is seeded with seed_n + i."""
    port = TORCH_PORTS.get(env_id, GymnasiumBatchedEnv)
    if port is GymnasiumBatchedEnv:
        return GymnasiumBatchedEnv(env_id, stream_seeds, envs_per_network)
    return port(stream_seeds, envs_per_network)
