"""Batched environments (rltickets.engine.vec_envs): SB3-identical seeding, same-step autoreset, batch independence."""

import math

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3.common.env_util import make_vec_env

from rltickets.core.envs import PatrolGridEnv  # registers PatrolGrid-v0 for make_vec_env
from rltickets.engine.vec_envs import TORCH_PORTS, GymnasiumBatchedEnv, PatrolGridBatched, env_kind, make_batched_env


def random_actions(env, generator: torch.Generator) -> torch.Tensor:
    shape = (env.num_networks, env.envs_per_network)
    if env.n_actions is not None:
        return torch.randint(0, env.n_actions, shape, generator=generator)
    low, high = env.action_low.float(), env.action_high.float()
    return low + (high - low) * torch.rand((*shape, env.action_dim), generator=generator)


def assert_matches_sb3_vec_env(env_id: str, seeds: list[int], n_envs: int, steps: int, fallback: bool = False) -> int:
    """Step the batched env and one SB3 DummyVecEnv per network with the same actions; return the episode ends seen."""
    batched = GymnasiumBatchedEnv(env_id, seeds, n_envs) if fallback else make_batched_env(env_id, seeds, n_envs)
    references = [make_vec_env(env_id, n_envs=n_envs, seed=seed) for seed in seeds]
    obs = batched.reset()
    for n, reference in enumerate(references):
        np.testing.assert_array_equal(obs[n].numpy(), reference.reset().reshape(n_envs, -1))
    generator = torch.Generator().manual_seed(0)
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
        assert not bool((result.terminated & result.truncated).any())
        ends += int((result.terminated | result.truncated).sum())
    return ends


def test_ids_without_a_port_get_the_gymnasium_fallback():
    assert env_kind("Pendulum-v1") == "gymnasium"
    assert isinstance(make_batched_env("Pendulum-v1", [0], 1), GymnasiumBatchedEnv)


@pytest.mark.parametrize("env_id, steps", [("Pendulum-v1", 420), ("PatrolGrid-v0", 160)])
def test_gymnasium_fallback_equals_sb3_make_vec_env(env_id, steps):
    ends = assert_matches_sb3_vec_env(env_id, seeds=[3, 11], n_envs=2, steps=steps, fallback=True)
    assert ends > 0  # autoreset was exercised


def test_fallback_spaces():
    pendulum = make_batched_env("Pendulum-v1", [0, 1], 3)
    assert (pendulum.action_dim, pendulum.n_actions, pendulum.observation_dim) == (1, None, 3)
    assert pendulum.action_low.dtype == torch.float64 and pendulum.action_high.tolist() == [2.0]
    grid = GymnasiumBatchedEnv("PatrolGrid-v0", [0, 1], 3)
    assert (grid.action_dim, grid.n_actions, grid.observation_dim) == (None, 5, 5 * 7 * 7)
    assert grid.reset().shape == (2, 3, 245) and grid.reset().dtype == torch.float32


# -- torch ports ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Acrobot-v1", "PatrolGrid-v0"])
def test_torch_ports_are_dispatched(env_id):
    assert env_kind(env_id) == "torch"
    env = make_batched_env(env_id, [0, 1], 2)
    assert isinstance(env, TORCH_PORTS[env_id]) and not isinstance(env, GymnasiumBatchedEnv)
    reference = gym.make(env_id)
    assert env.n_actions == reference.action_space.n and env.action_dim is None
    assert env.observation_dim == int(np.prod(reference.observation_space.shape))
    env.reset()
    with pytest.raises(ValueError, match="actions must lie"):
        env.step(torch.full((2, 2), env.n_actions))


def copy_state_into(reference: gym.Env, env, k: int) -> None:
    """Put gymnasium env ``reference`` into flat env k's state, TimeLimit step counter and random stream."""
    inner = reference.unwrapped
    reference._elapsed_steps = int(env.steps[k])
    if isinstance(env, PatrolGridBatched):
        agent, goal, phase = (int(v) for v in env.state[k])
        inner.agent, inner.goal = divmod(agent, env.size), divmod(goal, env.size)
        inner.phase, inner.steps = phase, int(env.steps[k])
        inner.np_random.bit_generator.state = env.generator_state(k)
    else:
        inner.state = env.state[k].numpy().copy()
        inner.steps_beyond_terminated = None  # CartPole: a fresh state, not a step after termination


def reference_state(reference: gym.Env, env) -> np.ndarray:
    inner = reference.unwrapped
    if isinstance(env, PatrolGridBatched):
        size = inner.size
        return np.array([inner.agent[0] * size + inner.agent[1], inner.goal[0] * size + inner.goal[1], inner.phase])
    return np.asarray(inner.state, dtype=np.float64)


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Acrobot-v1", "PatrolGrid-v0"])
def test_torch_port_steps_like_gymnasium_from_identical_states(env_id):
    """10,000 env steps: every step starts gymnasium from the port's state; states, rewards, flags and obs agree."""
    env = make_batched_env(env_id, [5, 6, 7, 8], 10)  # 40 envs x 250 steps
    references = [gym.make(env_id) for _ in range(env.num_envs)]
    for k, reference in enumerate(references):
        reference.reset(seed=k)
    generator = torch.Generator().manual_seed(1)
    env.reset()
    max_state_error, flag_mismatches, ends, truncations = 0.0, 0, 0, 0
    for step in range(250):
        if step % 50 == 0:  # move the TimeLimit counters close to the limit so that truncations happen too
            env.steps[:] = torch.randint(env.max_episode_steps - 5, env.max_episode_steps, (env.num_envs,))
        for k, reference in enumerate(references):
            copy_state_into(reference, env, k)
        actions = random_actions(env, generator)
        result = env.step(actions)
        obs, rewards, terminated, truncated, final_obs = (field.flatten(0, 1).numpy() for field in result)
        ref_states, ref_obs, ref_rewards, ref_terminated, ref_truncated = [], [], [], [], []
        for reference, action in zip(references, actions.flatten().tolist(), strict=True):
            observation, reward, term, trunc, _ = reference.step(action)
            ref_states.append(reference_state(reference, env))
            ref_obs.append(observation.reshape(-1))
            ref_rewards.append(reward)
            ref_terminated.append(term)
            ref_truncated.append(trunc and not term)
        max_state_error = max(max_state_error, float(np.abs(np.array(ref_states) - env.final_state.numpy()).max()))
        flag_mismatches += int((terminated != np.array(ref_terminated)).sum() + (truncated != ref_truncated).sum())
        np.testing.assert_array_equal(rewards, np.array(ref_rewards, dtype=np.float32))
        np.testing.assert_allclose(final_obs, np.array(ref_obs), rtol=0, atol=1e-6)
        running = ~(terminated | truncated)
        np.testing.assert_array_equal(obs[running], final_obs[running])
        ends += int((~running).sum())
        truncations += int(truncated.sum())
    assert max_state_error <= 1e-12
    assert flag_mismatches == 0
    assert ends > 10 and truncations > 0


def test_patrol_grid_noise_stays_exact_when_an_episode_outlasts_a_noise_block():
    env = make_batched_env("PatrolGrid-v0", [8], 1)
    reference = PatrolGridEnv()  # no TimeLimit wrapper: the episode may run on
    obs, _ = reference.reset(seed=8)
    assert np.array_equal(env.reset()[0, 0].numpy(), obs.reshape(-1))
    for _ in range(3 * env.max_episode_steps):
        env.steps.zero_()  # hold the port's time limit off as well
        result = env.step(torch.zeros((1, 1), dtype=torch.long))  # waiting in the start column: never caught
        obs, _, terminated, _, _ = reference.step(0)
        assert not terminated and not bool(result.terminated | result.truncated)
        assert np.array_equal(result.observations[0, 0].numpy(), obs.reshape(-1))


@pytest.mark.parametrize(
    "env_id, seeds, steps", [("CartPole-v1", [3, 11], 300), ("Acrobot-v1", [3], 505), ("PatrolGrid-v0", [3, 11], 120)]
)
def test_torch_port_episodes_equal_sb3_make_vec_env(env_id, seeds, steps):
    """Same seeds, same actions: bitwise the observations, rewards and episode ends of SB3's DummyVecEnv."""
    assert assert_matches_sb3_vec_env(env_id, seeds=seeds, n_envs=2, steps=steps) > 0


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Acrobot-v1", "PatrolGrid-v0", "Pendulum-v1"])
def test_a_network_sees_the_same_episodes_alone_and_in_a_batch(env_id):
    seed, others, steps = 21, [4, 99, 1000], 220
    alone, batch = make_batched_env(env_id, [seed], 3), make_batched_env(env_id, [others[0], seed, *others[1:]], 3)
    assert torch.equal(alone.reset()[0], batch.reset()[1])
    if env_kind(env_id) == "torch" and env_id != "PatrolGrid-v0":  # let the time limit end some episodes
        for env in (alone, batch):
            env.steps.fill_(env.max_episode_steps - 150)
    own_actions, other_actions = torch.Generator().manual_seed(0), torch.Generator().manual_seed(1)
    ends = 0
    for _ in range(steps):
        actions = random_actions(alone, own_actions)
        mixed = random_actions(batch, other_actions)
        mixed[1] = actions[0]
        result_alone, result_batch = alone.step(actions), batch.step(mixed)
        for field_alone, field_batch in zip(result_alone, result_batch, strict=True):
            assert torch.equal(field_alone[0], field_batch[1])
        ends += int((result_alone.terminated | result_alone.truncated).sum())
    assert ends > 0


def test_same_step_autoreset_hands_back_the_terminal_observation():
    env = make_batched_env("CartPole-v1", [0, 1], 4)
    env.reset()
    generator = torch.Generator().manual_seed(0)
    seen = 0
    for _ in range(200):
        result = env.step(random_actions(env, generator))
        ended = result.terminated | result.truncated
        assert torch.equal(result.final_observations[~ended], result.observations[~ended])
        if ended.any():
            final, fresh = result.final_observations[ended], result.observations[ended]
            out_of_bounds = (final[:, 0].abs() > 2.4) | (final[:, 2].abs() > 12 * 2 * math.pi / 360)
            assert bool(out_of_bounds[result.terminated[ended]].all())  # the terminal obs, past a threshold
            assert bool((fresh.abs() <= 0.05).all())  # the first obs of the next episode
            assert bool((env.steps.reshape(2, 4)[ended] == 0).all())
            seen += int(ended.sum())
    assert seen > 5
