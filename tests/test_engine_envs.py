"""Batched environments (rltickets.engine.vec_envs): SB3-identical seeding, same-step autoreset, batch independence."""

import numpy as np
import pytest
import torch
from stable_baselines3.common.env_util import make_vec_env

import rltickets.core.envs  # noqa: F401 - registers PatrolGrid-v0 for make_vec_env
from rltickets.engine.vec_envs import GymnasiumBatchedEnv, env_kind, make_batched_env


def random_actions(env, generator: torch.Generator, n_networks: int | None = None) -> torch.Tensor:
    shape = (n_networks or env.num_networks, env.envs_per_network)
    if env.n_actions is not None:
        return torch.randint(0, env.n_actions, shape, generator=generator)
    low, high = env.action_low.float(), env.action_high.float()
    return low + (high - low) * torch.rand((*shape, env.action_dim), generator=generator)


def assert_matches_sb3_vec_env(env_id: str, seeds: list[int], n_envs: int, steps: int, action_seed: int = 0) -> int:
    """Step the batched env and one SB3 DummyVecEnv per network with the same actions; return the episode ends seen."""
    batched = make_batched_env(env_id, seeds, n_envs)
    references = [make_vec_env(env_id, n_envs=n_envs, seed=seed) for seed in seeds]
    obs = batched.reset()
    for n, reference in enumerate(references):
        np.testing.assert_array_equal(obs[n].numpy(), reference.reset().reshape(n_envs, -1))
    generator = torch.Generator().manual_seed(action_seed)
    ends = 0
    for _ in range(steps):
        actions = random_actions(batched, generator)
        result = batched.step(actions)
        for n, reference in enumerate(references):
            ref_obs, ref_rewards, ref_dones, ref_infos = reference.step(actions[n].numpy())
            np.testing.assert_array_equal(result.observations[n].numpy(), ref_obs.reshape(n_envs, -1))
            np.testing.assert_array_equal(result.rewards[n].numpy(), ref_rewards)
            np.testing.assert_array_equal((result.terminated | result.truncated)[n].numpy(), ref_dones)
            for i, info in enumerate(ref_infos):
                assert bool(result.truncated[n, i]) == info.get("TimeLimit.truncated", False)
                final = info["terminal_observation"].reshape(-1) if ref_dones[i] else ref_obs[i].reshape(-1)
                np.testing.assert_array_equal(result.final_observations[n, i].numpy(), final)
        ends += int((result.terminated | result.truncated).sum())
    assert not bool((result.terminated & result.truncated).any())
    return ends


@pytest.mark.parametrize("env_id, steps", [("Pendulum-v1", 420), ("PatrolGrid-v0", 160)])
def test_gymnasium_fallback_equals_sb3_make_vec_env(env_id, steps):
    assert env_kind(env_id) == "gymnasium"
    assert isinstance(make_batched_env(env_id, [0], 1), GymnasiumBatchedEnv)
    ends = assert_matches_sb3_vec_env(env_id, seeds=[3, 11], n_envs=2, steps=steps)
    assert ends > 0  # autoreset was exercised


def test_fallback_spaces():
    pendulum = make_batched_env("Pendulum-v1", [0, 1], 3)
    assert (pendulum.action_dim, pendulum.n_actions, pendulum.observation_dim) == (1, None, 3)
    assert pendulum.action_low.dtype == torch.float64 and pendulum.action_high.tolist() == [2.0]
    grid = make_batched_env("PatrolGrid-v0", [0, 1], 3)
    assert (grid.action_dim, grid.n_actions, grid.observation_dim) == (None, 5, 5 * 7 * 7)
    assert grid.reset().shape == (2, 3, 245) and grid.reset().dtype == torch.float32
